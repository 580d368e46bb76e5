"""`vigie simulate --set group.field=value` and `--options FILE`: every knob reachable from the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from simworld import read_lines
from typer.testing import CliRunner

from flows.cli import app
from simulator.options import SimulationOptions, from_cli

WORLD = ["--start-date", "2025-11-17", "--days", "3", "--agents", "60", "--seed", "5"]
SMALL = [*WORLD, "--set", "infostealer.views_per_day=200,400", "--set", "account_manager.views_per_day=300,600",
         "--set", "abused_advisors.views_per_session=50,100", "--set", "cookie_replay.views=50,100"]


def test_values_are_parsed_by_the_fields_type():
    kw = from_cli(["infostealer.views_per_day=500,1000", "infostealer.pacing_ms=0.5,2.5",
                   "account_manager.enabled=false", "abused_advisors.start_day=none",
                   "low_and_slow.start_day=4", "dirt.rate=1e-4", "infostealer.network=foreign_vps",
                   "cutover=2025-11-24"])
    opts = SimulationOptions.from_kwargs(**kw)
    assert opts.infostealer.views_per_day == (500, 1000)
    assert isinstance(opts.infostealer.views_per_day[0], int)  # counts stay ints in the labels
    assert opts.infostealer.pacing_ms == (0.5, 2.5)
    assert opts.infostealer.network == "foreign_vps"
    assert opts.account_manager.enabled is False
    assert opts.abused_advisors.start_day is None and opts.low_and_slow.start_day == 4
    assert opts.dirt.rate == 1e-4 and opts.cutover == date(2025, 11, 24)
    assert opts.infostealer.duration_days == (21, 42)  # untouched fields keep their defaults


@pytest.mark.parametrize(("setting", "message"), [
    ("infostealer.nope=1", "--set infostealer.nope: unknown option"),
    ("nope.rate=1", "unknown option group 'nope'"),
    ("dirt.rate=abc", "--set dirt.rate:"),
    ("infostealer.views_per_day=5", "expected two numbers"),
    ("infostealer.views_per_day=9,5", "low 9 above high 5"),
    ("dirt.enabled=maybe", "expected true or false"),
    ("infostealer=1", "--set infostealer: unknown option"),
    ("dirt.rate", "expected key=value"),
])
def test_bad_settings_name_the_key(setting, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        from_cli([setting])


def test_cli_set_changes_the_world_and_bad_keys_stop_before_any_work(tmp_path):
    out = tmp_path / "w"
    result = CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(out),
                                      "--set", "infostealer.enabled=false", "--set", "dirt.enabled=false"])
    assert result.exit_code == 0, result.output
    world = json.loads((out / "labels" / "world.json").read_text())
    assert world["options"]["infostealer"]["enabled"] is False
    assert world["options"]["account_manager"]["views_per_day"] == [300, 600]
    assert world["dirt"] == []
    scenarios = {lab["scenario"] for lab in json.loads((out / "labels" / "labels.json").read_text())}
    assert "infostealer_mass_extraction" not in scenarios and "account_manager_abuse" in scenarios

    bad = CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(tmp_path / "bad"),
                                   "--set", "infostealer.views_per_dy=1,2"])
    assert bad.exit_code == 2 and "infostealer.views_per_dy: unknown option" in bad.output
    assert not (tmp_path / "bad").exists()


def test_options_from_world_json_regenerate_the_same_bytes(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    assert CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(first),
                                    "--set", "dirt.rate=0.002"]).exit_code == 0
    result = CliRunner().invoke(app, ["simulate", *WORLD, "--out", str(again),
                                      "--options", str(first / "labels" / "world.json")])
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_ranges_read_from_json_are_tuples_like_the_defaults():
    opts = SimulationOptions.from_kwargs(mfa_share=[0.1, 0.9], infostealer={"pacing_ms": [50, 80]})
    assert opts.mfa_share == (0.1, 0.9) and opts.infostealer.pacing_ms == (50, 80)


def test_hour_windows_are_parsed_and_validated():
    kw = from_cli(["infostealer.workday_hours=0.5-5.5,20-23.8", "low_and_slow.hours=8-9"])
    assert kw["infostealer"]["workday_hours"] == ((0.5, 5.5), (20, 23.8))
    assert kw["low_and_slow"]["hours"] == ((8, 9),)
    for bad in ("low_and_slow.hours=9-8", "low_and_slow.hours=20-25", "low_and_slow.hours=9"):
        with pytest.raises(ValueError, match="--set low_and_slow.hours"):
            from_cli([bad])


def test_attack_hours_are_options(tmp_path):
    """Moved to the afternoon, the infostealer and the low-and-slow account read only then."""
    out = tmp_path / "w"
    result = CliRunner().invoke(app, ["simulate", *SMALL, "--days", "6", "--out", str(out),
                                      "--set", "infostealer.start_day=1", "--set", "low_and_slow.start_day=1",
                                      "--set", "infostealer.workday_hours=13-15",
                                      "--set", "infostealer.weekend_hours=13-15",
                                      "--set", "low_and_slow.hours=15-16"])
    assert result.exit_code == 0, result.output
    labels = {lab["scenario"]: lab for lab in json.loads((out / "labels" / "labels.json").read_text())}
    hours: dict[str, list[float]] = {"infostealer_mass_extraction": [], "low_and_slow": []}
    for path in sorted((out / "inbox").glob("app-*.jsonl.gz")):
        for line in read_lines(path):
            if not line.startswith("{") or not line.endswith("}"):
                continue
            row = json.loads(line)
            for scenario, found in hours.items():
                if row.get("app_session_id") in labels[scenario]["malicious_sessions"]["app_session_id"]:
                    ts = datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))
                    local = ts.astimezone(ZoneInfo("Europe/Paris"))
                    found.append(local.hour + local.minute / 60)
    assert hours["infostealer_mass_extraction"] and hours["low_and_slow"]
    # (the app's login redirect comes a fraction of a second before the session's start)
    assert all(12.98 <= h < 15 for h in hours["infostealer_mass_extraction"])
    assert all(14.98 <= h < 16.1 for h in hours["low_and_slow"])


def test_an_existing_world_is_replaced_only_with_overwrite(tmp_path):
    out = tmp_path / "w"
    stale = out / "inbox" / "app-2020-01-01.jsonl.gz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier world's day")
    refused = CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(out)])
    assert refused.exit_code == 2 and "already holds a world (inbox)" in " ".join(refused.output.split())
    assert stale.exists() and not (out / "labels").exists()
    bad_option = CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(out), "--overwrite",
                                          "--set", "dirt.rate=lots"])
    assert bad_option.exit_code == 2 and stale.exists()  # nothing deleted before the options are valid
    replaced = CliRunner().invoke(app, ["simulate", *SMALL, "--out", str(out), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert not stale.exists() and (out / "labels" / "labels.json").exists()
