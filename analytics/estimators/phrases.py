"""Key phrases as text: the one reading of a catalog's ';'-separated phrases, for the trackers and their edits.

Plain string work with no import, so the key phrase edits (analytics.ingest.tracking) read phrases as the trackers
do without loading scikit-learn.
"""

from __future__ import annotations


def split_phrases(text) -> list[str]:
    """A catalog's ';'-separated key phrases as a list (blank ones dropped)."""
    if not isinstance(text, str):
        return []
    return [p.strip() for p in text.split(";") if p.strip()]
