"""Delivering a text (the weekly digest) by e-mail over SMTP or to a Slack/Teams incoming webhook, as configured.

Settings come from the environment (analytics.settings: HUDDLE_SMTP_*, HUDDLE_DIGEST_WEBHOOK); nothing is sent
unless one of them is set. Standard library only, so the command line needs no extra package to send.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.request
from email.message import EmailMessage
from urllib.parse import urlparse

from analytics import settings


class DeliveryError(Exception):
    """A configured channel could not deliver (the message names the channel, never a password)."""


def configured(env=os.environ) -> list[str]:
    """The channels set up in the environment: 'smtp' and/or 'webhook'."""
    out = []
    if env.get(settings.SMTP_HOST_ENV) and env.get(settings.SMTP_TO_ENV):
        out.append("smtp")
    if env.get(settings.WEBHOOK_ENV):
        out.append("webhook")
    return out


def send_email(subject: str, text: str, html: str | None = None, env=os.environ, timeout: float = 30.0) -> list[str]:
    """Send one e-mail (plain text, with an HTML alternative) to HUDDLE_SMTP_TO; returns the recipients."""
    host = env.get(settings.SMTP_HOST_ENV)
    to = [a.strip() for a in env.get(settings.SMTP_TO_ENV, "").split(",") if a.strip()]
    if not host or not to:
        raise DeliveryError(f"e-mail needs {settings.SMTP_HOST_ENV} and {settings.SMTP_TO_ENV}")
    port = int(env.get(settings.SMTP_PORT_ENV) or 587)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = env.get(settings.SMTP_FROM_ENV) or "huddle@localhost"
    message["To"] = ", ".join(to)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if env.get(settings.SMTP_TLS_ENV, "1") != "0":
                smtp.starttls(context=ssl.create_default_context())
            if env.get(settings.SMTP_USER_ENV):
                smtp.login(env[settings.SMTP_USER_ENV], env.get(settings.SMTP_PASSWORD_ENV, ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"e-mail via {host}:{port} failed: {type(exc).__name__}: {exc}") from exc
    return to


def post_webhook(text: str, env=os.environ, timeout: float = 30.0) -> int:
    """POST {"text": ...} (what Slack and Teams incoming webhooks read) to HUDDLE_DIGEST_WEBHOOK; the HTTP status."""
    url = env.get(settings.WEBHOOK_ENV)
    if not url or not url.startswith(("https://", "http://")):
        raise DeliveryError(f"{settings.WEBHOOK_ENV} must be an http(s) URL")
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except OSError as exc:
        host = urlparse(url).hostname       # the path of a webhook URL is its secret
        raise DeliveryError(f"webhook to {host} failed: {type(exc).__name__}") from exc
