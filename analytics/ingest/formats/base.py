"""What an export format is: which tool wrote a file, the header spellings it adds and its locale hints."""

from __future__ import annotations

from collections.abc import Mapping


class Format:
    """One export format of one upload kind; subclasses set the attributes and override `detect`."""

    name: str = ""                # recorded as the upload's source_format (and prefixes its record keys)
    kind: str = ""                # the upload kind whose files this tool writes
    label: str = ""               # how the format is shown to people
    # field -> normalized header spellings this tool writes, tried after the kind's own spellings.
    synonyms: Mapping[str, tuple[str, ...]] = {}
    # Whether this tool writes ambiguous dates day first (True), month first (False) or cannot tell (None).
    day_first: bool | None = None
    fallback: bool = False        # the kind's catch-all, tried after every named tool

    def detect(self, headers: list[str]) -> bool:
        """True when the headers show that this tool wrote the file."""
        return False

    def header_alias(self, normalized: str) -> str | None:
        """A spelling a normalized header also stands for in the first matching pass (e.g. Moodle's `Grade/10.00`)."""
        return None

    def prefixed_alias(self, normalized: str) -> str | None:
        """A spelling to retry for fields still unmatched after the first pass (e.g. Pipedrive's `Deal - ` prefix)."""
        return None

    def __repr__(self) -> str:
        return f"<Format {self.name} ({self.kind})>"
