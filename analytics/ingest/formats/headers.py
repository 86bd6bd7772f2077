"""Header normalization shared by formats and column matching."""

from __future__ import annotations

import re


def norm(header: str) -> str:
    """Case-, space- and punctuation-insensitive form of a header."""
    return re.sub(r"[^a-z0-9]", "", header.lower().replace("\ufeff", ""))


def normalized_set(headers: list[str]) -> set[str]:
    return {norm(h) for h in headers}
