"""Settings: secrets never shown, a misspelt key or a bad value stops the command with its name,
the report language checked in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner
from vigie_testing import plain_vigie_env

from flows.cli import app
from transforms.settings import Settings

KEY = "settings-test-pseudonym-key-0123456789abcdef"
PASSWORD = "smtp-password-never-shown-42"


def test_repr_never_shows_the_pseudonym_key_nor_the_smtp_password(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_PASSWORD", PASSWORD)
    settings = Settings()
    assert settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value() == KEY
    assert settings.notify_smtp_password is not None and settings.notify_smtp_password.get_secret_value() == PASSWORD
    for shown in (repr(settings), str(settings), f"{settings}", repr(settings.model_dump()),
                  settings.model_dump_json()):
        assert KEY not in shown and PASSWORD not in shown
    assert "pseudonym_key=SecretStr('**********')" in repr(settings)


def test_a_bad_value_beside_a_secret_does_not_show_the_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    plain_vigie_env(monkeypatch, tmp_path, KEY)
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_PORT", "twenty-five")
    result = CliRunner().invoke(app, ["report", "--date", "2025-07-01"])
    assert result.exit_code == 2 and "notify_smtp_port" in result.output
    assert KEY not in result.output and PASSWORD not in result.output


@pytest.mark.parametrize("command", [["nightly", "--date", "2025-07-01"], ["query", "select 1"]])
def test_a_misspelt_key_in_vigie_toml_stops_the_command_with_its_name(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path, command: list[str]):
    plain_vigie_env(monkeypatch, tmp_path, KEY)
    for name in ("VIGIE_LAKE", "VIGIE_REPORTS"):  # from the file, as an operator writes it
        monkeypatch.delenv(name)
    config = tmp_path / "vigie.toml"
    config.write_text('lake = "/srv/vigie/lake"\nreprots = "/srv/vigie/reports"\n', encoding="utf-8")
    monkeypatch.setenv("VIGIE_CONFIG", str(config))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "invalid settings (vigie.toml or VIGIE_* variables)" in output
    assert re.search(r"reprots: Extra inputs are not permitted", output), output
    assert not Path("/srv/vigie/lake").exists()


def test_lang_is_checked_by_the_setting_and_by_report_lang_with_the_same_words(monkeypatch: pytest.MonkeyPatch,
                                                                              tmp_path: Path):
    from transforms.settings import LANGS, check_lang

    assert LANGS == ("fr", "en") and check_lang("en") == "en"
    with pytest.raises(ValueError, match="unknown report language 'de'"):
        check_lang("de")
    plain_vigie_env(monkeypatch, tmp_path, KEY)
    monkeypatch.setenv("VIGIE_LANG", "de")
    setting = CliRunner().invoke(app, ["report", "--date", "2025-07-01"])
    assert setting.exit_code == 2 and "lang: Value error, unknown report language 'de'" in " ".join(
        setting.output.split())
    monkeypatch.delenv("VIGIE_LANG")
    option = CliRunner().invoke(app, ["report", "--date", "2025-07-01", "--lang", "de"])
    assert option.exit_code == 2 and "--lang: unknown report language 'de'" in " ".join(option.output.split())


def test_the_report_languages_are_the_settings(monkeypatch: pytest.MonkeyPatch):
    from transforms.report.i18n import LABELS
    from transforms.settings import LANGS

    assert tuple(LABELS) == LANGS
