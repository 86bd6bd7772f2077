"""Which upload kind a file is: how well its columns fit each kind, so a file of another kind is refused or proposed.

The fit is read from the header names through each kind's and format's spellings. `kind_fit` is the one place a
reading of the values (what a column holds) adds to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .columns import match_columns, missing_fields
from .errors import IngestError
from .kinds import KINDS, UPLOAD_KINDS, kind_of_file

# A file is refused as one kind when another kind, whose required fields it all has, claims this many more columns.
FAR_BETTER = 2


@dataclass(frozen=True)
class Fit:
    """How one upload kind reads a file's headers."""

    kind: str               # the kind as uploaded (what a person picks)
    effective: str          # the kind the file is read as under it (CRM users under crm)
    columns: tuple[str, ...]  # the headers its fields claim
    complete: bool          # every required field found

    @property
    def score(self) -> int:
        """Columns claimed, 0 when a required field is missing (such a file cannot be loaded as this kind)."""
        return len(self.columns) if self.complete else 0


def kind_fit(headers: list[str] | tuple[str, ...]) -> dict[str, Fit]:
    """Per upload kind, the columns its fields claim and whether its required fields are all there."""
    headers = list(headers)
    out = {}
    for kind in UPLOAD_KINDS:
        effective = kind_of_file(kind, headers).name
        mapping = match_columns(effective, headers)
        out[kind] = Fit(kind, effective, tuple(headers[i] for i in sorted(mapping.values())),
                        not missing_fields(effective, mapping))
    return out


def best_kind(headers: list[str] | tuple[str, ...]) -> str | None:
    """The kind whose fields explain the most columns (the earlier kind on a tie), None when no kind fits."""
    fits = kind_fit(headers)
    best = max(UPLOAD_KINDS, key=lambda k: (fits[k].score, -UPLOAD_KINDS.index(k)))
    return best if fits[best].score else None


def check_kind(kind: str, headers: list[str], file_name: str) -> None:
    """Refuse a file whose columns another kind fits far better than `kind` (a feedback log uploaded as quiz)."""
    fits = kind_fit(headers)
    best = best_kind(headers)
    if best is None or best == kind:
        return
    asked, other = fits[kind], fits[best]
    if other.score < asked.score + FAR_BETTER:
        return
    telling = [h for h in other.columns if h not in asked.columns][:4]
    noun = KINDS[other.effective].noun
    raise IngestError(
        f"{file_name}: not a {kind} export: this looks like {noun}; use `ingest {best}`, or choose "
        f"{KINDS[best].label} as the kind on the Data page (its columns {', '.join(telling)} tell)")
