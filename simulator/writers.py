"""Lines exactly in the spec formats, one gzip file per source and UTC day.

Why string templates in Polars: optional fields must be absent (not null) when unknown, and
every value is generated here (no quotes or backslashes to escape), so each line is a
`pl.format` template of `"key":value` pieces, one template per shape of present fields, which
is many times faster than a JSON encoder. Lines are sorted by time per file; gzip headers carry
no mtime (same seed, same bytes).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from isal import isal_zlib

from simulator import ids
from simulator.calendar import PARIS
from simulator.context import Sim
from simulator.population import SP_ID

APP_SPEC = [
    ("ts", "s"), ("event_id", "s"), ("event_type", "s"), ("outcome", "s"), ("http_method", "s"),
    ("url_route", "s"), ("http_status", "r"), ("bytes_out", "r"), ("duration_ms", "r"),
    ("_actor", "f"), ("_email_frag", "f"), ("auth_acr", "s"), ("auth_amr", "r"),
    ("auth_time", "s"), ("app_session_id", "s"), ("src_ip", "s"), ("user_agent", "s"),
    ("device_id", "s"), ("beneficiary_id", "s"), ("beneficiary_count", "r"), ("record_type", "s"),
    ("contains_nir", "r"), ("in_portfolio", "r"), ("search_params", "r"), ("export_format", "s"),
    ("rows_exported", "r"), ("target_user_id", "s"), ("target_email", "s"), ("target_roles", "r"),
    ("target_org_siret", "s"), ("request_id", "s"),
]
PC_SPEC = [
    ("levelNumber", "r"), ("level", "s"), ("_level", "f"), ("time", "r"), ("pid", "r"), ("hostname", "s"),
    ("category", "s"), ("logId", "s"), ("event", "s"), ("step", "s"), ("code", "s"), ("msg", "s"),
    ("message", "s"), ("id", "s"), ("type", "s"), ("statusCode", "r"), ("optionalParams", "r"),
    ("ip", "s"), ("forwardedFor", "s"), ("source", "r"), ("userAgent", "s"), ("method", "s"),
    ("path", "s"), ("requestId", "s"), ("sessionId", "s"), ("browsingSessionId", "s"),
    ("interactionId", "s"), ("spId", "s"), ("spName", "s"), ("spEssentialAcr", "s"),
    ("_idp1", "f"), ("_idp2", "f"), ("idpAcr", "s"), ("idpAmr", "r"), ("interactionAcr", "s"),
    ("spAmr", "r"), ("amr", "r"), ("_sp3", "f"), ("spSiret", "s"), ("accountId", "s"),
    ("_ident", "f"), ("_inter", "f"), ("_oidc_error", "f"),
    ("reusesActiveSession", "r"), ("deviceTrusted", "r"), ("deviceIsSuspicious", "r"),
    ("deviceKnown", "r"), ("deviceNewIdentity", "r"), ("deviceAccountCount", "r"),
]
# ProConnect's legacy steps (back/apps/core-fca-low/src/config/tracking.ts before Sep 2025)
LEGACY_STEPS = {"FC_SSO_INITIATED": "1.1.0", "FC_REDIRECTED_TO_HINTED_IDP": "2.1.0"}
HOSTS = ["pc-core-7d9f8b6c5-xk2lp", "pc-core-7d9f8b6c5-m4q8z", "pc-core-7d9f8b6c5-b7tn2",
         "pc-core-7d9f8b6c5-w9d3f"]
# Technical lines of the federation (tests/fixtures/eras/README.md names the code each comes
# from): (level, level number, code, message, event). Before Oct 2025 the main logger wrote a
# numeric `level` (syslog-like levels) and `msg`; from then `levelNumber` + label and `message`.
TECH = [("info", 30, "invalid-session-exception", "Session not found or expired", None),
        ("warn", 40, "oidc-provider-rendered-error:access_denied", "access_denied", None),
        ("error", 50, "oidc-provider-error:invalid_grant", None, "grant.error"),
        ("warn", 40, "core-fca-unknown-idp-exception", "Identity provider not found", None),
        ("error", 50, "Y500015", "Utilisateur hors de l'organisation du fournisseur de service", None),
        ("error", 50, "redis-timeout", "Redis command timed out", None),
        ("info", 30, None, "Logger is ready and native console is now overloaded.", None),
        ("info", 30, None, "Nest application successfully started", None)]
# the syslog-like numbers of the main logger before Oct 2025 (info 20, notice 30, warning 40...)
OLD_LEVEL = {30: 30, 40: 40, 50: 50}
ERAS = ("legacy", "sep_oct_2025", "single_amr", "current")


def era(sim: Sim, day: date) -> int:
    """The federation's format era of a day: 0 legacy, 1 Sep-Oct 2025, 2 Oct 2025-Aug 2026, 3 current."""
    opts = sim.opts
    if day < opts.cutover:
        return 0
    if opts.amr_cutover is not None and day < opts.amr_cutover:
        return 1
    if opts.current_cutover is not None and day < opts.current_cutover:
        return 2
    return 3


def encode(frame: pl.DataFrame, spec: list[tuple[str, str]]) -> pl.Series:
    """One JSON object per row: `"key":value` pieces, absent (not null) when the value is null.

    Rows are grouped by which of their fields are null (a dozen shapes a day); each shape is
    one flat `pl.format` template over its columns, several times faster than a null-skipping
    concatenation of per-field pieces. Kinds: "s" quoted string, "r" raw value (number, bool,
    JSON text), "f" a pre-built fragment of `"key":value` pairs.
    """
    n = frame.height
    cols = [(name, kind) for name, kind in spec
            if name in frame.columns and frame[name].null_count() < n]
    if n == 0:
        return pl.Series("line", [], dtype=pl.String)
    frame = frame.select([c for c, _ in cols])  # gather only what the lines use
    optional = [name for name, _ in cols if frame[name].null_count() > 0]
    if optional:
        mask = frame.select(pl.sum_horizontal(
            [pl.col(c).is_not_null().cast(pl.Int64) * (1 << i) for i, c in enumerate(optional)]
        )).to_series().to_numpy()
        shapes = np.unique(mask)
    else:
        mask, shapes = None, np.zeros(1, dtype=np.int64)
    bit = {c: 1 << i for i, c in enumerate(optional)}
    parts, rows = [], []
    for shape in shapes:
        present = [(c, k) for c, k in cols if c not in bit or int(shape) & bit[c]]
        template, lit = [], "{"
        for c, k in present:
            sep = "" if lit == "{" else ","
            if k == "f":
                lit += sep
            elif k == "s":
                lit += f'{sep}"{c}":"'
            else:
                lit += f'{sep}"{c}":'
            template.append(lit.replace("{", "{{").replace("}", "}}") + "{}")
            lit = '"' if k == "s" else ""
        template.append((lit + "}").replace("{", "{{").replace("}", "}}") + "\n")
        if mask is None or len(shapes) == 1:
            sub = frame
        else:
            idx = np.flatnonzero(mask == shape)
            rows.append(idx)
            sub = frame[idx]
        parts.append(sub.select(pl.format("".join(template), *[c for c, _ in present]))
                     .to_series())
    if len(parts) == 1:
        return parts[0].alias("line")
    order = np.empty(n, dtype=np.int64)
    order[np.concatenate(rows)] = np.arange(n)
    return pl.concat(parts).gather(order).alias("line")


def actor_table(sim: Sim) -> pl.DataFrame:
    pop = sim.pop
    rows_actor, rows_email, idp1, idp2, sp3, acc, ident, hint = [], [], [], [], [], [], [], []
    from simulator.population import IDPS

    for a in pop.agents:
        org = pop.orgs[a.org]
        roles = ",".join(f'"{r}"' for r in a.roles)
        sub = f'"actor_pc_sub":"{a.pc_sub}",' if a.pc_sub else ""
        rows_actor.append(f'"actor_user_id":"{a.user_id}",{sub}"actor_org_siret":"{org.siret}",'
                          f'"actor_org_type":"{org.org_type}","actor_roles":[{roles}]')
        rows_email.append(f'"actor_email":"{a.email}"')
        name, idp_id, idp_siret = IDPS[a.idp]
        idp1.append(f'"idpId":"{idp_id}","idpName":"{name}","idpLabel":"{name}"')
        idp2.append(f'"idpSub":"{a.idp_sub}","idpEmail":"{a.email}",'
                    f'"idpEmailFqdn":"{a.email.split("@")[1]}","idpSiret":"{org.siret}"')
        sp3.append(f'"spSub":"{a.pc_sub}"')
        acc.append(ids.hex1(sim.seed, 61, 64, a.idx))
        # what oidc-client-info:get-userinfo logs: the IdP identity, in clear (names from the
        # address, a mobile number derived from the account)
        given, _, usual = a.email.split("@")[0].partition(".")
        phone = f"06 {a.idx // 1000000 % 100:02d} {a.idx // 10000 % 100:02d} {a.idx // 100 % 100:02d} {a.idx % 100:02d}"
        ident.append(f'"plainIdpIdentity":{{"email":"{a.email}","given_name":"{given.capitalize()}",'
                     f'"usual_name":"{usual.capitalize()}","phone_number":"{phone}","siret":"{org.siret}",'
                     f'"sub":"{a.idp_sub}"}}')
        hint.append(a.email)
    return pl.DataFrame({"_actor": rows_actor, "_email_frag": rows_email, "_idp1": idp1,
                         "_idp2": idp2, "_sp3": sp3, "_account": acc, "_ident_frag": ident, "_hint": hint})


CHUNK = 1 << 18  # rows turned into lines and compressed at a time (bounds a file's memory)


def app_lines(sim: Sim, frame: pl.DataFrame, day_no: int, actors: pl.DataFrame) -> pl.DataFrame:
    """Materialise an app day frame (sorted) into lines; keeps `_t` and `_atk` beside them."""
    return _concat(app_chunks(sim, frame, day_no, actors, max(1, frame.height)))


def app_chunks(sim: Sim, frame: pl.DataFrame, day_no: int, actors: pl.DataFrame,
               size: int | None = None, order: np.ndarray | None = None
               ) -> Iterator[tuple[int, pl.DataFrame]]:
    """`app_lines` by blocks of `size` rows: (first row, lines); every per-row draw and id is
    made for the whole file first, so the lines do not depend on the block size. With `order`,
    the file's rows are `frame[order]` (gathered block by block, never all at once)."""
    n, size = frame.height, size or CHUNK
    rng = np.random.default_rng([sim.seed, 71, day_no])
    h_all = ids.derive(sim.seed, 72, day_no, np.arange(n))
    off_all = rng.random(n) < sim.opts.offset_share
    # a fixed Paris offset per file: any offset names the same instant, and it avoids a
    # per-row time-zone conversion (the most expensive part of the app lines)
    first = int(frame["_t"][0 if order is None else int(order[0])]) if n else 0
    off_min = int(datetime.fromtimestamp(first / 1000, tz=PARIS).utcoffset().total_seconds() // 60)
    suffix = f"+{off_min // 60:02d}:{off_min % 60:02d}"
    fmt = "%Y-%m-%dT%H:%M:%S%.3f"
    for lo in range(0, n, size):
        part = _block(frame, order, lo, size)
        h = h_all[lo:lo + size]
        a = part["_a"].to_numpy()
        part = part.with_columns(
            event_id=ids.uuids(h),
            request_id=pl.when(pl.col("http_method").is_not_null()).then(ids.hex_ids(h ^ np.uint64(5), 12)),
            _actor=actors["_actor"].gather(a),
            _email_frag=pl.when(pl.col("_email")).then(actors["_email_frag"].gather(a)),
            _off=pl.Series(off_all[lo:lo + size]),
        )
        part = part.with_columns(ts=pl.when(pl.col("_off")).then(
            (pl.col("_t") + off_min * 60_000).cast(pl.Datetime("ms")).dt.strftime(fmt + suffix)
        ).otherwise(pl.col("_t").cast(pl.Datetime("ms")).dt.strftime(fmt + "Z")))
        yield lo, part.select("_t", "_atk", line=encode(part, APP_SPEC))


def _block(frame: pl.DataFrame, order: np.ndarray | None, lo: int, size: int) -> pl.DataFrame:
    return frame.slice(lo, size) if order is None else frame[order[lo:lo + size]]


def _concat(chunks: Iterator[tuple[int, pl.DataFrame]]) -> pl.DataFrame:
    parts = [lines for _, lines in chunks]
    if not parts:
        return pl.DataFrame({"_t": [], "_atk": [], "line": []},
                            schema={"_t": pl.Int64, "_atk": pl.Int16, "line": pl.String})
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def pc_lines(sim: Sim, frame: pl.DataFrame, day: date, day_no: int,
             actors: pl.DataFrame) -> pl.DataFrame:
    """Materialise a ProConnect day frame into lines, legacy variant before the cut-over."""
    return _concat(pc_chunks(sim, frame, day, day_no, actors, max(1, frame.height)))


def pc_chunks(sim: Sim, frame: pl.DataFrame, day: date, day_no: int, actors: pl.DataFrame,
              size: int | None = None, order: np.ndarray | None = None
              ) -> Iterator[tuple[int, pl.DataFrame]]:
    """`pc_lines` by blocks of `size` rows (as `app_chunks`)."""
    rng = np.random.default_rng([sim.seed, 81, day_no])
    n, size = frame.height, size or CHUNK
    host_all = rng.integers(0, len(HOSTS), n)
    h_all = ids.derive(sim.seed, 82, day_no, np.arange(n))
    fmt = era(sim, day)
    port_all = rng.integers(30000, 65000, n) if fmt == 0 else None
    for lo in range(0, n, size):
        part = _block(frame, order, lo, size)
        host, h = host_all[lo:lo + size], h_all[lo:lo + size]
        port = None if port_all is None else port_all[lo:lo + size]
        yield lo, _pc_part(part, host, h, port, actors, fmt)


def _pc_part(frame: pl.DataFrame, host: np.ndarray, h: np.ndarray, port_n: np.ndarray | None,
             actors: pl.DataFrame, fmt: int = 3) -> pl.DataFrame:
    a = np.maximum(frame["_a"].to_numpy(), 0)
    lvl = pl.col("_lvl")
    for name, dtype in (("code", pl.String), ("_info", pl.String), ("levelNumber", pl.Int64), ("level", pl.String),
                        ("msg", pl.String), ("event", pl.String), ("forwardedFor", pl.String),
                        ("spAmr", pl.String), ("idpAmr", pl.String), ("interactionId", pl.String)):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    frame = frame.with_columns(
        levelNumber=pl.col("levelNumber").fill_null(30) if "levelNumber" in frame.columns else pl.lit(30),
        level=pl.col("level").fill_null("info") if "level" in frame.columns else pl.lit("info"),
        time=pl.col("_t"),
        pid=pl.Series(np.array([17, 23, 19, 31])[host] + 1000),
        hostname=pl.Series(HOSTS).gather(host),
        requestId=ids.uuids(h),
        _idp1=pl.when(lvl >= 1).then(actors["_idp1"].gather(a)),
        _idp2=pl.when(lvl >= 2).then(actors["_idp2"].gather(a)),
        _sp3=pl.when(lvl >= 3).then(actors["_sp3"].gather(a)),
        _ident=pl.when(pl.col("_info") == "userinfo").then(actors["_ident_frag"].gather(a)),
        _inter=pl.when(pl.col("_info") == "interaction").then(pl.concat_str([
            pl.lit('"interaction":{"params":{"acr_values":"eidas1","client_id":"' + SP_ID + '","login_hint":"'),
            actors["_hint"].gather(a), pl.lit('","nonce":"[OBFUSCATED]","prompt":"login","response_type":"code",'
                                              '"scope":"openid email given_name usual_name siret",'
                                              '"state":"[OBFUSCATED]"},"id":"'),
            pl.col("interactionId"), pl.lit('"}')])),
        _oidc_error=pl.when(pl.col("event") == "grant.error").then(pl.lit(
            '"originalError":{"error":"invalid_grant","error_description":"grant request is invalid",'
            '"name":"InvalidGrant","statusCode":400}')),
    )
    technical_row = pl.col("event").is_null() | pl.col("code").is_not_null()
    proxy = pl.concat_str([pl.col("ip"), pl.lit(", 10.80.0."), pl.Series(host + 2).cast(pl.String)])
    if fmt <= 1:
        # before Oct 2025: no levelNumber; the main logger's technical lines have a numeric level
        frame = frame.with_columns(
            _level=pl.when(technical_row).then(pl.format('"level":{}', pl.col("levelNumber"))),
            level=pl.when(technical_row).then(pl.lit(None, pl.String)).otherwise(pl.col("level")),
            levelNumber=pl.lit(None, pl.Int64),
        )
    if fmt in (1, 2):
        # one `amr` (the SP's) instead of spAmr/idpAmr
        frame = frame.with_columns(amr=pl.col("spAmr"), spAmr=pl.lit(None, pl.String), idpAmr=pl.lit(None, pl.String))
    if fmt == 1:
        # Sep-Oct 2025: `ip` held the raw X-Forwarded-For header (client, then the proxy); `logId`
        frame = frame.with_columns(
            ip=pl.when(pl.col("forwardedFor").is_not_null()).then(proxy).otherwise(pl.col("ip")),
            forwardedFor=pl.lit(None, pl.String),
            logId=pl.when(~technical_row).then(ids.uuids(h ^ np.uint64(9))),
        )
    if fmt <= 1:
        # technical lines of the time: `msg`, not `message`
        frame = frame.with_columns(msg=pl.coalesce(pl.col("msg"), pl.col("message"))
                                   if "message" in frame.columns else pl.col("msg"))
        if "message" in frame.columns:
            frame = frame.drop("message")
    if port_n is not None:
        ev = pl.col("event")
        port = pl.Series(port_n).cast(pl.String)
        frame = frame.with_columns(
            category=pl.when(ev.is_in(["SP_REQUESTED_FC_TOKEN", "SP_REQUESTED_FC_USERINFO"]))
            .then(pl.lit("BACK_CINEMATIC"))
            .when(ev == "FC_SHOWED_IDP_CHOICE").then(pl.lit("DISCOVERY"))
            .when(~technical_row).then(pl.lit("FRONT_CINEMATIC")),
            logId=pl.when(~technical_row).then(ids.uuids(h ^ np.uint64(9))),
            # source.address (and `ip` beside it) is the raw X-Forwarded-For: client, proxy
            _xff=pl.when(pl.col("forwardedFor").is_not_null()).then(proxy).otherwise(pl.col("ip")),
        ).with_columns(
            source=pl.when(pl.col("ip").is_not_null() & ~technical_row).then(pl.concat_str([
                pl.lit('{"address":"'), pl.col("_xff"), pl.lit('","port":'), port,
                pl.lit(',"original_addresses":"'), pl.col("_xff"), pl.lit('"}')])),
            step=pl.when(ev.is_in(list(LEGACY_STEPS)))
            .then(ev.replace_strict(LEGACY_STEPS, default=None)).otherwise(pl.col("step")),
            accountId=pl.when(lvl >= 3).then(actors["_account"].gather(a)),
            reusesActiveSession=pl.when(ev.is_in(["FC_AUTHORIZE_INITIATED", "FC_SSO_INITIATED",
                                                  "FC_VERIFIED"])).then(pl.col("_sso")),
            deviceKnown=pl.when(ev == "FC_VERIFIED").then(pl.col("_known")),
            deviceTrusted=pl.when(ev == "FC_VERIFIED").then(pl.col("_known")),
            deviceIsSuspicious=pl.when(ev == "FC_VERIFIED").then(pl.lit(False)),
            deviceNewIdentity=pl.when(ev == "FC_VERIFIED").then(~pl.col("_known")),
            deviceAccountCount=pl.when(ev == "FC_VERIFIED").then(pl.lit(1)),
        ).with_columns(
            ip=pl.when(technical_row).then(pl.col("ip")).otherwise(pl.col("_xff")),
            forwardedFor=pl.when(technical_row).then(pl.col("forwardedFor")),
        ).drop("_xff")
    return frame.select("_t", "_atk", line=encode(frame, PC_SPEC))


def technical(sim: Sim, day_no: int, t0: int, t1: int, n_lines: int, fmt: int = 3) -> pl.DataFrame:
    """Technical lines of the federation at `technical_line_rate`: same envelope, a `code` (or
    start-up lines with neither code nor event, or an oidc-provider error with its own `event`)."""
    rng = np.random.default_rng([sim.seed, 91, day_no])
    n = int(rng.poisson(sim.opts.technical_line_rate * n_lines))
    pick = rng.integers(0, len(TECH), n)
    ips = [f"10.{int(x)}.{int(y)}.{int(z)}" for x, y, z in rng.integers(0, 3, (n, 3)) * [1, 80, 90]]
    return pl.DataFrame({
        "_t": np.sort(rng.integers(t0, t1, n)).astype(np.int64),
        "_a": np.full(n, -1, np.int32), "_atk": np.full(n, -1, np.int16),
        "_lvl": np.zeros(n, np.int8),
        "levelNumber": [TECH[i][1] for i in pick], "level": [TECH[i][0] for i in pick],
        "code": [TECH[i][2] for i in pick],
        "message": [TECH[i][3] if TECH[i][2] else None for i in pick],
        "msg": [None if TECH[i][2] else TECH[i][3] for i in pick],
        "event": [TECH[i][4] for i in pick],
        "ip": [ip if TECH[i][2] else None for i, ip in zip(pick, ips, strict=True)],
    }, schema_overrides={"levelNumber": pl.Int64, "level": pl.String, "code": pl.String, "message": pl.String,
                         "msg": pl.String, "event": pl.String, "ip": pl.String})


def flow_info(sim: Sim, frame: pl.DataFrame, day: date) -> pl.DataFrame:
    """The info lines the current federation writes beside a login's tracked events, on the same
    stream: `oidc-provider-info:interaction.saved` at each authorize (with the SP's login hint)
    and `oidc-client-info:get-userinfo` after each IdP callback (the IdP identity in clear).
    Only in the current era; never an attack's line (the labels stay those of the events)."""
    if era(sim, day) < 3 or frame.height == 0 or "event" not in frame.columns:
        return pl.DataFrame()
    ev = pl.col("event")
    rows = frame.filter(ev.is_in(["FC_AUTHORIZE_INITIATED", "IDP_CALLEDBACK"]))
    return rows.select(
        _t=pl.col("_t") + pl.when(ev == "IDP_CALLEDBACK").then(400).otherwise(50),
        _a=pl.col("_a"), _atk=pl.lit(-1, pl.Int16), _lvl=pl.lit(0, pl.Int8),
        code=pl.when(ev == "IDP_CALLEDBACK").then(pl.lit("oidc-client-info:get-userinfo"))
        .otherwise(pl.lit("oidc-provider-info:interaction.saved")),
        _info=pl.when(ev == "IDP_CALLEDBACK").then(pl.lit("userinfo")).otherwise(pl.lit("interaction")),
        ip=pl.col("ip"), forwardedFor=pl.col("forwardedFor"), userAgent=pl.col("userAgent"),
        method=pl.col("method"), path=pl.col("path"), sessionId=pl.col("sessionId"),
        browsingSessionId=pl.col("browsingSessionId"), interactionId=pl.col("interactionId"),
    )


class GzipSink:
    """Lines appended block by block to one deterministic gzip member (no mtime in the header).

    Levels 0-3 use ISA-L (`isal`), several times faster than zlib at level 1 and smaller; the
    stream is compressed as it comes, so a file never holds all its lines at once. Higher
    levels (the committed sample) keep Polars' writer on the whole file, as before.
    """

    def __init__(self, path: Path, level: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.level = path, level
        self.tmp = path.with_suffix(path.suffix + ".tmp")
        self.parts: list[pl.Series] = []
        self.fh = open(self.tmp, "wb") if level <= 3 else None  # noqa: SIM115
        self.z = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31) if self.fh else None

    def write(self, lines: pl.Series) -> None:
        if self.fh is None:
            self.parts.append(lines)
        elif len(lines):
            self.fh.write(self.z.compress(_buffer(lines)))

    def close(self) -> None:
        if self.fh is None:
            write_gz(self.path, pl.concat(self.parts) if self.parts else pl.Series([], dtype=pl.String),
                     self.level)
            return
        self.fh.write(self.z.flush())
        self.fh.close()
        self.tmp.replace(self.path)


def _buffer(lines: pl.Series) -> memoryview:
    """The lines' characters end to end, straight from the Arrow data buffer (no Python str)."""
    arr = lines.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def write_gz(path: Path, lines: pl.Series, level: int) -> None:
    """Write the already newline-terminated lines as one deterministic gzip member.

    Polars' own gzip writer (Rust, off the GIL) is about twice as fast as the zlib module at
    the same ratio; its header has no mtime and its output does not depend on the thread count,
    so the same seed still gives the same bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    if len(lines) == 0:
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                    compresslevel=level, mtime=0):
            pass
    else:
        pl.DataFrame({"line": lines}).write_csv(
            tmp, include_header=False, quote_style="never", line_terminator="",
            compression="gzip", compression_level=level, check_extension=False)
    tmp.replace(path)
