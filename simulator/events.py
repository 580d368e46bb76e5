"""The partner application's audit events, built as columns for many events at once.

Why one builder: normal work, batch integrations and every attack emit record reads, lists and
updates through the same code, so their lines differ only in what the scenario decides (who,
when, from where, which beneficiaries), never in shape.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from simulator import ids
from simulator.context import Day, Segment

# code -> (event_type, method, route, status, bytes_mean, duration_mean, record_types)
TYPES = [
    ("BENEFICIARY_RECORD_VIEW", "GET", "/api/beneficiaires/{id}", 200, 2300, 45,
     ["DOSSIER", "IDENTITE", "FORMATION", "ASSIDUITE", "DEVIS"]),
    ("BENEFICIARY_CONTACT_VIEW", "GET", "/api/beneficiaires/{id}/coordonnees", 200, 900, 30,
     ["COORDONNEES"]),
    ("BENEFICIARY_NIR_REVEAL", "POST", "/api/beneficiaires/{id}/nir", 200, 400, 60, ["IDENTITE"]),
    ("DOCUMENT_DOWNLOAD", "GET", "/api/beneficiaires/{id}/documents/{doc}", 200, 180000, 220,
     ["DOCUMENT"]),
    ("PORTFOLIO_LIST_VIEW", "GET", "/api/portefeuille", 200, 24000, 180, []),
    ("BENEFICIARY_SEARCH", "GET", "/api/beneficiaires", 200, 6000, 140, []),
    ("TRAINING_SESSION_ROSTER_VIEW", "GET", "/api/sessions/{id}/stagiaires", 200, 8000, 90, []),
    ("STRUCTURE_BENEFICIARY_LIST", "GET", "/api/structure/beneficiaires", 200, 400000, 900, []),
    ("ATTENDANCE_UPDATE", "PUT", "/api/sessions/{id}/assiduite", 204, 0, 70, ["ASSIDUITE"]),
    ("QUOTE_CREATE", "POST", "/api/devis", 201, 700, 110, ["DEVIS"]),
    ("QUOTE_SUBMIT", "POST", "/api/devis/{id}/soumission", 200, 500, 130, ["DEVIS"]),
    ("TRAINING_ENTRY_DECLARED", "POST", "/api/beneficiaires/{id}/entrees", 201, 600, 95,
     ["FORMATION"]),
    ("ACCESS_DENIED_OUT_OF_SCOPE", "GET", "/api/beneficiaires/{id}", 403, 180, 12, []),
    ("CSRF_FAILURE", "POST", "/api/devis", 403, 120, 5, []),
    ("RATE_LIMITED", "GET", "/api/beneficiaires/{id}", 429, 90, 3, []),
    ("EXPORT_REQUESTED", "POST", "/api/structure/exports", 202, 300, 250, []),
    ("EXPORT_DOWNLOADED", "GET", "/api/structure/exports/{id}", 200, 0, 1800, []),
    ("STEP_UP_REQUIRED", "GET", "/api/beneficiaires/{id}/nir", 401, 150, 8, []),
    ("USER_CREATE", "POST", "/api/admin/utilisateurs", 201, 450, 160, []),
    ("USER_ROLE_GRANT", "PUT", "/api/admin/utilisateurs/{id}/roles", 200, 300, 90, []),
    ("USER_SCOPE_CHANGE", "PUT", "/api/admin/utilisateurs/{id}/perimetre", 200, 300, 90, []),
    ("SESSION_EXPIRED", "GET", "/api/beneficiaires", 401, 120, 4, []),
]
CODE = {t[0]: i for i, t in enumerate(TYPES)}
RECORD = {"BENEFICIARY_RECORD_VIEW", "BENEFICIARY_CONTACT_VIEW", "BENEFICIARY_NIR_REVEAL",
          "DOCUMENT_DOWNLOAD"}
WITH_BENEFICIARY = RECORD | {"ATTENDANCE_UPDATE", "QUOTE_CREATE", "QUOTE_SUBMIT",
                             "TRAINING_ENTRY_DECLARED", "ACCESS_DENIED_OUT_OF_SCOPE"}
LISTS = {"PORTFOLIO_LIST_VIEW", "BENEFICIARY_SEARCH", "TRAINING_SESSION_ROSTER_VIEW",
         "STRUCTURE_BENEFICIARY_LIST"}
_T = pl.DataFrame({
    "event_type": [t[0] for t in TYPES], "http_method": [t[1] for t in TYPES],
    "url_route": [t[2] for t in TYPES], "http_status": pl.Series([t[3] for t in TYPES], dtype=pl.Int32),
    "outcome": ["denied" if t[3] is not None and t[3] >= 400 else "success" for t in TYPES],
})
_BYTES = np.array([t[4] for t in TYPES], dtype=np.float64)
_DUR = np.array([t[5] for t in TYPES], dtype=np.float64)
_RT_NAMES = ["DOSSIER", "IDENTITE", "FORMATION", "ASSIDUITE", "DEVIS", "COORDONNEES", "DOCUMENT"]
_RT_CHOICES = [[_RT_NAMES.index(r) for r in t[6]] for t in TYPES]
_HAS_BEN = np.array([t[0] in WITH_BENEFICIARY for t in TYPES])
_IS_RECORD = np.array([t[0] in RECORD for t in TYPES])
_IS_LIST = np.array([t[0] in LISTS for t in TYPES])
_SURNAMES = ["MARTIN", "BERNARD", "DUBOIS", "DIALLO", "NGUYEN", "PETIT", "GARCIA", "BENALI",
             "TRAORE", "MOREAU", "LEROY", "FOURNIER"]
SEARCHES = pl.Series(
    [f'{{"nom":"{n}"}}' for n in _SURNAMES]
    + [f'{{"nom":"{n}","prenom":"{p}"}}' for n, p in zip(_SURNAMES, ["LEA", "KARIM", "INES", "YANIS",
                                                                     "FATOU", "HUGO"], strict=False)]
    + ['{"statut":"en_formation","page":1}', '{"statut":"sans_solution","page":1}',
       '{"date_entree_min":"2025-01-01","statut":"inscrit"}']
)


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{ms % 1000:03d}Z"


def build(day: Day, segs: list[Segment], seg_idx: np.ndarray, t: np.ndarray, codes: np.ndarray,
          numbers: np.ndarray | None = None, counts: np.ndarray | None = None,
          atk: np.ndarray | None = None, extra: dict | None = None) -> pl.DataFrame:
    """App events for many segments at once.

    seg_idx: index into `segs` per event; t: epoch ms; codes: TYPES index; numbers: beneficiary
    number per event (used where the event type carries one); counts: beneficiary_count for lists.
    """
    rng, pop = day.rng, day.sim.pop
    n = len(t)
    if n == 0:
        return pl.DataFrame()
    seg_agent = np.array([s.agent for s in segs], dtype=np.int32)
    seg_atk = np.array([s.atk for s in segs], dtype=np.int16)
    agent = seg_agent[seg_idx]
    org = pop.agent_orgs()[agent]
    # IP and user agent, with in-session switches (CGNAT, privacy addresses, moves, updates)
    ip_tab = pl.Series([s.ip for s in segs] + [s.ip_alt or s.ip for s in segs])
    ua_tab = pl.Series([s.ua for s in segs] + [s.ua_alt or s.ua for s in segs])
    ip_sw = np.array([s.ip_switch if s.ip_alt else 1 << 62 for s in segs], dtype=np.int64)
    ua_sw = np.array([s.ua_switch if s.ua_alt else 1 << 62 for s in segs], dtype=np.int64)
    ns = len(segs)
    ip_i = seg_idx + ns * (t >= ip_sw[seg_idx])
    ua_i = seg_idx + ns * (t >= ua_sw[seg_idx])
    dev_tab = pl.Series([None if s.device is None else pop.devices[s.device].device_id for s in segs],
                        dtype=pl.String)
    sess_tab = pl.Series([s.app_session for s in segs], dtype=pl.String)
    has_ben = _HAS_BEN[codes]
    is_rec = _IS_RECORD[codes]
    cols: dict[str, object] = {
        "_t": t.astype(np.int64),
        "_a": agent,
        "_atk": seg_atk[seg_idx] if atk is None else atk.astype(np.int16),
        "_email": np.zeros(n, dtype=bool),
    }
    frame = pl.DataFrame(cols)
    tt = _T[codes]
    out = {
        "event_type": tt["event_type"],
        "outcome": tt["outcome"],
        "http_method": tt["http_method"],
        "url_route": tt["url_route"],
        "http_status": tt["http_status"],
        "bytes_out": (_BYTES[codes] * rng.lognormal(0, 0.35, n)).astype(np.int64),
        "duration_ms": np.maximum(1, (_DUR[codes] * rng.lognormal(0, 0.5, n))).astype(np.int64),
        "app_session_id": sess_tab.gather(seg_idx),
        "src_ip": ip_tab.gather(ip_i),
        "user_agent": ua_tab.gather(ua_i),
        "device_id": dev_tab.gather(seg_idx),
    }
    frame = frame.with_columns(**out)
    if numbers is not None:
        nums = np.asarray(numbers, dtype=np.int64)
        ben = ids.beneficiary_ids(np.where(has_ben, nums, ids.BEN_LO))
        in_pf = pop.org_of(nums) == org
        otype_nir = pop.org_nir()[org]
        rt_pick = np.zeros(n, dtype=np.int64)
        for code in np.unique(codes):
            choices = _RT_CHOICES[code]
            if choices:
                m = codes == code
                rt_pick[m] = np.array(choices)[rng.integers(0, len(choices), int(m.sum()))]
        has_rt = np.array([bool(_RT_CHOICES[c]) for c in range(len(TYPES))])[codes]
        rt = pl.Series(_RT_NAMES).gather(rt_pick)
        nir = (codes == CODE["BENEFICIARY_NIR_REVEAL"]) | (
            (codes == CODE["BENEFICIARY_RECORD_VIEW"]) & (rt_pick == 1) & otype_nir)
        frame = frame.with_columns(
            beneficiary_id=pl.when(pl.Series(has_ben)).then(ben),
            record_type=pl.when(pl.Series(has_rt & has_ben)).then(rt),
            contains_nir=pl.when(pl.Series(is_rec)).then(pl.Series(nir)),
            in_portfolio=pl.when(pl.Series(has_ben)).then(pl.Series(in_pf)),
        )
    if counts is not None:
        frame = frame.with_columns(
            beneficiary_count=pl.when(pl.Series(_IS_LIST[codes])).then(pl.Series(counts, dtype=pl.Int64)))
    if (codes == CODE["BENEFICIARY_SEARCH"]).any():
        frame = frame.with_columns(search_params=pl.when(
            pl.Series(codes == CODE["BENEFICIARY_SEARCH"])).then(
            SEARCHES.gather(rng.integers(0, len(SEARCHES), n))))
    if extra:
        frame = frame.with_columns(**extra)
    return frame
