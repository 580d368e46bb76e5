"""Write every rule's cases (tests/detections/<rule>/cases/<case>/) from the tests' simulated world.

    .venv/bin/python devtools/make_rule_cases.py            # replaces every rule's cases/ folder
    .venv/bin/python devtools/make_rule_cases.py RULE...    # only these rules' (a new rule)

The world is tests/worlds.py's (the simulator, seeded), run through the real nightly. Per rule:

- positives: a night the real rule found a labelled attacker (the simulator's ground truth);
- negatives: a trap of the world (world.json: heavy users, month-end exports, campaign day,
  office NAT, laptop moves, browser updates, travel, mobile/IPv6, onboarding, service accounts,
  the SP's back channel) on a night the rule stayed quiet for that account.

Each case keeps only the raw lines it needs, tried from the smallest context up: a positive's
account on its night alone (app lines it acted in or was the target of, and the ProConnect flows
of its browsers), then with the nights before, then with the accounts of its incident (a
campaign, the accounts a manager created), then with its structure's other accounts (peer
baselines); a negative keeps its account's history (a batch account's busy night alone, its
first NIGHT_CAP lines). A night with no ProConnect line of the case gets one unrelated login, so
that the rules needing ProConnect run. When a trap's account is also an attacker, the attack's
sessions are taken out of its lines. A context is kept once the real ingest and runner, on those
lines alone, give the expected result (tests/detections/rule_cases.py, the same code the tests
run); a candidate no context reproduces is dropped and said so.

Only app_session_without_login has no attack of its own in the simulator: its positive is the
cookie replay's session with the login lines taken out (a copied cookie whose login is older
than the logs), and says so in `why`. Nor has password_only_after_mfa (the simulator's victims
have no MFA habit): its positive is the infostealer's night with the victim's earlier app lines
marked MFA.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
ONE = timedelta(days=1)
BIG = 1_000_000  # bytes of raw lines past which a negative keeps only its night
NIGHT_CAP = 400  # app lines of a busy account's night kept
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "detections")]

import rule_cases  # noqa: E402
import worlds  # noqa: E402

# Which traps each rule must stay quiet on (its `falsepositives`), in order of preference.
TRAPS = {
    "admin_out_of_pattern": ["onboarding"],
    "app_session_without_login": ["service_accounts", "laptop_move", "onboarding"],
    "bulk_list_export": ["month_end_exports"],
    "campaign_shared_infrastructure": ["shared_egress", "auto_update", "sp_back_channel"],
    "created_account_bulk": ["onboarding"],
    "created_account_shared_origin": ["onboarding"],
    "impossible_travel": ["travel", "mobile_and_ipv6"],
    "low_and_slow_accumulation": ["heavy_users", "campaign_day"],
    "machine_pacing": ["service_accounts", "campaign_day"],
    "mass_extraction_volume": ["heavy_users", "month_end_exports"],
    "new_device_network_bulk": ["travel", "laptop_move"],
    "off_hours_bulk": ["service_accounts", "heavy_users"],
    "out_of_portfolio_bulk": ["campaign_day", "month_end_exports"],
    "password_only_after_mfa": ["laptop_move", "travel", "service_accounts"],
    "scripted_user_agent": ["service_accounts", "sp_back_channel"],
    "session_multi_network": ["mobile_and_ipv6", "laptop_move"],
    "sso_replay_new_network": ["auto_update", "laptop_move"],
}
WHY = {
    "heavy_users": "a heavy user: large portfolio, many reads every day",
    "month_end_exports": "the month-end export of a structure's list",
    "campaign_day": "a campaign day: a site contacts all its beneficiaries, in portfolio",
    "shared_egress": "an office NAT many accounts of one structure share",
    "laptop_move": "a laptop moving from the office to home within the session",
    "auto_update": "a browser auto-update during the session",
    "travel": "plausible travel: another city, the same laptop",
    "mobile_and_ipv6": "carrier NAT and IPv6 privacy addresses changing within the session",
    "onboarding": "onboarding a new site: accounts created, then used from the site's office",
    "service_accounts": "a batch integration's service account (no ProConnect, HTTP client, nights)",
    "sp_back_channel": "the SP's servers calling ProConnect's back channel in every login",
}


class World:
    """The raw lines of the world (less its deliberate dirt), indexed by account and flow."""

    def __init__(self, w: worlds.World):
        self.w = w
        skip = {(d["file"], d["line"]) for d in w.facts["dirt"]}
        self.lines: list[tuple[date, str, dict]] = []
        for path in sorted(w.inbox.glob("*.jsonl.gz")):
            day = date.fromisoformat(path.name.split("-", 1)[1][:10])
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for no, text in enumerate(fh, 1):
                    if (f"inbox/{path.name}", no) not in skip and text.strip():
                        self.lines.append((day, text.rstrip("\n"), json.loads(text)))
        self.sub: dict[str, str] = {}
        self.app_by_user: dict[str, list[int]] = defaultdict(list)
        self.pc_keys_by_sub: dict[str, set[str]] = defaultdict(set)
        self.pc_by_key: dict[str, list[int]] = defaultdict(list)
        self.org: dict[str, str] = {}
        for i, (_, _, row) in enumerate(self.lines):
            if "event_type" in row:
                for key in ("actor_user_id", "target_user_id"):
                    if row.get(key):
                        self.app_by_user[row[key]].append(i)
                if row.get("actor_pc_sub"):
                    self.sub[row["actor_user_id"]] = row["actor_pc_sub"]
                if row.get("actor_org_siret"):
                    self.org.setdefault(row["actor_user_id"], row["actor_org_siret"])
            else:
                keys = [f"{k}:{row[k]}" for k in ("sessionId", "browsingSessionId", "interactionId") if row.get(k)]
                for key in keys:
                    self.pc_by_key[key].append(i)
                if row.get("spSub"):
                    self.pc_keys_by_sub[row["spSub"]].update(keys)

    def lines_of(self, accounts: set[str], day: date) -> list[str]:
        """The accounts' app lines and ProConnect flows, on `day` and the nights before, in file order."""
        picked: set[int] = set()
        for user in accounts:
            picked.update(self.app_by_user.get(user, []))
            for key in self.pc_keys_by_sub.get(self.sub.get(user, ""), ()):
                picked.update(self.pc_by_key[key])
        return [self.lines[i][1] for i in sorted(picked) if self.lines[i][0] <= day]

    def with_sources(self, lines: list[str], day: date, bad: set[str]) -> list[str]:
        """`lines`, plus one ProConnect login of an unrelated account that night when they hold
        none: a night without ProConnect data skips the rules that need it (an incomplete night)."""
        if any(rule_cases.line_day(line) == ("proconnect", day) for line in lines):
            return lines
        subs = {self.sub[u] for u in bad if u in self.sub}
        for d, _, row in self.lines:
            if d == day and row.get("event") == "FC_VERIFIED" and row.get("spSub") not in subs \
                    and row.get("interactionId"):
                flow = set(self.pc_by_key[f"interactionId:{row['interactionId']}"])
                return sorted(lines + [self.lines[i][1] for i in sorted(flow)], key=_order)
        return lines

    def innocent(self, lines: list[str], labels: list[dict]) -> list[str]:
        """`lines` less every line of an attack (its sessions, browsers and accounts' lines)."""
        keys = set()
        for lab in labels:
            sessions = lab["malicious_sessions"]
            keys |= {f"s:{v}" for v in sessions["app_session_id"] + sessions["pc_session_id"]}
            keys |= {f"b:{v}" for v in sessions["browsing_session_id"]}
        out = []
        for line in lines:
            row = json.loads(line)
            mine = {f"s:{row.get('app_session_id')}", f"s:{row.get('sessionId')}", f"b:{row.get('browsingSessionId')}"}
            if not mine & keys:
                out.append(line)
        return out

    def peers(self, user: str) -> set[str]:
        org = self.org.get(user)
        return {u for u, o in self.org.items() if o == org}


def _order(line: str) -> tuple:
    return rule_cases.line_day(line)


def contexts(world: World, user: str, linked: set[str]) -> list[tuple[str, set[str]]]:
    out = [("night", {user}), ("own", {user})]
    if linked - {user}:
        out.append(("incident", {user} | linked))
    out.append(("structure", {user} | linked | world.peers(user)))
    return out


def reproduce(case: dict, lines: list[str]) -> str | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            findings = rule_cases.run(lines, case["rule"], date.fromisoformat(case["day"]), Path(tmp))
        except AssertionError as exc:  # lines quarantined, or the rule skipped for want of a source
            return f"{case['rule']} {case['kind']} {case['entity']}: {exc}"
    return rule_cases.verdict(case, findings)


def attackers(w: worlds.World) -> dict[str, str]:
    return {a["actor_user_id"]: lab["scenario"] for lab in w.labels for a in lab["malicious_accounts"]}


def positives(w: worlds.World, world: World, rule: str) -> list[dict]:
    """One case: the labelled attacker the rule found on the fewest lines of context."""
    bad = attackers(w)
    rows = w.sql("select f.event_date, f.user_id, max(f.severity), any_value(i.accounts) from findings f "
                 "left join incidents i using (incident_uid) where rule_id = $r group by 1, 2 order by 1, 2",
                 {"r": rule})
    candidates = []
    for day, user, severity, accounts in rows:
        if user in bad:
            size = len(world.lines_of({user}, day))
            candidates.append((size, day, user, severity, set(accounts or [])))
    for _size, day, user, severity, linked in sorted(candidates, key=lambda c: (c[0], c[1], c[2]))[:4]:
        case = {"rule": rule, "kind": "positive", "day": str(day), "entity": user, "severity": severity,
                "scenario": bad[user], "why": f"{bad[user].replace('_', ' ')}: the simulator's labelled attacker"}
        for name, accounts in contexts(world, user, linked & set(bad)):
            lines = world.lines_of(accounts, day)
            if name == "night":
                lines = [line for line in lines if rule_cases.line_day(line)[1] == day]
            lines = world.with_sources(lines, day, set(bad))
            if reproduce(case, lines) is None:
                return [{**case, "context": name, "lines": lines}]
        print(f"  {rule}: {user} on {day} not reproduced from its lines", file=sys.stderr)
    return []


def without_login_positive(w: worlds.World, world: World) -> list[dict]:
    """The cookie replay's session with its login lines taken out: a copied cookie used later."""
    label = w.attack("session_cookie_replay")
    [user] = [a["actor_user_id"] for a in label["malicious_accounts"]]
    day = date.fromisoformat(label["first_malicious_day"])
    sessions = set(label["malicious_sessions"]["app_session_id"])
    lines = []
    for _, text, row in world.lines:
        if row.get("app_session_id") in sessions and row.get("actor_user_id") == user and \
                row.get("src_ip") in label["malicious_ips"] and row["event_type"] not in (
                "LOGIN_CALLBACK_SUCCESS", "SESSION_CREATED"):
            lines.append(text)
    case = {"rule": "app_session_without_login", "kind": "positive", "day": str(day), "entity": user,
            "severity": "high", "scenario": "session_cookie_replay",
            "why": "session cookie replay: the replayed session's reads with no login before them (the cookie "
                   "copied from a login older than the logs); the simulator's lines, less the login lines"}
    return _reproduced(case, world.with_sources(lines, day, set(attackers(w))), "own")


def mfa_dropped_positive(w: worlds.World, world: World) -> list[dict]:
    """The infostealer's password-only session on its victim, whose earlier sessions are made MFA.

    The simulator gives the victims no MFA habit (and lets a stolen session carry the owner's
    MFA), so no attack of its world drops MFA; this case is the infostealer's real lines with
    the victim's own earlier app lines marked MFA, the habit the rule compares with."""
    label = w.attack("infostealer_mass_extraction")
    [user] = [a["actor_user_id"] for a in label["malicious_accounts"]]
    day = date.fromisoformat(label["first_malicious_day"])
    lines = []
    for text in world.lines_of({user}, day):
        row = json.loads(text)
        if row.get("actor_user_id") == user and row.get("event_type") and rule_cases.line_day(text)[1] < day:
            row.update(auth_amr=["pwd", "mfa"], auth_acr="eidas1-mfa")
            text = json.dumps(row, ensure_ascii=False)
        lines.append(text)
    case = {"rule": "password_only_after_mfa", "kind": "positive", "day": str(day), "entity": user,
            "severity": "high", "scenario": "infostealer_mass_extraction",
            "why": "infostealer credential reuse: a password-only session on an account whose earlier sessions "
                   "used MFA; the simulator's lines, the victim's earlier app lines marked MFA"}
    return _reproduced(case, world.with_sources(lines, day, set(attackers(w))), "own, nights before")


def _reproduced(case: dict, lines: list[str], context: str) -> list[dict]:
    """The case with its lines when the real ingest and runner reproduce it, else none (said why)."""
    problem = reproduce(case, lines)
    if problem:
        print(f"  {case['rule']}: {problem}", file=sys.stderr)
        return []
    return [{**case, "context": context, "lines": lines}]


def trap_candidates(w: worlds.World, world: World, trap: str, role: str = "") -> list[tuple[str, date]]:
    """(account, night) pairs where the trap happens, innocent accounts first."""
    facts = {t["trap"]: t for t in w.facts["traps"]}
    if trap not in facts:
        return []
    t = facts[trap]
    bad = attackers(w)

    def busiest(user: str) -> date:
        return max(w.days, key=lambda d: (len(world.lines_of({user}, d)) - len(world.lines_of({user}, d - ONE)), d))

    pairs: list[tuple[str, date]] = []
    if "instances" in t:
        pairs = [(i["account"], date.fromisoformat(i["day"])) for i in t["instances"]]
    elif trap == "month_end_exports":
        pairs = [(a, date.fromisoformat(d)) for d in t["days"] for a in t["accounts"]]
    elif trap == "onboarding" and role == "creator":
        return [(t["rgc"], date.fromisoformat(t["day"]))]
    elif trap in ("campaign_day", "onboarding"):
        pairs = [(a, date.fromisoformat(t["day"])) for a in t["accounts"]]
    elif trap in ("heavy_users", "service_accounts"):
        pairs = [(a, busiest(a)) for a in t["accounts"]]
    elif trap == "mobile_and_ipv6":
        pairs = [(a, busiest(a)) for a in t["mobile_accounts"]]
    elif trap == "shared_egress":
        users = w.sql("select user_id, count(*) from app_activity where src_ip = $ip group by 1 order by 2 desc",
                      {"ip": t["office_nat"]})
        pairs = [(u, busiest(u)) for u, _ in users]
    elif trap == "sp_back_channel":
        users = w.sql("select user_id, count(*) from app_activity where event_type = 'LOGIN_CALLBACK_SUCCESS' "
                      "group by 1 order by 2 desc, 1")
        pairs = [(u, busiest(u)) for u, _ in users]
    return sorted(pairs, key=lambda p: (p[0] in bad, len(world.lines_of({p[0]}, p[1]))))


def negatives(w: worlds.World, world: World, rule: str, trap: str) -> list[dict]:
    fired = {(str(d), u) for d, u in w.sql("select event_date, user_id from findings where rule_id = $r",
                                           {"r": rule})}
    role = "creator" if rule == "admin_out_of_pattern" else ""
    bad = attackers(w)
    for user, day in trap_candidates(w, world, trap, role)[:6]:
        if (str(day), user) in fired and user not in bad:
            continue
        lines = world.lines_of({user}, day)
        note = ""
        if user in bad:  # the trap's account is also an attacker's: the attack's own lines left out
            lines = world.innocent(lines, w.labels)
            note = f" (the {bad[user].replace('_', ' ')} on this account left out: its sessions' lines removed)"
        if not any(line for line in lines if f'"{user}"' in line and rule_cases.line_day(line)[1] == day):
            continue  # the account did nothing that night: no trap to show
        context = "own"
        if sum(map(len, lines)) > BIG:  # a busy account (a batch): its night alone, not its history
            lines = [line for line in lines if rule_cases.line_day(line)[1] == day]
            context = "night"
            reads = [i for i, line in enumerate(lines) if f'"actor_user_id":"{user}"' in line]
            if len(reads) > NIGHT_CAP:  # and of a batch's night, its first lines
                cut = set(reads[NIGHT_CAP:])
                lines = [line for i, line in enumerate(lines) if i not in cut]
                context = f"night, first {NIGHT_CAP} lines"
        lines = world.with_sources(lines, day, set(attackers(w)))
        case = {"rule": rule, "kind": "negative", "day": str(day), "entity": user, "trap": trap,
                "why": f"trap {trap}: {WHY[trap]}{note}"}
        problem = reproduce(case, lines)
        if problem is None:
            return [{**case, "context": context, "lines": lines}]
        print(f"  {problem}", file=sys.stderr)
    print(f"  {rule}: no quiet case for trap {trap}", file=sys.stderr)
    return []


def write(case: dict) -> int:
    name = case["scenario"] if case["kind"] == "positive" else case["trap"]
    folder = REPO / "tests" / "detections" / case["rule"] / "cases" / f"{case['kind']}-{name}"
    folder.mkdir(parents=True)
    lines = case.pop("lines")
    with open(folder / "events.jsonl.gz", "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write("".join(f"{line}\n" for line in lines).encode())
    (folder / "expected.yml").write_text(yaml.safe_dump({**case, "lines": len(lines)}, sort_keys=False,
                                                        allow_unicode=True), encoding="utf-8")
    return (folder / "events.jsonl.gz").stat().st_size


def main() -> int:
    from transforms.detect import load_rules

    with tempfile.TemporaryDirectory() as tmp:
        w = worlds.build(Path(tmp))
        world = World(w)
        shutil.rmtree(rule_cases.REFERENCE, ignore_errors=True)
        shutil.copytree(w.reference, rule_cases.REFERENCE)
        total = 0
        known = sorted(r.id for r in load_rules())
        unknown = sorted(set(sys.argv[1:]) - set(known))
        if unknown:
            print(f"no rule named {', '.join(unknown)}", file=sys.stderr)
            return 2
        for rule in sorted(sys.argv[1:]) or known:
            shutil.rmtree(REPO / "tests" / "detections" / rule / "cases", ignore_errors=True)
            found = without_login_positive(w, world) if rule == "app_session_without_login" \
                else mfa_dropped_positive(w, world) if rule == "password_only_after_mfa" \
                else positives(w, world, rule)
            for trap in TRAPS[rule]:
                found += negatives(w, world, rule, trap)
            for case in found:
                size = write(case)
                total += size
                print(f"{rule} {case['kind']}: {case['entity']} on {case['day']} "
                      f"({case['context']}, {size // 1024} KB)")
        print(f"{total // 1024} KB of events in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
