"""Hostile input: every bad file or line ends as rows or quarantine, never as a crash or a loss."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigie_testing import FIXTURES

from transforms.ingest.run import ingest_file, ingest_files

GOOD_APP = json.loads((FIXTURES / "app-2025-07-05.jsonl").read_text().splitlines()[0])


def app_line(**changes) -> str:
    record = dict(GOOD_APP)
    for name, value in changes.items():
        if value is ...:
            record.pop(name, None)
        else:
            record[name] = value
    return json.dumps(record)


def quarantine(lake: Path) -> dict[int, str]:
    rows = duckdb.sql(f"select source_line, reason from read_parquet('{lake}/quarantine/*.parquet')").fetchall()
    return dict(rows)


def lake_rows(lake: Path, table: str = "app_events") -> list[tuple]:
    files = list((lake / table).glob("*/*.parquet"))
    if not files:
        return []
    return duckdb.sql(f"select event_time, source_line from read_parquet('{lake}/{table}/*/*.parquet') "
                      "order by source_line").fetchall()


# (name, file bytes, expected reason codes by line; None = kept)
CASES = [
    ("invalid json", b'{"ts": "2025-07-05T02:00:00Z", \n', {1: "invalid_json"}),
    ("not utf-8", app_line(event_id="u1").encode()[:-2] + b'\xff\xfe"}\n', {1: "not_utf8"}),
    ("latin-1 e-mail", app_line(event_id="u2", actor_email="ren\xe9@ml.fr").replace("\\u00e9", "\xe9").encode("latin-1")
     + b"\n",
     {1: "not_utf8"}),
    ("byte-order mark", b"\xef\xbb\xbf" + app_line(event_id="b1").encode() + b"\n", {1: None}),
    ("crlf endings", (app_line(event_id="c1") + "\r\n" + app_line(event_id="c2") + "\r\n").encode(),
     {1: None, 2: None}),
    ("no final newline", app_line(event_id="n1").encode(), {1: None}),
    ("blank lines", b"\n  \n" + app_line(event_id="bl").encode() + b"\n", {1: "empty_line", 2: "empty_line", 3: None}),
    ("json array", b"[1, 2]\n", {1: "invalid_json"}),
    ("json string", b'"just a string"\n', {1: "invalid_json"}),
    ("missing ts", app_line(event_id="m1", ts=...).encode() + b"\n", {1: "missing_field"}),
    ("missing event_id", app_line(event_id=...).encode() + b"\n", {1: "missing_field"}),
    ("null required", app_line(event_id="m2", src_ip=None).encode() + b"\n", {1: "missing_field"}),
    ("number as ts", app_line(event_id="t1", ts=1751681624).encode() + b"\n", {1: "bad_time"}),
    ("odd offset +05:45", app_line(event_id="t2", ts="2025-07-05T07:58:44+05:45").encode() + b"\n", {1: None}),
    ("odd offset -03:30", app_line(event_id="t3", ts="2025-07-04T22:43:44-03:30").encode() + b"\n", {1: None}),
    ("far future", app_line(event_id="t4", ts="2099-01-01T00:00:00Z").encode() + b"\n", {1: "clock_skew"}),
    ("far past", app_line(event_id="t5", ts="1970-01-01T00:00:00Z").encode() + b"\n", {1: "clock_skew"}),
    ("skew window edges", "\n".join([  # the file is dated 2025-07-05 and 2 days of skew are allowed
        app_line(event_id="e1", ts="2025-07-02T23:59:59.999999Z"), app_line(event_id="e2", ts="2025-07-03T00:00:00Z"),
        app_line(event_id="e3", ts="2025-07-07T23:59:59.999999Z"), app_line(event_id="e4", ts="2025-07-08T00:00:00Z"),
    ]).encode() + b"\n", {1: "clock_skew", 2: None, 3: None, 4: "clock_skew"}),
    ("string status", app_line(event_id="w1", http_status="OK").encode() + b"\n", {1: "wrong_type"}),
    ("object roles", app_line(event_id="w2", actor_roles={"a": 1}).encode() + b"\n", {1: "wrong_type"}),
    ("list as bool", app_line(event_id="w3", in_portfolio=[True]).encode() + b"\n", {1: "wrong_type"}),
    ("bad siret", app_line(event_id="w4", actor_org_siret="123").encode() + b"\n", {1: "bad_value"}),
    ("deep nesting", app_line(event_id="d1", extra=json.loads("[" * 200 + "]" * 200)).encode() + b"\n", {1: None}),
    ("duplicate id", (app_line(event_id="dup") + "\n" + app_line(event_id="dup") + "\n").encode(),
     {1: None, 2: "duplicate"}),
    ("auth_time out of range", app_line(event_id="a1", auth_time=4.96e16).encode() + b"\n", {1: "bad_time"}),
    ("search_params not an object", app_line(event_id="s1", search_params="\x9d!(").encode() + b"\n",
     {1: "wrong_type"}),
    ("search_params broken object", app_line(event_id="s2", search_params="{abc").encode() + b"\n",
     {1: "wrong_type"}),
]


@pytest.mark.parametrize("name,content,expected", CASES, ids=[c[0] for c in CASES])
def test_each_bad_line_is_quarantined_with_its_reason(ingest_options, tmp_path, name, content, expected):
    path = tmp_path / "app-2025-07-05.jsonl"
    path.write_bytes(content)
    [result] = ingest_files([path], ingest_options, source="app")
    assert result.lines_read == len(expected) == result.rows_written + result.rows_quarantined
    got = quarantine(ingest_options.lake) if result.rows_quarantined else {}
    assert {line: reason.split(":")[0] for line, reason in got.items()} == {
        line: code for line, code in expected.items() if code}
    assert [line for _, line in lake_rows(ingest_options.lake)] == sorted(
        line for line, code in expected.items() if code is None)


def test_a_ten_megabyte_line_is_quarantined_and_the_next_line_kept(ingest_options, tmp_path):
    path = tmp_path / "app-2025-07-05.jsonl"
    huge = app_line(event_id="big", user_agent="x" * (10 << 20))
    path.write_text(huge + "\n" + app_line(event_id="after") + "\n")
    [result] = ingest_files([path], ingest_options)
    assert (result.lines_read, result.rows_written, result.rows_quarantined) == (2, 1, 1)
    assert quarantine(ingest_options.lake)[1].startswith("line_too_long")


def test_a_truncated_gzip_keeps_what_it_could_read_and_warns(ingest_options, tmp_path):
    lines = "".join(app_line(event_id=f"g{i}") + "\n" for i in range(2000)).encode()
    packed = gzip.compress(lines)
    path = tmp_path / "app-2025-07-05.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    [result] = ingest_files([path], ingest_options)
    assert any("truncated" in w for w in result.warnings)
    assert 0 < result.rows_written < 2000
    assert result.lines_read == result.rows_written + result.rows_quarantined


def test_a_corrupt_gzip_stream_warns_instead_of_crashing(ingest_options, tmp_path):
    packed = bytearray(gzip.compress(("".join(app_line(event_id=f"z{i}") + "\n" for i in range(500))).encode()))
    packed[40:60] = b"\x00" * 20
    path = tmp_path / "app-2025-07-05.jsonl.gz"
    path.write_bytes(bytes(packed))
    [result] = ingest_files([path], ingest_options)
    assert result.warnings
    assert result.lines_read == result.rows_written + result.rows_quarantined


@pytest.mark.parametrize("value,expected", [
    (1751702400, "2025-07-05 08:00:00"),          # epoch seconds
    (1751702400123, "2025-07-05 08:00:00.123000"),  # epoch milliseconds (pino)
    (1751702400123456, "2025-07-05 08:00:00.123456"),  # epoch microseconds
])
def test_proconnect_epoch_seconds_milliseconds_and_microseconds(ingest_options, tmp_path, value, expected):
    path = tmp_path / "proconnect-2025-07-05.jsonl"
    path.write_text(json.dumps({"level": "info", "levelNumber": 30, "time": value, "event": "FC_VERIFIED",
                                "step": "5.0.0", "ip": "192.0.2.1"}) + "\n")
    [result] = ingest_files([path], ingest_options)
    assert result.rows_written == 1
    [(event_time, _)] = lake_rows(ingest_options.lake, "auth_events")
    assert str(event_time) == expected


def test_a_proconnect_source_that_is_not_json_is_quarantined(ingest_options, tmp_path):
    path = tmp_path / "proconnect-2025-07-05.jsonl"
    path.write_text(json.dumps({"level": "info", "time": 1751702400123, "event": "FC_VERIFIED", "source": "{abc"})
                    + "\n")
    [result] = ingest_files([path], ingest_options)
    assert (result.rows_written, result.rows_quarantined) == (0, 1)
    assert quarantine(ingest_options.lake)[1] == "wrong_type: source"


def test_the_same_event_in_two_files_is_kept_once(ingest_options, tmp_path):
    first, second = tmp_path / "app-2025-07-05.jsonl", tmp_path / "app-2025-07-05-resent.jsonl"
    first.write_text(app_line(event_id="same") + "\n")
    second.write_text(app_line(event_id="other") + "\n" + app_line(event_id="same") + "\n")
    ingest_files([first], ingest_options)
    ingest_files([second], ingest_options)
    assert len(lake_rows(ingest_options.lake)) == 2
    assert quarantine(ingest_options.lake) == {2: "duplicate: same event as app-2025-07-05.jsonl line 1"}


def test_input_names_cannot_write_outside_the_lake(ingest_options, tmp_path):
    evil = tmp_path / "..%2f..%2fetc" / "..app-2025-07-05.jsonl"
    evil.parent.mkdir()
    evil.write_text(app_line(event_id="path") + "\n")
    [result] = ingest_files([evil], ingest_options)
    assert result.rows_written == 1
    written = [p for p in ingest_options.lake.rglob("*.parquet")]
    assert written and all(ingest_options.lake in p.parents for p in written)
    assert not result.source_file.startswith(".")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
field_names = st.sampled_from(["ts", "event_id", "event_type", "outcome", "actor_user_id", "actor_org_siret",
                               "app_session_id", "src_ip", "http_status", "actor_roles", "contains_nir",
                               "beneficiary_id", "search_params", "auth_time"]) | st.text(max_size=10)
records = st.dictionaries(field_names, json_values, max_size=12).map(lambda extra: {**GOOD_APP, **extra})
lines = st.one_of(records.map(json.dumps), st.text(max_size=80), st.binary(max_size=80).map(
    lambda b: b.decode("latin-1")))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(lines, min_size=0, max_size=12), final_newline=st.booleans())
def test_any_input_gives_rows_or_quarantine_never_a_crash(ingest_options, tmp_path_factory, body, final_newline):
    folder = tmp_path_factory.mktemp("any")
    path = folder / "app-2025-07-05.jsonl"
    text = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in body)
    text += "\n" if final_newline and body else ""
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    ingest_options.lake = folder / "lake"
    result = ingest_file(path, "app", ingest_options)
    assert result.lines_read == result.rows_written + result.rows_quarantined
    assert result.lines_read == text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def test_an_undated_file_quarantines_only_events_from_the_future(ingest_options, tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text(app_line(event_id="old", ts="2019-03-01T08:00:00Z") + "\n"
                    + app_line(event_id="next-year", ts="2099-01-01T00:00:00Z") + "\n")
    [result] = ingest_files([path], ingest_options, source="app")
    assert (result.rows_written, result.rows_quarantined) == (1, 1)
    assert quarantine(ingest_options.lake)[2].startswith("clock_skew: event in the future")
