"""A small, seeded world of raw logs (ProConnect + app) where every trap and attack happens.

Why our own: the detections need logs that look like production before the simulator lands,
and each rule's fixtures (tests/detections/<rule_id>/cases.yml) name actors of this world.
Ten days, about twenty agents in four organisations; normal work on days 0-9, traps on
chosen days, the five attacks in the last days. Written as raw JSONL, then ingested by the
real ingest, so the tests cover the lake columns the rules read.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

KEY = b"vigie-test-key"  # the pseudonym key the test world is ingested with

START = date(2025, 6, 2)  # a Monday
DAYS = 10
LOCAL = timedelta(hours=2)  # Europe/Paris in June (CEST)
SP_IP, SP_UA = "198.51.100.5", "node-fetch/2.7.0"
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/{v}.0.0.0 Safari/537.36")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.5 Safari/605.1.15")
ORGS = {
    "81234567800021": ("OF", "192.0.2.10"),
    "13000000000017": ("ML", "192.0.2.44"),
    "13000000000025": ("ML", "172.16.0.1"),  # works through the regional VPN concentrator
    "13000000000099": ("CAP_EMPLOI", "192.0.2.150"),
}


def day(i: int) -> date:
    return START + timedelta(days=i)


def at(i: int, hh: int, mm: int = 0, ss: float = 0) -> datetime:
    """Day i at local (Paris) time hh:mm, as UTC."""
    return datetime(day(i).year, day(i).month, day(i).day) + timedelta(hours=hh, minutes=mm, seconds=ss) - LOCAL


@dataclass
class Agent:
    user_id: str
    org: str
    roles: list[str]
    portfolio: list[str]
    ua: str = CHROME_WIN.format(v=137)
    device: str = ""
    sub: str = ""
    ip: str = ""
    reads: tuple[int, int] = (10, 50)

    def __post_init__(self) -> None:
        self.sub = self.sub or str(uuid.uuid5(uuid.NAMESPACE_DNS, self.user_id))
        self.device = self.device or "dev-" + self.user_id
        self.ip = self.ip or ORGS[self.org][1]

    @property
    def org_type(self) -> str:
        return ORGS[self.org][0]


@dataclass
class World:
    rng: random.Random
    app: list[dict] = field(default_factory=list)
    pc: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    counter: int = 0

    def uid(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.rng.getrandbits(40):010x}{self.counter:06d}"

    # -- ProConnect ---------------------------------------------------------------------------
    def pc_event(self, t: datetime, event: str, step: str, sid: str, ip: str, ua: str, **extra) -> None:
        row = {"levelNumber": 30, "level": "info", "time": int(t.timestamp() * 1000), "pid": 41,
               "hostname": "fc-core-1", "event": event, "step": step, "sessionId": sid, "ip": ip,
               "forwardedFor": ip, "userAgent": ua, "method": "GET", "path": "/api/v2/authorize",
               "spId": "c" * 64, "spName": "Kairos", "spEssentialAcr": "eidas1"}
        row.update({k: v for k, v in extra.items() if v is not None})
        self.pc.append(row)

    def pc_login(self, a: Agent, t: datetime, ip: str, ua: str, browsing: str | None = None,
                 amr: tuple[str, ...] = ("pwd",)) -> tuple[str, str]:
        """Full login: authorize, IdP, IDP_CALLEDBACK (new sessionId), FC_VERIFIED, back-channel."""
        sid0, sid1 = self.uid("a") * 4, self.uid("b") * 4
        browsing = browsing or str(uuid.UUID(int=self.rng.getrandbits(128)))
        inter = self.uid("i")
        acr = "eidas1-mfa" if "mfa" in amr else "eidas1"
        common = {"browsingSessionId": browsing, "interactionId": inter}
        for k, (ev, st) in enumerate([("FC_AUTHORIZE_INITIATED", "1.0.0"), ("FC_SHOWED_IDP_CHOICE", "2.0.0"),
                                      ("IDP_CHOSEN", "3.0.0")]):
            self.pc_event(t + timedelta(seconds=k * 3), ev, st, sid0, ip, ua, **common)
        t2 = t + timedelta(seconds=20)
        ident = {"spSub": a.sub, "idpAcr": acr, "idpAmr": list(amr), "spSiret": a.org, **common}
        self.pc_event(t2, "IDP_CALLEDBACK", "4.0.0", sid1, ip, ua, **common)
        self.pc_event(t2 + timedelta(seconds=1), "FC_VERIFIED", "5.0.0", sid1, ip, ua, **ident)
        self.pc_event(t2 + timedelta(seconds=2), "SP_REQUESTED_FC_TOKEN", "7.1.0", sid1, SP_IP, SP_UA,
                      interactionId=inter)
        self.pc_event(t2 + timedelta(seconds=2.5), "SP_REQUESTED_FC_USERINFO", "7.2.0", sid1, SP_IP, SP_UA,
                      interactionId=inter, spSub=a.sub)
        return sid1, browsing

    def pc_sso(self, a: Agent, t: datetime, sid: str, browsing: str, ip: str, ua: str) -> None:
        """SSO reuse of a live ProConnect session: no IdP round trip, no IDP_CALLEDBACK."""
        inter = self.uid("i")
        common = {"browsingSessionId": browsing, "interactionId": inter}
        self.pc_event(t, "FC_AUTHORIZE_INITIATED", "1.0.0", sid, ip, ua, **common)
        self.pc_event(t + timedelta(seconds=1), "FC_SSO_INITIATED", "2.1.0", sid, ip, ua, **common)
        self.pc_event(t + timedelta(seconds=2), "FC_VERIFIED", "5.0.0", sid, ip, ua, spSub=a.sub, **common)
        self.pc_event(t + timedelta(seconds=3), "SP_REQUESTED_FC_USERINFO", "7.2.0", sid, SP_IP, SP_UA,
                      interactionId=inter, spSub=a.sub)

    # -- app ----------------------------------------------------------------------------------
    def app_event(self, a: Agent, t: datetime, event_type: str, session: str, ip: str,
                  ua: str | None = None, device: str | None = None, mfa: bool = False, **extra) -> dict:
        row = {"ts": t.isoformat(timespec="milliseconds") + "Z",
               "event_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
               "event_type": event_type, "outcome": "success", "actor_user_id": a.user_id,
               "actor_pc_sub": a.sub, "actor_org_siret": a.org, "actor_org_type": a.org_type,
               "actor_roles": a.roles, "auth_acr": "eidas1-mfa" if mfa else "eidas1",
               "auth_amr": ["pwd", "mfa"] if mfa else ["pwd"], "app_session_id": session, "src_ip": ip,
               "user_agent": ua or a.ua, "device_id": device or a.device}
        row.update({k: v for k, v in extra.items() if v is not None})
        self.app.append(row)
        return row

    def app_login(self, a: Agent, t: datetime, ip: str, ua: str | None = None, device: str | None = None,
                  mfa: bool = False) -> str:
        session = self.uid("s-")
        self.app_event(a, t, "LOGIN_CALLBACK_SUCCESS", session, ip, ua, device, mfa)
        self.app_event(a, t + timedelta(seconds=1), "SESSION_CREATED", session, ip, ua, device, mfa)
        return session

    def read(self, a: Agent, t: datetime, session: str, ip: str, bid: str, in_portfolio: bool,
             ua: str | None = None, device: str | None = None, nir: bool = False, mfa: bool = False,
             event_type: str = "BENEFICIARY_RECORD_VIEW") -> None:
        self.app_event(a, t, event_type, session, ip, ua, device, mfa, url_route="/api/beneficiaires/{id}",
                       http_method="GET", http_status=200, beneficiary_id=bid, record_type="DOSSIER",
                       contains_nir=nir, in_portfolio=in_portfolio)

    def workday(self, a: Agent, i: int, ip: str | None = None, ua: str | None = None,
                n: int | None = None, start_hour: int = 9, gap: tuple[int, int] = (40, 400),
                session_hook=None, sso_after: bool = False) -> str:
        """A normal day: full login, app session, portfolio list, n reads mostly in portfolio."""
        ip, ua = ip or a.ip, ua or a.ua
        t = at(i, start_hour, self.rng.randint(0, 40))
        sid, browsing = self.pc_login(a, t, ip, ua, amr=("pwd", "mfa"))
        s = self.app_login(a, t + timedelta(seconds=25), ip, ua, mfa=True)
        t += timedelta(seconds=40)
        self.app_event(a, t, "PORTFOLIO_LIST_VIEW", s, ip, ua, mfa=True, beneficiary_count=len(a.portfolio))
        n = self.rng.randint(*a.reads) if n is None else n
        for k in range(n):
            t += timedelta(seconds=self.rng.randint(*gap))
            if session_hook is not None:
                ip, ua = session_hook(k, n, ip, ua)
            inp = self.rng.random() < 0.93
            bid = self.rng.choice(a.portfolio) if inp else other_id(self.rng)
            self.read(a, t, s, ip, bid, inp, ua=ua, mfa=True)
        self.app_event(a, t + timedelta(seconds=30), "LOGOUT", s, ip, ua, mfa=True)
        if sso_after:  # back from lunch: SSO reuse of the ProConnect session, wherever the laptop is now
            self.pc_sso(a, t + timedelta(minutes=5), sid, browsing, ip, ua)
            s2 = self.app_login(a, t + timedelta(minutes=5, seconds=5), ip, ua, mfa=True)
            for _ in range(5):
                t += timedelta(seconds=self.rng.randint(*gap))
                self.read(a, t + timedelta(minutes=6), s2, ip, self.rng.choice(a.portfolio), True, ua=ua, mfa=True)
        return s

    def label(self, scenario: str, accounts: list[str], sessions: list[str], ips: list[str],
              start: datetime, end: datetime, exposed: set[str]) -> None:
        """One attack in the simulator's label format (simulator/labels.py)."""
        self.labels.append({
            "attack_id": f"{scenario}-{len(self.labels) + 1}", "scenario": scenario,
            "malicious_accounts": [{"actor_user_id": a, "pc_sub": None} for a in accounts],
            "malicious_sessions": {"app_session_id": sessions, "pc_session_id": [], "browsing_session_id": []},
            "malicious_ips": ips, "malicious_devices": [],
            "window_start": start.isoformat() + "Z", "window_end": end.isoformat() + "Z",
            "first_malicious_day": start.date().isoformat(),
            "exposed_beneficiaries": sorted(exposed), "exposed_count": len(exposed)})


def bid_of(n: int) -> str:
    return f"{n:07d}" + "ABCDEFGHJK"[n % 10]


def other_id(rng: random.Random) -> str:
    return bid_of(rng.randint(1_000_000, 9_999_999))


def portfolio(base: int, size: int) -> list[str]:
    return [bid_of(base + k) for k in range(size)]


def agents() -> dict[str, Agent]:
    of, ml, ml2, ce = "81234567800021", "13000000000017", "13000000000025", "13000000000099"
    ag = [
        Agent("of-u01", of, ["FORMATEUR"], portfolio(4_417_300, 30), reads=(8, 25)),
        Agent("of-u02", of, ["FORMATEUR"], portfolio(4_418_300, 25), reads=(8, 25), ua=SAFARI_MAC),
        *[Agent(f"ml-m0{k}", ml, ["CONSEILLER"], portfolio(2_000_000 + 1000 * k, 100)) for k in (1, 3, 4, 5, 6, 7, 8)],
        Agent("ml-m02", ml, ["CONSEILLER"], portfolio(2_002_000, 400), reads=(150, 250)),  # heavy
        Agent("ml-m09", ml, ["CONSEILLER"], portfolio(2_030_000, 1500), reads=(380, 450)),  # heavier, from day 0
        Agent("ml-rgc1", ml, ["CONSEILLER", "RGC"], portfolio(2_010_000, 60)),
        Agent("ml-rgc2", ml, ["CONSEILLER", "RGC"], portfolio(2_011_000, 60)),
        Agent("ml-dir1", ml, ["DIRECTION"], portfolio(2_012_000, 30), reads=(2, 10)),
        Agent("ml-svc1", ml, ["SERVICE"], [], ua="Apache-HttpClient/5.2 (Java/17)", ip=SP_IP),
        Agent("ml2-v01", ml2, ["CONSEILLER"], portfolio(3_000_000, 100)),
        Agent("ml2-v02", ml2, ["CONSEILLER"], portfolio(3_001_000, 100)),
        Agent("ce-c01", ce, ["CONSEILLER"], portfolio(5_000_000, 80)),
        Agent("ce-c02", ce, ["CONSEILLER"], portfolio(5_001_000, 80)),
        Agent("ce-c03", ce, ["CONSEILLER"], portfolio(5_002_000, 80), ip="172.16.0.1"),
    ]
    return {a.user_id: a for a in ag}


def build(seed: int = 7) -> World:
    w = World(random.Random(seed))
    rng = w.rng
    ag = agents()
    new_accounts: list[Agent] = []
    for i in range(DAYS):
        weekday = day(i).weekday() < 5
        # trap 7: the batch integration reads every night with a non-browser UA, no ProConnect
        svc = ag["ml-svc1"]
        s = w.app_login(svc, at(i, 2), SP_IP)
        t = at(i, 2, 1)
        for _ in range(300):
            t += timedelta(milliseconds=rng.randint(150, 250))
            w.read(svc, t, s, SP_IP, other_id(rng), True)
        if not weekday:
            continue
        for a in ag.values():
            if a.user_id in ("ml-svc1", "ml-m09", "ml-m04", "ml-m05", "ml-m06", "ml-m01", "ml-m03", "ml-dir1"):
                continue
            if a.user_id == "ml-m07" and i == 8:
                continue  # attack 2 below uses the owner's real day
            w.workday(a, i)
        # trap 1: a heavy user busy from the lake's first day, when neither its own history nor its
        # peers' exists yet (its own random stream, so the rest of the world is unchanged)
        main_rng, w.rng = w.rng, random.Random(seed * 1000 + i)
        w.workday(ag["ml-m09"], i, gap=(10, 60))
        w.rng = main_rng
        # trap 3: mobile worker, CGNAT and IPv6 privacy addresses changing inside the session
        m04 = ag["ml-m04"]
        if i % 2:
            w.workday(m04, i, ip="100.64.1.10",
                      session_hook=lambda k, n, ip, ua: (f"100.64.{1 + k // 10}.{10 + k % 7}", ua))
        else:
            w.workday(m04, i, ip="2001:db8:1:2::10",
                      session_hook=lambda k, n, ip, ua: (f"2001:db8:1:{2 + k // 15}::{10 + k}", ua))
        # trap 3: laptop moves from the office to home mid-day, same session, device and UA
        m05 = ag["ml-m05"]
        w.workday(m05, i, session_hook=lambda k, n, ip, ua: ("198.51.100.200" if k > n // 2 else ip, ua),
                  sso_after=True)
        # trap 4: browser auto-update during the session
        m06 = ag["ml-m06"]
        w.workday(m06, i, session_hook=lambda k, n, ip, ua: (ip, CHROME_WIN.format(v=138) if k > n // 2 else ua),
                  sso_after=True)
        # trap 5: travel, a day in Marseille with the same laptop
        w.workday(ag["ml-m01"], i, ip="10.30.0.5" if i == 8 else None)
        # trap 1: campaign day, a site contacts all its beneficiaries (in portfolio, brisk pace)
        m03 = ag["ml-m03"]
        if i == 8:
            m03.portfolio = portfolio(2_003_000, 400)
            w.workday(m03, i, n=380, gap=(8, 30), start_hour=8)
        else:
            w.workday(m03, i)
        # trap 1: DIRECTION's month-end export of the whole structure
        d1 = ag["ml-dir1"]
        s = w.workday(d1, i)
        if i == 9:
            t = at(i, 16)
            s = w.app_login(d1, t - timedelta(minutes=1), d1.ip, mfa=True)
            for page in range(5):
                w.app_event(d1, t + timedelta(seconds=20 * page), "STRUCTURE_BENEFICIARY_LIST", s, d1.ip,
                            mfa=True, beneficiary_count=1000)
            w.app_event(d1, t + timedelta(minutes=3), "EXPORT_REQUESTED", s, d1.ip, mfa=True,
                        export_format="csv", rows_exported=5000)
            w.app_event(d1, t + timedelta(minutes=4), "EXPORT_DOWNLOADED", s, d1.ip, mfa=True,
                        export_format="csv", rows_exported=5000)
        # trap 6: onboarding, an RGC creates 15 accounts in one morning for a new site
        if i == 3:
            rgc = ag["ml-rgc1"]
            s = w.app_login(rgc, at(i, 8, 30), rgc.ip, mfa=True)
            for k in range(15):
                na = Agent(f"ml-new{k:02d}", rgc.org, ["CONSEILLER"], portfolio(2_020_000 + 100 * k, 40),
                           ua=CHROME_WIN.format(v=137))
                t = at(i, 8, 35 + 2 * k)
                w.app_event(rgc, t, "USER_CREATE", s, rgc.ip, mfa=True, target_user_id=na.user_id,
                            target_email=f"{na.user_id}@ml.example.fr", target_roles=na.roles,
                            target_org_siret=rgc.org)
                w.app_event(rgc, t + timedelta(seconds=20), "USER_ROLE_GRANT", s, rgc.ip, mfa=True,
                            target_user_id=na.user_id, target_roles=na.roles)
                new_accounts.append(na)
        if i >= 3:
            for na in new_accounts:  # the new owners log in from the site's office, and work normally
                w.workday(na, i, start_hour=14 if i == 3 else 9)
    attacks(w, ag)
    return w


def attacks(w: World, ag: dict[str, Agent]) -> None:
    rng = w.rng
    # 1. infostealer credential reuse on a small OF account, nights, from a VPS, machine pacing
    a, ip, dev = ag["of-u01"], "203.0.113.50", "dev-x9"
    exposed: set[str] = set()
    sessions, first = [], None
    nxt = 6_100_000
    for i in (7, 8, 9):
        ua = FIREFOX_LINUX if i == 7 else "python-requests/2.32.3"
        t = at(i, 1, 10)
        first = first or t
        w.pc_login(a, t, ip, FIREFOX_LINUX)
        s = w.app_login(a, t + timedelta(seconds=25), ip, ua, dev)
        sessions.append(s)
        t += timedelta(seconds=30)
        for _ in range(1500):
            t += timedelta(milliseconds=rng.randint(100, 500))
            inp = rng.random() < 0.03
            bid = rng.choice(a.portfolio) if inp else bid_of(nxt)
            nxt += 0 if inp else rng.randint(1, 3)
            w.read(a, t, s, ip, bid, inp, ua=ua, device=dev)
            exposed.add(bid)
    w.label("infostealer_mass_extraction", [a.user_id], sessions, [ip], first, t, exposed)

    # 2. session cookie replay: the owner's live session used at once from a second place
    a = ag["ml-m07"]
    t0 = at(8, 8, 50)
    sid, browsing = w.pc_login(a, t0, a.ip, a.ua, amr=("pwd", "mfa"))
    s = w.app_login(a, t0 + timedelta(seconds=25), a.ip, mfa=True)
    atk_ip, atk_ua = "198.51.100.77", SAFARI_MAC  # a home line; the operator of attack 1 is another
    exposed = set()
    t_owner, t_atk = t0 + timedelta(minutes=1), at(8, 10, 0)
    w.pc_sso(a, t_atk - timedelta(minutes=1), sid, browsing, atk_ip, atk_ua)
    for _ in range(40):
        t_owner += timedelta(seconds=rng.randint(60, 300))
        w.read(a, t_owner, s, a.ip, rng.choice(a.portfolio), True, mfa=True)
    for _ in range(300):
        t_atk += timedelta(seconds=rng.uniform(2, 6))
        bid = other_id(rng)
        w.read(a, t_atk, s, atk_ip, bid, False, ua=atk_ua, mfa=True)
        exposed.add(bid)
    # the owner logs out; the copied cookie keeps working for the attacker that evening
    w.app_event(a, at(8, 17), "LOGOUT", s, a.ip, mfa=True)
    t_atk = at(8, 18)
    for _ in range(50):
        t_atk += timedelta(seconds=rng.uniform(2, 6))
        bid = other_id(rng)
        w.read(a, t_atk, s, atk_ip, bid, False, ua=atk_ua, mfa=True)
        exposed.add(bid)
    w.label("session_cookie_replay", [a.user_id], [s], [atk_ip], at(8, 9, 59), t_atk, exposed)

    # 3. account-manager abuse: RGC from a new network at night creates two accounts, which
    #    log in from the same browser and pull the structure's files with NIR
    rgc, ip, ua, dev = ag["ml-rgc2"], "10.40.1.7", CHROME_WIN.format(v=136), "dev-y1"
    t = at(7, 21, 40)
    _, browsing = w.pc_login(rgc, t, ip, ua, amr=("pwd", "mfa"))
    s = w.app_login(rgc, t + timedelta(seconds=25), ip, ua, dev, mfa=True)
    fakes = [Agent(f"ml-x{k}", rgc.org, ["CONSEILLER"], [], ua=ua, device=dev) for k in (1, 2)]
    for k, f in enumerate(fakes):
        tc = t + timedelta(minutes=2 + 3 * k)
        w.app_event(rgc, tc, "USER_CREATE", s, ip, ua, dev, True, target_user_id=f.user_id,
                    target_email=f"{f.user_id}@ml.example.fr", target_roles=f.roles, target_org_siret=rgc.org)
        w.app_event(rgc, tc + timedelta(seconds=30), "USER_ROLE_GRANT", s, ip, ua, dev, True,
                    target_user_id=f.user_id, target_roles=["CONSEILLER", "SUPERVISEUR"])
    exposed, sessions = set(), [s]
    nxt = 7_000_000
    for i, hour in ((7, 22), (8, 9), (9, 9)):
        for f in fakes:
            t = at(i, hour, 10 if f.user_id.endswith("1") else 40)
            w.pc_login(f, t, ip, ua, browsing=browsing, amr=("pwd", "mfa"))
            fs = w.app_login(f, t + timedelta(seconds=25), ip, ua, dev, mfa=True)
            sessions.append(fs)
            t += timedelta(seconds=30)
            for _page in range(5):
                t += timedelta(seconds=2)
                w.app_event(f, t, "STRUCTURE_BENEFICIARY_LIST", fs, ip, ua, dev, True, beneficiary_count=500)
            for _ in range(1200):
                t += timedelta(milliseconds=rng.randint(200, 900))
                bid = bid_of(nxt)
                nxt += 1
                w.read(f, t, fs, ip, bid, False, ua=ua, device=dev, nir=True, mfa=True)
                exposed.add(bid)
    w.label("account_manager_abuse", [rgc.user_id] + [f.user_id for f in fakes], sessions, [ip],
            at(7, 21, 40), t, exposed)

    # 4. abused advisor accounts, evenings, scripted pacing, far beyond the portfolio
    for uid, ip in (("ce-c01", "10.20.7.7"), ("ce-c02", "10.20.8.8")):
        a = ag[uid]
        exposed, sessions = set(), []
        for i in (8, 9):
            t = at(i, 20, 30)
            w.pc_login(a, t, ip, a.ua)
            s = w.app_login(a, t + timedelta(seconds=25), ip)
            sessions.append(s)
            for _ in range(700):
                t += timedelta(milliseconds=rng.randint(800, 1600))
                bid = other_id(rng)
                w.read(a, t, s, ip, bid, False)
                exposed.add(bid)
        w.label("abused_advisor_accounts", [uid], sessions, [ip], at(8, 20, 30), t, exposed)

    # 5. low and slow: 350-450 out-of-portfolio records a day in working hours, human pace
    a, ip = ag["ml-m08"], "198.51.100.99"
    exposed, sessions = set(), []
    for i in (2, 3, 4, 7, 8, 9):
        t = at(i, 10, 0)
        w.pc_login(a, t, ip, a.ua)
        s = w.app_login(a, t + timedelta(seconds=25), ip)
        sessions.append(s)
        for _ in range(rng.randint(350, 450)):
            t += timedelta(seconds=rng.randint(20, 70))
            bid = other_id(rng)
            w.read(a, t, s, ip, bid, False)
            exposed.add(bid)
    w.label("low_and_slow", [a.user_id], sessions, [ip], at(2, 10), t, exposed)
    campaign(w, ag)


CAMPAIGN_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/131.0.6778.86 Safari/537.36")
ROLLOUT_UA = CHROME_WIN.format(v=139)


def campaign(w: World, ag: dict[str, Agent]) -> None:
    """6. A campaign: one operator, three accounts of unrelated structures, each well under 300
    reads a day, from different IPs of one proxy network with one rare browser build; and the
    traps that could wrongly link accounts (a browser rolled out to many accounts on one day,
    a new regional VPN range), each with a little out-of-portfolio reading of its own. Its own
    random stream, so the rest of the world is unchanged."""
    rng = random.Random(4242)
    days = {"of-u02": (4, 7, 8, 9), "ml2-v01": (7, 8, 9), "ml-m01": (8, 9)}
    exposed: set[str] = set()
    sessions: list[str] = []
    ips: set[str] = set()
    for uid, ds in days.items():
        a = ag[uid]
        dev = "dev-c-" + uid
        for i in ds:
            ip = f"10.50.{rng.randint(1, 250)}.{rng.randint(1, 250)}"
            ips.add(ip)
            t = at(i, 15, rng.randint(0, 50))
            w.pc_login(a, t, ip, CAMPAIGN_UA)
            s = w.app_login(a, t + timedelta(seconds=25), ip, CAMPAIGN_UA, dev)
            sessions.append(s)
            for _ in range(rng.randint(90, 130)):
                t += timedelta(seconds=rng.randint(15, 50))
                bid = other_id(rng)
                w.read(a, t, s, ip, bid, False, ua=CAMPAIGN_UA, device=dev)
                exposed.add(bid)
    w.label("campaign", list(days), sessions, sorted(ips), at(4, 15), at(9, 18), exposed)

    # trap 4: a browser version rolled out to many accounts on one day; two of them also read
    # some files out of portfolio that day (a reassignment), from their office
    for uid in ("ml2-v02", "ml-rgc1", "ml-m02", "ml-m07", "of-u01", "ce-c01", "ml-dir1", "ml-m05"):
        a = ag[uid]
        t = at(9, 11, rng.randint(0, 30))
        s = w.app_login(a, t, a.ip, ROLLOUT_UA, mfa=True)
        out = 80 if uid in ("ml2-v02", "ml-rgc1") else 0
        for k in range(out + 10):
            t += timedelta(seconds=rng.randint(20, 60))
            inp = k >= out
            w.read(a, t, s, a.ip, rng.choice(a.portfolio) if inp else other_id(rng), inp, ua=ROLLOUT_UA, mfa=True)
    # trap 3: one household, two advisors of different structures working from home in the
    # evening behind the same IPv6 /64, each with privacy addresses changing within the session
    for uid in ("ml-m06", "ml2-v02"):
        a = ag[uid]
        t = at(8, 20, rng.randint(0, 30))
        s = w.app_login(a, t, f"3fff:0:0:1::{rng.randint(1, 9999):x}", mfa=True)
        for k in range(60):
            t += timedelta(seconds=rng.randint(20, 60))
            ip = f"3fff:0:0:1:{k // 20 + 1:x}::{rng.randint(1, 9999):x}"
            inp = rng.random() < 0.9
            w.read(a, t, s, ip, rng.choice(a.portfolio) if inp else other_id(rng), inp, mfa=True)
    # trap 2: a new regional VPN range (tagged in the reference) used by two structures
    for uid, ip in (("ml-m05", "172.17.0.9"), ("ce-c03", "172.17.0.9")):
        a = ag[uid]
        t = at(9, 14, rng.randint(0, 30))
        s = w.app_login(a, t, ip, mfa=True)
        for _ in range(80):
            t += timedelta(seconds=rng.randint(20, 60))
            w.read(a, t, s, ip, other_id(rng), False, mfa=True)


def write(w: World, folder: Path) -> tuple[list[Path], Path]:
    """Raw logs, one file per source and day (as production rotates them), and the labels."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for kind, rows, key in (("app", w.app, "ts"), ("proconnect", w.pc, "time")):
        by_day: dict[str, list[dict]] = {}
        for row in rows:
            stamp = row[key]
            d = stamp[:10] if isinstance(stamp, str) else datetime.utcfromtimestamp(stamp / 1000).date().isoformat()
            by_day.setdefault(d, []).append(row)
        for d, day_rows in sorted(by_day.items()):
            day_rows.sort(key=lambda r: r[key])
            path = folder / f"{kind}-{d}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in day_rows), encoding="utf-8")
            files.append(path)
    labels = folder / "labels.json"
    labels.write_text(json.dumps(w.labels, indent=1), encoding="utf-8")
    return files, labels
