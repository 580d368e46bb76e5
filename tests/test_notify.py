"""Telling someone: a Mattermost/Slack-style webhook and an e-mail, received by real local
servers on loopback (an HTTP server and aiosmtpd's SMTP server), through `vigie` itself."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner
from vigie_testing import FIXTURES, plain_vigie_env
from worlds import write_inbox

from flows.cli import app
from transforms.report.i18n import number

DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(4)]


class Inbox:
    """What the two receivers got."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.mails: list[dict] = []

    def clear(self) -> None:
        self.posts.clear()
        self.mails.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receivers() -> Iterator[tuple[Inbox, str, int]]:
    got = Inbox()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers["Content-Length"])
            got.posts.append({"content_type": self.headers["Content-Type"],
                              "body": json.loads(self.rfile.read(length))})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Mailbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 (aiosmtpd's API)
            mail = message_from_bytes(envelope.content, policy=policy.default)
            got.mails.append({"to": envelope.rcpt_tos, "subject": str(mail["Subject"]),
                              "text": mail.get_content()})
            return "250 OK"

    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    try:
        yield got, f"http://127.0.0.1:{http.server_address[1]}/hooks/vigie", smtp.port
    finally:
        smtp.stop()
        http.shutdown()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receivers) -> tuple[Path, Inbox]:  # noqa: ANN001
    got, url, port = receivers
    plain_vigie_env(monkeypatch, tmp_path, "notify-test-key-0123456789abcdef")
    # the test reference data, replaced by the simulated world's when a test writes its inbox
    shutil.copytree(FIXTURES / "reference", tmp_path / "reference")
    monkeypatch.setenv("VIGIE_REFERENCE", str(tmp_path / "reference"))
    monkeypatch.setenv("VIGIE_NOTIFY_WEBHOOK_URL", url)
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_PORT", str(port))
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_FROM", "vigie@soc.example.fr")
    monkeypatch.setenv("VIGIE_NOTIFY_SMTP_TO", "soc@example.fr, rssi@example.fr")
    return tmp_path, got


def vigie(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def test_one_message_per_incomplete_night_and_per_new_critical_incident_none_on_clean_nights(env):
    root, got = env
    inbox = root / "inbox"
    story = write_inbox(inbox, DAYS, DAYS[-1], proconnect=True)
    # The attack of D4 reads every file with its NIR: every person it exposed, all with NIR, a critical incident.
    attack_file = inbox / f"app-{DAYS[-1]}.jsonl"
    lines = [json.loads(line) for line in attack_file.read_text().splitlines()]
    attack_file.write_text("".join(json.dumps({**e, "contains_nir": True} if e.get("src_ip") in story.attacker_ips
                                              and "beneficiary_id" in e else e) + "\n" for e in lines),
                           encoding="utf-8")
    held = root / "held" / f"proconnect-{DAYS[2]}.jsonl"
    held.parent.mkdir()
    (inbox / held.name).rename(held)  # the night of D3 will miss its ProConnect file

    clean = vigie("backfill", "--from", str(DAYS[0]), "--to", str(DAYS[1]))
    assert clean.exit_code == 0, clean.output
    assert got.posts == [] and got.mails == []

    incomplete = vigie("nightly", "--date", str(DAYS[2]))
    assert incomplete.exit_code == 3, incomplete.output
    [post] = got.posts
    [mail] = got.mails
    assert post["content_type"] == "application/json"
    text = post["body"]["text"]
    assert text.startswith("**Vigie : nuit incomplète (2025-07-03)**")
    assert "aucun fichier ProConnect pour ce jour" in text and str(root / "reports" / "2025-07-03") in text
    assert mail["subject"] == "Vigie : nuit incomplète (2025-07-03)" and "aucun fichier ProConnect" in mail["text"]
    assert mail["to"] == ["soc@example.fr", "rssi@example.fr"]
    got.clear()

    # D3's file arrives late with D4's: D3 is re-run (complete now), D4 has the attack (critical).
    held.rename(inbox / held.name)
    attack = vigie("nightly", "--date", str(DAYS[3]))
    assert attack.exit_code == 0, attack.output
    [post] = got.posts
    [mail] = got.mails
    assert post["body"]["text"].startswith("**Vigie : incident critique inc-")
    exposed = number(story.exposed, "fr")
    assert f"{exposed} personnes exposées (dont {exposed} avec NIR)" in post["body"]["text"]
    assert mail["subject"].startswith("Vigie : incident critique inc-")
    assert f"{exposed} personnes exposées" in mail["text"]
    for message in (post["body"]["text"], mail["text"]):  # pseudonyms and counts only
        assert not [v for v in story.clear_sample() if v in message]
    got.clear()

    again = vigie("nightly", "--date", str(DAYS[3]))  # the same night again: nothing new to tell
    assert again.exit_code == 0, again.output
    assert got.posts == [] and got.mails == []


def test_a_channel_that_fails_is_said_not_hidden(env, monkeypatch: pytest.MonkeyPatch):
    root, got = env
    monkeypatch.setenv("VIGIE_NOTIFY_WEBHOOK_URL", f"http://127.0.0.1:{_free_port()}/nobody-listens")
    (root / "inbox").mkdir()
    result = vigie("nightly", "--date", str(DAYS[0]))
    assert result.exit_code == 3
    output = result.output.replace("\n", " ")
    assert "notification: Vigie : nuit incomplète (2025-07-01): webhook:" in output
    assert len(got.mails) == 1  # the other channel still delivered
