"""Moodle grade export: `Started on`, `Grade/10.00` (the maximum in the header), an `Overall average` footer row."""

from __future__ import annotations

from .base import Format


class Moodle(Format):
    name = "moodle"
    kind = "quiz"
    label = "Moodle grade export"

    def detect(self, headers: list[str]) -> bool:
        low = " ".join(h.lower() for h in headers)
        return "grade/" in low.replace(" ", "") or "started on" in low

    def header_alias(self, normalized: str) -> str | None:
        return "grade" if normalized.startswith("grade") else None
