"""The ProConnect session model: full logins, SSO reuse within 12 h, logouts, replays.

Why a per-browser state machine: the detections rely on exact semantics (sessionId
regenerated at IDP_CALLEDBACK, browsingSessionId stable until logout, FC_SSO_INITIATED only
while the 12-hour cookie lives, back-channel calls from the SP's servers), so every login of
every segment goes through the same rules, attackers' included.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import ids
from simulator.calendar import HOUR_MS
from simulator.context import BrowserState, Day, Segment
from simulator.population import SP_ID, SP_NAME
from simulator.useragents import SP_CLIENT

SESSION_MS = 12 * HOUR_MS
MFA_AMR = '["pwd","totp","mfa"]'
PWD_AMR = '["pwd"]'

# (event, step, method, path, identity level, back-channel)
FULL = [
    ("FC_AUTHORIZE_INITIATED", "1.0.0", "GET", "/api/v2/authorize", 0, False),
    ("FC_SHOWED_IDP_CHOICE", "2.0.0", "GET", "/api/v2/interaction/{uid}", 0, False),
    ("IDP_CHOSEN", "3.0.0", "POST", "/api/v2/interaction/identity/provider", 1, False),
    ("IDP_CALLEDBACK", "4.0.0", "GET", "/api/v2/oidc-callback", 1, False),
    ("FC_REQUESTED_IDP_TOKEN", "4.1.0", "GET", "/api/v2/oidc-callback", 1, False),
    ("FC_REQUESTED_IDP_USERINFO", "4.2.0", "GET", "/api/v2/oidc-callback", 2, False),
    ("FC_VERIFIED", "5.0.0", "GET", "/api/v2/login", 3, False),
    ("SP_REQUESTED_FC_TOKEN", "7.1.0", "POST", "/api/v2/token", 3, True),
    ("SP_REQUESTED_FC_USERINFO", "7.2.0", "GET", "/api/v2/userinfo", 3, True),
]
SSO = [
    ("FC_AUTHORIZE_INITIATED", "1.0.0", "GET", "/api/v2/authorize", 0, False),
    ("FC_SSO_INITIATED", "2.1.0", "GET", "/api/v2/interaction/{uid}", 3, False),
    ("FC_VERIFIED", "5.0.0", "GET", "/api/v2/login", 3, False),
    ("SP_REQUESTED_FC_TOKEN", "7.1.0", "POST", "/api/v2/token", 3, True),
    ("SP_REQUESTED_FC_USERINFO", "7.2.0", "GET", "/api/v2/userinfo", 3, True),
]
LOGOUT = [
    ("SP_REQUESTED_LOGOUT", "8.0.0", "GET", "/api/v2/session/end", 3, False),
    ("FC_REQUESTED_LOGOUT_FROM_IDP", "8.1.0", "GET", "/api/v2/session/end", 3, False),
    ("FC_SESSION_TERMINATED", "8.2.0", "GET", "/api/v2/client/logout-callback", 3, False),
]


def browser(day: Day, device: int) -> BrowserState:
    sim = day.sim
    st = sim.browsers.get(device)
    if st is None:
        st = BrowserState(bsid=ids.uuid1(sim.seed, 21, device, 0))
        sim.browsers[device] = st
    return st


def _acr_for(day: Day, seg: Segment) -> tuple[str, str]:
    sim = day.sim
    agent = sim.pop.agents[seg.agent]
    if seg.params.get("force_pwd"):
        return "eidas1", PWD_AMR
    if seg.params.get("force_mfa") or agent.mfa_u < sim.mfa_share(day.index):
        return "eidas1-mfa", MFA_AMR
    return "eidas1", PWD_AMR


class LoginLog:
    """Rows collected during the day's login loop, expanded into events at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.app_rows: list[tuple] = []

    def add(self, kind: int, times: tuple, seg: Segment, s0: str | None, s1: str, bsid: str,
            known: bool, atk: int, backend: str) -> None:
        self.rows.append((kind, *times, seg.agent, seg.ip, seg.ua, s0, s1, bsid, seg.acr, seg.amr,
                          known, atk, backend))


def run_logins(day: Day, segments: list[Segment]) -> None:
    """Walk the day's segments in time order through each browser's session state."""
    sim, rng = day.sim, day.rng
    log = LoginLog()
    app_rows = log.app_rows
    for seg in sorted(segments, key=lambda s: (s.t0, s.agent)):
        if seg.app_session is None:
            seg.app_session = "s-" + ids.hex1(sim.seed, 31, 16, day.index, sim.next_id())
        if seg.login in ("none", "continue"):
            seg.act_start = seg.t0
            continue
        st = browser(day, seg.device)
        backend = f"10.46.0.{11 + int(rng.integers(0, 4))}"
        t = seg.t0
        if seg.login == "replay":
            # a stolen cookie: the victim's session and browsing id, another machine, no new login
            victim = seg.params["victim_seg"]
            seg.app_session = victim.app_session
            seg.pc_session, seg.bsid = victim.pc_session, victim.bsid
            seg.acr, seg.amr = victim.acr, victim.amr
            t_ver = t + 200 + int(rng.integers(150, 400))
            t_spt = t_ver + int(rng.integers(500, 1500))
            log.add(2, (t, t + 200, 0, t_ver, t_spt), seg, None, victim.pc_session,
                    victim.bsid, False, seg.atk, backend)
            seg.act_start = t_spt + 2000
            continue
        fresh = st.session is not None and t + 200 - st.created < SESSION_MS - 60_000
        if fresh and not seg.params.get("force_full"):
            seg.acr, seg.amr = st.acr, st.amr
            t_ver = t + 200 + int(rng.integers(150, 450))
            t_spt = t_ver + int(rng.integers(500, 1500))
            log.add(1, (t, t + 200, 0, t_ver, t_spt), seg, None, st.session, st.bsid, st.known,
                    seg.atk, backend)
        else:
            seg.acr, seg.amr = _acr_for(day, seg)
            s0 = ids.hex1(sim.seed, 32, 128, day.index, sim.next_id())
            s1 = ids.hex1(sim.seed, 33, 128, day.index, sim.next_id())
            t_chosen = t + 300 + int(rng.integers(2500, 15000))
            t_cb = t_chosen + int(rng.integers(6000, 40000)) + (
                int(rng.integers(10000, 40000)) if seg.amr == MFA_AMR else 0)
            t_ver = t_cb + int(rng.integers(400, 900))
            t_spt = t_ver + int(rng.integers(500, 1500))
            log.add(0, (t, t_chosen, t_cb, t_ver, t_spt), seg, s0, s1, st.bsid, st.known,
                    seg.atk, backend)
            st.session, st.created, st.acr, st.amr = s1, t_cb, seg.acr, seg.amr
        st.known = True
        seg.pc_session, seg.bsid = st.session, st.bsid
        seg.auth_time = t_ver
        t_cb_app = t_spt + int(rng.integers(300, 1800))
        app_rows.append((t - 150, "LOGIN_REDIRECT_TO_PROCONNECT", seg, False))
        app_rows.append((t_cb_app, "LOGIN_CALLBACK_SUCCESS", seg, True))
        app_rows.append((t_cb_app + 25, "SESSION_CREATED", seg, True))
        seg.act_start = t_cb_app + 1500
        if seg.logout:
            app_rows.append((seg.t1, "LOGOUT", seg, False))
            log.rows.append((3, seg.t1 + 200, 0, 0, 0, 0, seg.agent, seg.ip, seg.ua, None,
                             st.session, st.bsid, seg.acr, seg.amr, True, seg.atk, backend))
            st.session = None
            st.bsid_n += 1
            st.bsid = ids.uuid1(sim.seed, 21, seg.device, st.bsid_n)
    if log.rows:
        day.pc.append(expand(day, log.rows))
    if app_rows:
        day.app.append(app_login_frame(day, app_rows))


def app_login_frame(day: Day, rows: list[tuple]) -> pl.DataFrame:
    devices = day.sim.pop.devices
    auth = pl.Series([r[2].auth_time if r[3] else None for r in rows], dtype=pl.Int64)
    return pl.DataFrame({
        "_t": [r[0] for r in rows],
        "_a": [r[2].agent for r in rows],
        "_atk": [r[2].atk for r in rows],
        "_email": [r[3] for r in rows],
        "event_type": [r[1] for r in rows],
        "outcome": "success",
        "http_method": ["POST" if r[1] == "LOGOUT" else "GET" for r in rows],
        "url_route": [_ROUTES[r[1]] for r in rows],
        "http_status": [302 if r[1] != "SESSION_CREATED" else None for r in rows],
        "auth_acr": [r[2].acr if r[3] else None for r in rows],
        "auth_amr": [r[2].amr if r[3] else None for r in rows],
        "auth_time": auth.cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        "app_session_id": [r[2].app_session for r in rows],
        "src_ip": [r[2].ip for r in rows],
        "user_agent": [r[2].ua for r in rows],
        "device_id": [None if r[2].device is None else devices[r[2].device].device_id
                      for r in rows],
    }, schema_overrides={"_t": pl.Int64, "_a": pl.Int32, "_atk": pl.Int16,
                         "http_status": pl.Int32, "device_id": pl.String, "auth_acr": pl.String,
                         "auth_amr": pl.String, "auth_time": pl.String})


_ROUTES = {"LOGIN_REDIRECT_TO_PROCONNECT": "/auth/proconnect/login",
           "LOGIN_CALLBACK_SUCCESS": "/auth/proconnect/callback",
           "SESSION_CREATED": "/auth/proconnect/callback", "LOGOUT": "/auth/logout"}

_COLS = ["kind", "t", "t_chosen", "t_cb", "t_ver", "t_spt", "_a", "ip", "ua", "s0", "s1", "bsid",
         "acr", "amr", "_known", "_atk", "backend"]


def expand(day: Day, rows: list[tuple]) -> pl.DataFrame:
    """One row per login (or logout) into the ProConnect events of its steps."""
    n = len(rows)
    cols = list(zip(*rows, strict=True))
    base = pl.DataFrame({name: list(values) for name, values in zip(_COLS, cols, strict=True)},
                        schema_overrides={"s0": pl.String, "_atk": pl.Int16, "_a": pl.Int32})
    h = ids.derive(day.sim.seed, 34, day.index, np.arange(n))
    base = base.with_columns(interactionId=ids.uuids(h), _i=pl.int_range(n))
    frames = []
    for kind, steps in ((0, FULL), (1, SSO), (2, SSO), (3, LOGOUT)):
        part = base.filter(pl.col("kind") == kind)
        if part.height == 0:
            continue
        for j, (event, step, method, path, lvl, back) in enumerate(steps):
            if kind == 0:
                t = [pl.col("t"), pl.col("t") + 300, pl.col("t_chosen"), pl.col("t_cb"),
                     pl.col("t_cb") + 120, pl.col("t_cb") + 260, pl.col("t_ver"), pl.col("t_spt"),
                     pl.col("t_spt") + 140][j]
            elif kind in (1, 2):
                t = [pl.col("t"), pl.col("t_chosen"), pl.col("t_ver"), pl.col("t_spt"),
                     pl.col("t_spt") + 140][j]
            else:
                t = pl.col("t") + [0, 180, 420][j]
            sid = pl.col("s0") if kind == 0 and j <= 2 else pl.col("s1")
            frames.append(part.select(
                _t=t, _a=pl.col("_a"), _atk=pl.col("_atk"), _lvl=pl.lit(lvl, pl.Int8),
                _known=pl.col("_known"), _sso=pl.lit(kind in (1, 2)), _k=pl.col("_i") * 16 + j,
                event=pl.lit(event), step=pl.lit(step),
                ip=pl.col("backend") if back else pl.col("ip"),
                forwardedFor=pl.lit(None, pl.String) if back else pl.col("ip"),
                userAgent=pl.lit(SP_CLIENT) if back else pl.col("ua"),
                method=pl.lit(method), path=pl.lit(path), sessionId=sid,
                browsingSessionId=pl.lit(None, pl.String) if back else pl.col("bsid"),
                interactionId=pl.lit(None, pl.String) if back or kind == 3 else pl.col("interactionId"),
                spId=pl.lit(SP_ID), spName=pl.lit(SP_NAME),
                spEssentialAcr=pl.lit("eidas1") if j == 0 and kind < 3 else pl.lit(None, pl.String),
                idpAcr=pl.col("acr") if lvl >= 2 and kind == 0 else pl.lit(None, pl.String),
                idpAmr=pl.col("amr") if lvl >= 2 and kind == 0 else pl.lit(None, pl.String),
                interactionAcr=pl.col("acr") if event in ("FC_VERIFIED", "FC_SSO_INITIATED")
                else pl.lit(None, pl.String),
                spAmr=pl.col("amr") if event == "FC_VERIFIED" else pl.lit(None, pl.String),
            ))
    return pl.concat(frames, how="vertical").sort("_t", "_k")
