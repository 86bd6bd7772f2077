"""Google Forms quiz responses: `Timestamp, Email Address, Score` with scores such as `28.00 / 30`."""

from __future__ import annotations

from .base import Format


class GoogleForms(Format):
    name = "google_forms"
    kind = "quiz"
    label = "Google Forms quiz responses"

    def detect(self, headers: list[str]) -> bool:
        low = " ".join(h.lower() for h in headers)
        return "timestamp" in low and "email address" in low
