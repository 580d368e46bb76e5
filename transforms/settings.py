"""Vigie's settings: one pydantic-settings class, read from `vigie.toml` and `VIGIE_*`.

Why one class: every step (ingest, detect, report, the CLI and the flows) must agree on
where the inbox, the lake and the reports live, and an operator sets them in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from transforms.lake.duck import DEFAULT_MEMORY_LIMIT


def _toml_file() -> Path:
    return Path(os.environ.get("VIGIE_CONFIG", "vigie.toml"))


class Settings(BaseSettings):
    """Paths and knobs; every field can be set as `VIGIE_<NAME>` or in `vigie.toml`."""

    # extra="forbid": a misspelt key in vigie.toml stops with its name instead of being ignored
    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="forbid")

    inbox: Path = Field(default=Path("inbox"), description="Folder of raw .jsonl[.gz] files")
    lake: Path = Field(default=Path("lake"), description="Root of the Parquet lake")
    reports: Path = Field(default=Path("reports"), description="Where daily reports are written")
    reference: Path = Field(default=Path("reference"), description="GeoLite2 CSVs, network_tags.csv, orgs.csv")
    state: Path = Field(default=Path(".vigie"), description="Local state: temp files, demo key, locks")
    pseudonym_key_file: Path | None = Field(default=None, description="File holding the HMAC key")
    pseudonym_key: SecretStr | None = Field(default=None, description="HMAC key (prefer the key file); "
                                            "never shown by repr() or in errors")
    lang: Literal["fr", "en"] = Field(default="fr", description="Report language: fr or en")
    timezone: str = Field(default="Europe/Paris", description="Local time of the monitored services")
    nightly_cron: str = Field(default="30 2 * * *", description="Cron of the nightly deployment")
    duckdb_memory_limit: str = Field(default=DEFAULT_MEMORY_LIMIT, description="DuckDB memory cap per process")
    duckdb_threads: int = Field(default=0, description="DuckDB threads (0: all cores)")
    max_line_bytes: int = Field(default=1 << 20, description="Longer input lines are quarantined")
    max_clock_skew_days: int = Field(
        default=2, description="Events this far from the file's dated day are quarantined"
    )
    quarantine_retention_days: int = Field(default=90, description="Quarantined raw lines kept this long")
    retention_days: int = Field(
        default=365, description="Event partitions (and their daily profiles) kept this many days (0: for ever)"
    )
    record_retention_days: int = Field(
        default=3 * 365, description="Findings and incident partitions kept this many days (0: for ever)"
    )
    notify_webhook_url: str | None = Field(
        default=None, description="Mattermost/Slack-compatible incoming webhook for incomplete or failed "
        "nights and new critical incidents")
    notify_smtp_host: str | None = Field(default=None, description="SMTP server for the same messages by e-mail")
    notify_smtp_port: int = Field(default=25, description="SMTP port")
    notify_smtp_from: str = Field(default="vigie@localhost", description="Sender of Vigie's e-mails")
    notify_smtp_to: str = Field(default="", description="Recipients, comma-separated")
    notify_smtp_starttls: bool = Field(default=False, description="STARTTLS before sending")
    notify_smtp_user: str | None = Field(default=None, description="SMTP login (optional)")
    notify_smtp_password: SecretStr | None = Field(default=None, description="SMTP password (optional)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_file())
        return (init_settings, env_settings, toml, file_secret_settings)
