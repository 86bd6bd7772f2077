"""The weekly digest: one page per message, the CLI command, and delivery to a local SMTP and HTTP receiver."""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import threading
from datetime import date as D
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from conftest import ROOT
from pagetools import HOSTILE
from streamlit.testing.v1 import AppTest

from analytics import delivery, settings
from analytics.filters import Filters
from analytics.views import digest, feedback

WEEK = "2026-W47"          # 16 to 22 November 2026: inside the demo company's history


def test_an_iso_week_runs_from_monday_to_sunday():
    assert digest.week_bounds("2026-W47") == (D(2026, 11, 16), D(2026, 11, 22))
    assert digest.week_bounds("2026-W01") == (D(2025, 12, 29), D(2026, 1, 4))
    assert digest.last_week(D(2026, 12, 3)) == "2026-W48"
    for wrong in ("2026-47", "2026-W54", "W47", ""):
        with pytest.raises(ValueError):
            digest.week_bounds(wrong)


@pytest.fixture(scope="module")
def demo_digest(demo_world):
    from analytics import db
    from analytics.views.retention import retention_model
    con = db.connect(demo_world["db"], read_only=True)      # closed at once: the CLI tests open the file too
    try:
        out = digest.weekly_digest(con, WEEK, retention_model(con), n_boot=40)
        return out, feedback.entries(con, Filters(start=D(2026, 11, 16), end=D(2026, 11, 22)))
    finally:
        con.close()


def test_the_digest_flags_the_harmful_and_the_disliked_message_of_the_demo(demo_digest):
    out, _ = demo_digest
    by_name = {m["message"]: m for m in out["messages"]}
    assert len(by_name) == 4
    roi = by_name["ROI Calculator Talk Track"]
    assert roi["needs_attention"] and any("negative lift" in r for r in roi["attention"])
    assert roi["evidence"] in ("moderate", "strong") and roi["ci_high_pp"] < 0
    assert any("poor field reception" in r for r in by_name["Platform Consolidation Story"]["attention"])
    assert all(0 <= m["certification_rate"] <= 1 and m["reps_certified"] <= m["reps_in_scope"] for m in by_name.values())


def test_new_themes_quote_only_notes_dated_in_that_week(demo_digest):
    out, week_notes = demo_digest
    texts = " ".join(week_notes["notes"].dropna())
    quotes = [q for m in out["messages"] for t in m["themes"] for q in t["quotes"]]
    assert quotes, "the demo has field notes in that week"
    for q in quotes:
        assert q.rstrip("…")[:40] in texts


def planted(name: str) -> dict:
    """A digest by hand, one message, so rendering is checked against known values."""
    return {"week": WEEK, "start": "2026-11-16", "end": "2026-11-22", "retention_available": True, "messages": [{
        "message_id": "m", "message": name, "reps_in_scope": 40, "reps_certified": 30, "certified_this_week": 4,
        "certification_rate": 0.75, "planned_share": 0.8, "is_behind_plan": True, "reinforcement_due": 6,
        "reinforcement_by_status": {"overdue": 2, "due this week": 4}, "adjusted_lift_pp": -5.0, "ci_low_pp": -8.0,
        "ci_high_pp": -2.0, "evidence": "moderate", "lift_sentence": "Deals by certified reps won 5 points less often.",
        "themes": [{"label": "pricing pushback", "notes": 3, "quotes": ["Too expensive <b>now</b>"]}],
        "attention": ["negative lift: 5.0 points"], "needs_attention": True}]}


def test_the_markdown_digest_reads_as_one_page_per_message():
    text = digest.to_markdown(planted("Plain Message"))
    assert text.startswith("# Huddle weekly digest, 2026-W47 (16 Nov 2026 to 22 Nov 2026)")
    assert "**Needing attention:** Plain Message." in text
    assert "75% of 40 targeted reps certified, plan 80% by now (behind plan); +4 this week." in text
    assert "6 reps due for a refresher (2 overdue, 4 due this week)." in text
    assert "New field theme: pricing pushback (3 notes)." in text


def test_names_and_quotes_cannot_add_markup_to_either_format():
    page = digest.to_html(planted('<script>alert(1)</script>' + HOSTILE))
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>now</b>" not in page
    text = digest.to_markdown(planted("[click](http://evil.example)"))
    assert "[click](http" not in text and r"\[click\]" in text


# ------------------------------------------------------------------------------------------ delivery

class SMTPReceiver(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message: its DATA lands in server.received."""

    def handle(self):
        self.wfile.write(b"220 localhost test receiver\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 localhost\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk)
                self.server.received.append(b"".join(body).decode("utf-8", "replace"))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:                                  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


class WebhookReceiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receivers():
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPReceiver)
    http = HTTPServer(("127.0.0.1", 0), WebhookReceiver)
    for server in (smtp, http):
        server.received = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield smtp, http
    for server in (smtp, http):
        server.shutdown()
        server.server_close()


def env_for(smtp, http) -> dict:
    return {settings.SMTP_HOST_ENV: "127.0.0.1", settings.SMTP_PORT_ENV: str(smtp.server_address[1]),
            settings.SMTP_TLS_ENV: "0", settings.SMTP_TO_ENV: "vp@example.com, pmm@example.com",
            settings.SMTP_FROM_ENV: "huddle@example.com",
            settings.WEBHOOK_ENV: f"http://127.0.0.1:{http.server_address[1]}/hooks/T000/B000"}


def test_email_and_webhook_deliver_the_text(receivers):
    smtp, http = receivers
    env = env_for(smtp, http)
    assert delivery.configured(env) == ["smtp", "webhook"]
    assert delivery.send_email("Subject line", "plain body", "<p>html body</p>", env=env) == \
        ["vp@example.com", "pmm@example.com"]
    assert delivery.post_webhook("hello *team*", env=env) == 200
    mail = smtp.received[0]
    assert "Subject: Subject line" in mail and "plain body" in mail and "<p>html body</p>" in mail
    assert json.loads(http.received[0]) == {"text": "hello *team*"}


def test_an_unreachable_receiver_is_an_error_that_keeps_the_webhook_secret():
    env = {settings.WEBHOOK_ENV: "http://127.0.0.1:9/services/SECRET-TOKEN"}
    with pytest.raises(delivery.DeliveryError) as caught:
        delivery.post_webhook("x", env=env, timeout=5)
    assert "SECRET-TOKEN" not in str(caught.value)


def cli(*args, env: dict) -> subprocess.CompletedProcess:
    full = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), settings.REFRESH_ENV: "skip", **env}
    return subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True, cwd=ROOT,
                          env=full, timeout=300)


def test_digest_send_mails_and_posts_the_weeks_summary(demo_world, receivers, tmp_path):
    smtp, http = receivers
    out = tmp_path / "digest.html"
    res = cli("digest", "--week", WEEK, "--format", "html", "--out", str(out), "--send", "--db",
              str(demo_world["db"]), env=env_for(smtp, http))
    assert res.returncode == 0, res.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "ROI Calculator Talk Track" in page
    assert "Subject: Huddle weekly digest 2026-W47" in smtp.received[0]
    posted = json.loads(http.received[0])["text"]
    assert posted.startswith("# Huddle weekly digest, 2026-W47") and "negative lift" in posted


def test_digest_send_without_a_channel_says_what_to_set(demo_world):
    res = cli("digest", "--week", WEEK, "--send", "--db", str(demo_world["db"]), env={})
    assert res.returncode == 2 and settings.SMTP_HOST_ENV in res.stderr and settings.WEBHOOK_ENV in res.stderr


def test_a_malformed_week_is_refused_by_the_command_line(demo_world):
    res = cli("digest", "--week", "2026-47", "--db", str(demo_world["db"]), env={})
    assert res.returncode == 2 and "2026-W49" in res.stderr


def test_the_overview_offers_the_digest_as_a_download(demo_app, monkeypatch):
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "leadership" / "overview.py"), default_timeout=120).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the digest (HTML)" in labels and "Download the digest (Markdown)" in labels
    assert any(digest.last_week(D.today()) in c.value for c in at.caption)
