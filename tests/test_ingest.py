"""Ingest: every spec format parses, bad lines are quarantined with reasons, nothing is lost."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from vigie_testing import FIXTURES, TEST_KEY

from transforms.ingest.pseudonymise import beneficiary_pseudonym, email_pseudonym
from transforms.ingest.run import ingest_files
from transforms.lake import manifest

APP_TYPES = 31


def _rows(lake: Path, table: str, where: str = "true") -> list[dict]:
    conn = duckdb.connect()
    rel = conn.sql(f"select * from read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true) "
                   f"where {where} order by event_time, source_line")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def test_every_app_event_type_and_the_spec_example_parse(ingest_options):
    [result] = ingest_files([FIXTURES / "app-2025-07-05.jsonl"], ingest_options)
    assert (result.lines_read, result.rows_written, result.rows_quarantined) == (APP_TYPES + 1, APP_TYPES + 1, 0)
    rows = _rows(ingest_options.lake, "app_events")
    assert len({r["event_type"] for r in rows}) == APP_TYPES
    assert "other" not in {r["event_category"] for r in rows}
    example = next(r for r in rows if r["event_id"] == "6f1d7c1e-3c59-4e43-9a0c-0f7b8a9d2e11")
    assert example["user_id"] == "OF-38-000142-u07"
    assert example["beneficiary_ref"] == beneficiary_pseudonym(TEST_KEY, "4417302K")
    assert example["in_portfolio"] is False and example["contains_nir"] is False
    assert example["is_mfa"] is False and example["user_roles"] == ["FORMATEUR"]
    assert str(example["event_time"]) == "2025-07-05 02:13:44.210000"
    # +02:00 offsets become UTC
    first_typed = next(r for r in rows if r["event_id"].endswith("000000000000"))
    assert str(first_typed["event_time"]) == "2025-07-05 06:00:00"
    assert first_typed["is_mfa"] is True


def test_current_and_legacy_proconnect_parse_and_technical_lines_are_kept(ingest_options):
    results = ingest_files([FIXTURES / "proconnect-2025-07-05.jsonl",
                            FIXTURES / "proconnect-legacy-2025-07-04.jsonl"], ingest_options)
    assert all(r.rows_quarantined == 0 for r in results)
    rows = _rows(ingest_options.lake, "auth_events")
    assert {r["log_variant"] for r in rows} == {"current", "legacy"}
    technical = [r for r in rows if r["event_category"] == "technical"]
    assert sorted(r["error_code"] for r in technical) == [
        "invalid-session-exception", "oidc-provider-rendered-error:access_denied"]
    back = [r for r in rows if r["is_back_channel"]]
    assert {r["event_name"] for r in back} == {"SP_REQUESTED_FC_TOKEN", "SP_REQUESTED_FC_USERINFO"}
    legacy = [r for r in rows if r["log_variant"] == "legacy"]
    assert {r["src_ip"] for r in legacy} == {"203.0.113.5"}
    assert all(r["account_id"] == "acc-991" for r in legacy)
    sso = next(r for r in legacy if r["event_name"] == "FC_SSO_INITIATED")
    assert sso["reuses_active_session"] is True and sso["step"] == "1.1.0"
    verified = next(r for r in rows if r["event_name"] == "FC_VERIFIED" and r["log_variant"] == "current")
    assert verified["user_sub"] == "0d9f6c52-3b1e-4a7f-8e2c-5c1a9b7d2e10"
    assert verified["user_email_ref"] == email_pseudonym(TEST_KEY, "agent.one@of-isere.fr")
    assert verified["user_email_domain"] == "of-isere.fr"
    callback = next(r for r in rows if r["event_name"] == "IDP_CALLEDBACK" and r["log_variant"] == "current")
    authorize = next(r for r in rows if r["event_name"] == "FC_AUTHORIZE_INITIATED")
    assert callback["session_id"] != authorize["session_id"]  # regenerated at IDP_CALLEDBACK
    terminated = next(r for r in rows if r["event_name"] == "FC_SESSION_TERMINATED")
    assert json.loads(terminated["unmapped"]) == {"newField": {"kept": True}}


def test_malformed_lines_go_to_quarantine_with_their_reason_and_line(ingest_options):
    [result] = ingest_files([FIXTURES / "app-malformed-2025-07-05.jsonl"], ingest_options)
    expected = json.loads((FIXTURES / "app-malformed-2025-07-05.expected.json").read_text())
    conn = duckdb.connect()
    got = conn.sql(f"select source_line, reason_code, reason, raw_line from "
                   f"read_parquet('{ingest_options.lake}/quarantine/*.parquet') order by source_line").fetchall()
    assert [(line, code) for line, code, _, _ in got] == [(e["line"], e["reason_code"]) for e in expected]
    reasons = {line: reason for line, _, reason, _ in got}
    assert reasons[2] == "missing_field: actor_user_id"
    assert reasons[3] == "wrong_type: http_status"
    assert reasons[12] == "duplicate: same event as line 11"
    assert result.lines_read == result.rows_written + result.rows_quarantined == 12


def test_unknown_fields_are_kept_in_unmapped_pseudonymised(ingest_options):
    """Kept, but privacy by default: a value under a key Vigie does not know is a pseudonym."""
    from transforms.ingest.pseudonymise import pseudonym

    ingest_files([FIXTURES / "app-2025-07-05.jsonl"], ingest_options)
    [row] = _rows(ingest_options.lake, "app_events", "event_type = 'CSRF_FAILURE'")
    assert json.loads(row["unmapped"]) == {"x_custom_field": pseudonym(ingest_options.key, "kept in unmapped")}


def test_enrichment_adds_asn_place_and_tags_for_ipv4_and_ipv6(ingest_options):
    ingest_files([FIXTURES / "app-2025-07-05.jsonl"], ingest_options)
    rows = _rows(ingest_options.lake, "app_events")
    v4 = next(r for r in rows if r["src_ip"] == "192.0.2.44")
    assert (v4["src_asn"], v4["src_country"], v4["src_city"]) == (64500, "FR", "Grenoble")
    assert v4["src_net_tag"] == "office" and v4["src_net_label"].startswith("13000000000017")  # longest prefix
    v6 = next(r for r in rows if r["src_ip"] == "2001:db8:42:1::17")
    assert (v6["src_asn"], v6["src_city"], v6["src_net_tag"], v6["src_prefix"]) == (
        64503, "Lyon", "mobile", "2001:db8:42:1::/64")


def test_missing_reference_gives_null_columns_and_says_so(ingest_options, tmp_path):
    from transforms.ingest.enrich import load_reference

    ingest_options.reference = load_reference(tmp_path / "no-reference-here")
    [result] = ingest_files([FIXTURES / "app-2025-07-05.jsonl"], ingest_options)
    assert result.rows_quarantined == 0
    rows = _rows(ingest_options.lake, "app_events")
    assert all(r["src_asn"] is None and r["src_net_tag"] is None for r in rows)
    [entry] = manifest.load_all(ingest_options.lake)
    assert "GeoLite2-ASN-Blocks-IPv4.csv" in entry.reference_missing


def _lake_files(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*"))
            if p.is_file() and ".tmp" not in p.parts and p.name != ".lock"}


def test_reingesting_the_same_files_changes_nothing(ingest_options, tmp_path):
    files = sorted(FIXTURES.glob("*.jsonl"))
    ingest_files(files, ingest_options)
    before = _lake_files(ingest_options.lake)
    again = ingest_files(files, ingest_options)
    assert {r.status for r in again} == {"skipped"}
    assert _lake_files(ingest_options.lake) == before
    renamed = tmp_path / "copy-of-app.jsonl"
    shutil.copy(FIXTURES / "app-2025-07-05.jsonl", renamed)
    [dup] = ingest_files([renamed], ingest_options)
    assert dup.status == "skipped" and "app-2025-07-05.jsonl" in dup.message
    assert _lake_files(ingest_options.lake) == before


def test_a_fresh_lake_from_the_same_files_is_identical(ingest_options, tmp_path):
    files = sorted(FIXTURES.glob("*.jsonl"))
    ingest_files(files, ingest_options)
    first = _lake_files(ingest_options.lake)
    ingest_options.lake = tmp_path / "second-lake"
    ingest_files(files, ingest_options)
    assert _lake_files(ingest_options.lake) == first


def test_gzip_input_gives_the_same_rows_as_plain(ingest_options, tmp_path):
    gz = tmp_path / "app-2025-07-05.jsonl.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "app-2025-07-05.jsonl").read_bytes()))
    ingest_files([gz], ingest_options)
    from_gz = [{k: v for k, v in r.items() if k != "source_file"} for r in _rows(ingest_options.lake, "app_events")]
    ingest_options.lake = tmp_path / "plain"
    ingest_files([FIXTURES / "app-2025-07-05.jsonl"], ingest_options)
    plain = [{k: v for k, v in r.items() if k != "source_file"} for r in _rows(ingest_options.lake, "app_events")]
    assert from_gz == plain


def test_a_file_that_grew_replaces_its_earlier_version(ingest_options, tmp_path):
    lines = (FIXTURES / "app-2025-07-05.jsonl").read_text().splitlines(keepends=True)
    growing = tmp_path / "app-2025-07-05.jsonl"
    growing.write_text("".join(lines[:10]))
    ingest_files([growing], ingest_options)
    growing.write_text("".join(lines))
    [result] = ingest_files([growing], ingest_options)
    assert result.status == "replaced"
    assert len(_rows(ingest_options.lake, "app_events")) == len(lines)
    assert len(manifest.load_all(ingest_options.lake)) == 1


def test_no_clear_identifier_or_email_anywhere_in_the_lake(ingest_options):
    files = sorted(FIXTURES.glob("*.jsonl"))
    ingest_files(files, ingest_options)
    secrets = set()
    for path in files:
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            for name in ("beneficiary_id", "actor_email", "target_email", "idpEmail", "idpLoginHint"):
                if record.get(name):
                    secrets.add(record[name].lower())
            secrets.update(str(v).lower() for v in (record.get("search_params") or {}).values())
    secrets = {s for s in secrets if len(s) >= 6}  # "38" or "2" would match any number
    assert len(secrets) >= 10
    blobs = b"".join(_lake_files(ingest_options.lake).values()).lower()
    conn = duckdb.connect()
    for parquet in ingest_options.lake.rglob("*.parquet"):
        for row in conn.sql(f"select * from read_parquet('{parquet}')").fetchall():
            text = " ".join(str(v) for v in row).lower()
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{parquet.name} holds {leaked}"
    assert not [s for s in secrets if s.encode() in blobs]
    assert TEST_KEY.secret.lower() not in blobs


def test_duckdb_reads_the_lake_directly(ingest_options):
    ingest_files(sorted(FIXTURES.glob("app-*.jsonl")), ingest_options)
    lake = ingest_options.lake
    count = duckdb.sql(f"select count(*) from read_parquet('{lake}/app_events/*/*.parquet', "
                       "hive_partitioning = true)").fetchall()[0][0]
    assert count == APP_TYPES + 1 + 1


def test_sql_pseudonym_equals_python_hmac():
    import hashlib
    import hmac

    from transforms.lake.sql import read_sql

    for secret in (b"short", b"x" * 64, b"a-key-longer-than-one-sha256-block-" * 3):
        key = type(TEST_KEY)(secret)
        ipad, opad = key.pads()
        conn = duckdb.connect()
        conn.execute(read_sql("ingest/macros.sql"))
        got = conn.execute("select pseudonym($i::blob, $o::blob, '4417302K')", {"i": ipad, "o": opad}).fetchone()[0]
        assert got == hmac.new(secret, b"4417302K", hashlib.sha256).hexdigest()[:32]


def test_empty_file_is_accounted_for(ingest_options, tmp_path):
    empty = tmp_path / "app-2025-07-06.jsonl"
    empty.write_bytes(b"")
    [result] = ingest_files([empty], ingest_options)
    assert (result.lines_read, result.rows_written, result.rows_quarantined) == (0, 0, 0)


def test_missing_key_stops_with_a_clear_message(tmp_path):
    from transforms.ingest.pseudonymise import PseudonymKeyError, load_key

    with pytest.raises(PseudonymKeyError, match="VIGIE_PSEUDONYM_KEY_FILE"):
        load_key(None, None)
    empty = tmp_path / "key"
    empty.write_text("  \n")
    with pytest.raises(PseudonymKeyError, match="empty"):
        load_key(empty, None)


def test_schema_files_match_what_ingest_writes(ingest_options):
    from transforms.lake.duck import connect

    ingest_files(sorted(FIXTURES.glob("*.jsonl")), ingest_options)
    from_lake = connect(ingest_options.lake)
    empty = connect(ingest_options.lake.parent / "empty-lake")
    for table in ("auth_events", "app_events", "quarantine"):
        assert from_lake.sql(f"describe {table}").fetchall() == empty.sql(f"describe {table}").fetchall()


def _many_groups(monkeypatch) -> None:
    """Tiny read chunks and groups, so a small file crosses many groups like a big one does."""
    import transforms.ingest.read as reader_module
    import transforms.ingest.run as ingest_module

    monkeypatch.setattr(reader_module, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(ingest_module, "GROUP_BYTES", 16384)


def _app_lines(count: int, minutes: list[int]) -> list[str]:
    template = json.loads((FIXTURES / "app-2025-07-05.jsonl").read_text().splitlines()[0])
    return [json.dumps({**template, "event_id": f"ev-{i:05d}", "ts": f"2025-07-05T10:{m // 60:02d}:{m % 60:02d}Z"})
            for i, m in zip(range(count), minutes, strict=True)]


def test_a_big_file_out_of_time_order_is_written_sorted_with_cross_group_duplicates_quarantined(
        ingest_options, tmp_path, monkeypatch):
    _many_groups(monkeypatch)
    lines = _app_lines(400, [(400 - i) % 3600 for i in range(400)])  # newest first: every group overlaps
    lines.insert(350, lines[3])  # the same event again, many groups later
    path = tmp_path / "app-2025-07-05.jsonl"
    path.write_text("\n".join(lines) + "\n")
    [result] = ingest_files([path], ingest_options)
    assert (result.lines_read, result.rows_written, result.rows_quarantined) == (401, 400, 1)
    conn = duckdb.connect()
    [file] = (ingest_options.lake / "app_events").glob("*/*.parquet")
    times = [r[0] for r in conn.sql(f"select event_time from read_parquet('{file}')").fetchall()]
    assert times == sorted(times) and len(times) == 400
    assert conn.sql(f"select source_line, reason from read_parquet('{ingest_options.lake}/quarantine/*.parquet')"
                    ).fetchall() == [(351, "duplicate: same event as line 4")]


def test_many_groups_give_the_same_lake_content_as_one(ingest_options, tmp_path, monkeypatch):
    lines = _app_lines(300, list(range(300)))
    lines.insert(10, lines[9])  # a duplicate inside one group
    path = tmp_path / "app-2025-07-05.jsonl"
    path.write_text("\n".join(lines) + "\n")
    ingest_files([path], ingest_options)
    one_group = _rows(ingest_options.lake, "app_events")
    _many_groups(monkeypatch)
    ingest_options.lake = tmp_path / "lake-many"
    ingest_files([path], ingest_options)
    assert _rows(ingest_options.lake, "app_events") == one_group
    assert len(one_group) == 300


def test_vigie_ingest_refuses_an_unknown_source_before_reading_anything(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("VIGIE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", "ingest-cli-key-0123456789abcdef")
    result = CliRunner().invoke(app, ["ingest", "--source", "foo", str(FIXTURES / "app-2025-07-05.jsonl")])
    assert result.exit_code == 2
    assert "unknown source 'foo'; expected auto, proconnect, app" in " ".join(result.output.split())
    assert not (tmp_path / "lake").exists()
    plain = CliRunner().invoke(app, ["ingest", str(FIXTURES / "app-2025-07-05.jsonl")])  # no Prefect server
    assert plain.exit_code == 0 and "every line accounted for" in plain.output
