"""Ground truth, read back from the lines actually written.

Why from the lines: the exposed set of an attack is, by construction, exactly the beneficiary
ids on its own successful lines in the files, whatever was clipped at the period's edges.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from simulator.context import Sim


class Collector:
    """Per-day attack rows folded into per-attack sets."""

    def __init__(self) -> None:
        self.app: list[pl.DataFrame] = []
        self.pc: list[pl.DataFrame] = []

    def add_app(self, frame: pl.DataFrame) -> None:
        rows = frame.filter(pl.col("_atk") >= 0)
        if rows.height:
            cols = [c for c in ("_atk", "_t", "_a", "beneficiary_id", "contains_nir", "outcome",
                                "app_session_id", "src_ip", "device_id") if c in rows.columns]
            self.app.append(rows.select(cols))

    def add_pc(self, frame: pl.DataFrame) -> None:
        rows = frame.filter(pl.col("_atk") >= 0)
        if rows.height:
            self.pc.append(rows.select("_atk", "_t", "ip", "sessionId", "browsingSessionId"))


_STR = json.encoder.encode_basestring  # the C encoder when available, as json.dumps uses


def dumps(obj: object, level: int = 0) -> str:
    """`json.dumps(obj, indent=1, ensure_ascii=False, default=str)`, byte for byte, faster.

    Why: with `indent` the standard library falls back to its pure-Python encoder, which costs
    seconds on the long exposed-beneficiary lists; here lists of plain strings or ints are
    joined in one go and everything else goes through json.dumps itself.
    """
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        ind = "\n" + " " * (level + 1)
        items = (_STR(_key(k)) + ": " + dumps(v, level + 1) for k, v in obj.items())
        return "{" + ind + ("," + ind).join(items) + "\n" + " " * level + "}"
    if isinstance(obj, pl.Series):
        return _series_json(obj, level)
    if isinstance(obj, list | tuple):
        if not obj:
            return "[]"
        ind = "\n" + " " * (level + 1)
        if all(type(x) is str for x in obj):
            body = ("," + ind).join(map(_STR, obj))
        elif all(type(x) is int for x in obj):
            body = ("," + ind).join(map(int.__repr__, obj))
        else:
            body = ("," + ind).join(dumps(x, level + 1) for x in obj)
        return "[" + ind + body + "\n" + " " * level + "]"
    return json.dumps(obj, ensure_ascii=False, default=str)


def _series_json(values: pl.Series, level: int) -> str:
    """A string Series as `dumps` writes a list of its values, joined by Polars (no Python str
    per value): the exposed sets hold millions of ids."""
    if values.len() == 0:
        return "[]"
    if values.dtype != pl.String or values.null_count() or values.str.contains(_ESCAPED).any():
        return dumps(values.to_list(), level)
    ind = "\n" + " " * (level + 1)
    body = pl.select(pl.format('"{}"', values).str.join("," + ind)).item()
    return "[" + ind + body + "\n" + " " * level + "]"


_ESCAPED = r'["\\\x00-\x1f]'  # what json.dumps would escape (ensure_ascii=False)


def _key(k: object) -> str:
    return k if isinstance(k, str) else next(iter(json.loads(json.dumps({k: 0}))))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write(sim: Sim, col: Collector, out: Path) -> list[dict]:
    """labels.json and labels.parquet; returns each attack's label without its exposed set.

    Why the exposed sets stay Polars Series: a month's attacks expose millions of ids, which
    as Python strings cost seconds to sort, encode and convert back for Parquet."""
    out.mkdir(parents=True, exist_ok=True)
    app = pl.concat(col.app, how="diagonal_relaxed") if col.app else pl.DataFrame()
    pc = pl.concat(col.pc, how="diagonal_relaxed") if col.pc else pl.DataFrame()
    app_parts = app.partition_by("_atk", as_dict=True) if app.height else {}
    pc_parts = pc.partition_by("_atk", as_dict=True) if pc.height else {}
    labels = []
    pop = sim.pop
    for k, attack in enumerate(sim.attacks):
        a = app_parts.get((k,))
        if a is None:
            continue
        p = pc_parts.get((k,), pc.clear())
        reads = a.filter((pl.col("outcome") == "success") & pl.col("beneficiary_id").is_not_null())
        exposed = reads["beneficiary_id"].unique().sort()
        with_nir = reads.filter(pl.col("contains_nir").fill_null(False))["beneficiary_id"].n_unique()
        times = [int(a["_t"].min()), int(a["_t"].max())]  # type: ignore[arg-type]
        if p.height:
            times += [int(p["_t"].min()), int(p["_t"].max())]  # type: ignore[arg-type]
        accounts = sorted(set(a["_a"].unique().to_list()))
        ips = set(a["src_ip"].drop_nulls().unique().to_list())
        if p.height:
            ips |= set(p["ip"].drop_nulls().unique().to_list())
        ips -= {f"10.46.0.{11 + i}" for i in range(4)}  # SP back-channel calls are not the attacker's
        ips -= attack.params.get("shared_ips", set())
        sessions = _sorted_unique(a["app_session_id"])
        pc_sessions = _sorted_unique(p["sessionId"]) if p.height else []
        bsids = _sorted_unique(p["browsingSessionId"]) if p.height else []
        devices = _sorted_unique(a["device_id"])
        first = min(times)
        labels.append({
            "attack_id": attack.attack_id,
            "scenario": attack.scenario,
            "malicious_accounts": [{"actor_user_id": pop.agents[i].user_id,
                                    "pc_sub": pop.agents[i].pc_sub} for i in accounts],
            "malicious_sessions": {"app_session_id": sessions, "pc_session_id": pc_sessions,
                                   "browsing_session_id": bsids},
            "malicious_ips": sorted(ips),
            "malicious_devices": devices,
            "window_start": _iso(first),
            "window_end": _iso(max(times)),
            "first_malicious_day": _iso(first)[:10],
            "exposed_beneficiaries": exposed,
            "exposed_count": exposed.len(),
            "exposed_with_nir": with_nir,
            "lines": a.height + p.height,
            "parameters": attack.params.get("public", {}),
        })
    (out / "labels.json").write_text(dumps(labels))
    _write_parquet(labels, out / "labels.parquet")
    return [{k: v for k, v in lab.items() if k != "exposed_beneficiaries"} for lab in labels]


def _sorted_unique(values: pl.Series) -> list[str]:
    return values.drop_nulls().unique().sort().to_list()


def _write_parquet(labels: list[dict], path: Path) -> None:
    """One row per attack; the nested parts as JSON text, the exposed set as a list column."""
    exposed = "exposed_beneficiaries"
    flat = pl.DataFrame([{**{k: v for k, v in lab.items() if k != exposed},
                          "malicious_sessions": json.dumps(lab["malicious_sessions"]),
                          "malicious_accounts": json.dumps(lab["malicious_accounts"]),
                          "parameters": json.dumps(lab["parameters"])} for lab in labels])
    if labels:
        column = pl.concat([lab[exposed].cast(pl.String).implode() for lab in labels]).alias(exposed)
        flat = flat.insert_column(list(labels[0]).index(exposed), column)
    flat.write_parquet(path)
