"""Tell the security team when a night could not see its data, failed, or found a critical incident.

Why the standard library: a webhook (Mattermost/Slack-compatible JSON `{"text": ...}`, what
French public-sector teams usually run) and an e-mail over SMTP are two plain requests; a
queue or a Prefect server in between would be one more thing that can be down at 3 am.
Both channels are optional settings; a message carries pseudonyms, counts and paths, never a
clear identifier. A channel that fails is reported by the caller (run summary), never hidden.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from transforms.lake.atomic import write_json_atomic
from transforms.lake.layout import TMP_DIR

NOTIFIED_FILE = Path("_nightly") / "notified.json"
TIMEOUT_SECONDS = 15


@dataclass
class Channels:
    """Where messages go; empty settings mean that channel is off."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "vigie@localhost"
    smtp_to: list[str] = field(default_factory=list)
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url) or bool(self.smtp_host and self.smtp_to)


@dataclass
class Message:
    subject: str
    text: str


def send(channels: Channels, message: Message) -> list[str]:
    """Send `message` on every configured channel; return one error line per channel that failed."""
    errors = []
    if channels.webhook_url:
        try:
            _post_webhook(channels.webhook_url, message)
        except OSError as exc:  # urllib's errors (HTTPError, URLError, timeouts) are OSErrors
            errors.append(f"webhook: {exc}")
    if channels.smtp_host and channels.smtp_to:
        try:
            _send_mail(channels, message)
        except (OSError, smtplib.SMTPException) as exc:
            errors.append(f"smtp {channels.smtp_host}:{channels.smtp_port}: {exc}")
    return errors


def _post_webhook(url: str, message: Message) -> None:
    body = json.dumps({"text": f"**{message.subject}**\n{message.text}"}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (operator's URL)
        response.read()


def _send_mail(channels: Channels, message: Message) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = channels.smtp_from
    mail["To"] = ", ".join(channels.smtp_to)
    mail.set_content(message.text)
    assert channels.smtp_host is not None
    with smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        if channels.smtp_starttls:
            smtp.starttls()
        if channels.smtp_user:
            smtp.login(channels.smtp_user, channels.smtp_password or "")
        smtp.send_message(mail)


def already_notified(lake: Path) -> set[str]:
    """Incident uids already announced as critical (a re-run must not announce them again)."""
    path = Path(lake) / NOTIFIED_FILE
    if not path.exists():
        return set()
    try:
        return set(json.loads(path.read_text(encoding="utf-8")).get("critical_incidents", []))
    except (ValueError, AttributeError):
        return set()


def remember_notified(lake: Path, uids: set[str]) -> None:
    write_json_atomic(Path(lake) / NOTIFIED_FILE, {"critical_incidents": sorted(uids)}, Path(lake) / TMP_DIR)
