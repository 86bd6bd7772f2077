"""Which upload kind a file is: how well its columns fit each kind, so a file of another kind is refused or proposed.

The fit is column inference's scoring (analytics/ingest/infer.py), so the kind a file is refused as, the kind proposed
for it and the columns read from it come from one definition. Uploads tell kinds apart by their headers alone (no
profiles): by its values a quiz export's "Quiz" column also reads as a feedback topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import IngestError
from .infer import fitted
from .kinds import KINDS, UPLOAD_KINDS, kind_of_file
from .profile import Profile

# A file is refused as one kind when another kind, whose required fields it all has, claims this many more columns.
FAR_BETTER = 2


@dataclass(frozen=True)
class Fit:
    """How one upload kind reads a file's headers."""

    kind: str               # the kind as uploaded (what a person picks)
    effective: str          # the kind the file is read as under it (CRM users under crm)
    columns: tuple[str, ...]  # the headers its fields claim
    complete: bool          # every required field found
    fit: float = 0.0        # inference's 0-1 fit of the file to `effective`

    @property
    def score(self) -> int:
        """Columns claimed, 0 when a required field is missing (such a file cannot be loaded as this kind)."""
        return len(self.columns) if self.complete else 0


def kind_fit(headers: list[str] | tuple[str, ...], profiles: list[Profile] | None = None) -> dict[str, Fit]:
    """Per upload kind, the columns inference gives its fields and whether its required fields are all there;
    from the headers alone when no profiles of the values are given."""
    headers = list(headers)
    profiles = [Profile() for _ in headers] if profiles is None else profiles
    out = {}
    for kind in UPLOAD_KINDS:
        effective = kind_of_file(kind, headers).name
        res = fitted(effective, headers, profiles)
        out[kind] = Fit(kind, effective, tuple(headers[i] for i in sorted(res.mapping.values())),
                        all(any(f in res.choices for f in g) for g in KINDS[effective].required), res.fit)
    return out


def best_kind(headers: list[str] | tuple[str, ...], profiles: list[Profile] | None = None) -> str | None:
    """The kind whose fields explain the most columns (the earlier kind on a tie), None when no kind fits."""
    fits = kind_fit(headers, profiles)
    best = max(UPLOAD_KINDS, key=lambda k: (fits[k].score, -UPLOAD_KINDS.index(k)))
    return best if fits[best].score else None


def check_kind(kind: str, headers: list[str], file_name: str, profiles: list[Profile] | None = None,
               asked: Fit | None = None) -> None:
    """Refuse a file whose columns another kind fits far better than `kind` (a feedback log uploaded as quiz).

    `asked` is how the file was actually read as `kind`, when it could be (a message taken from the file name
    completes a quiz export that has no module column)."""
    fits = kind_fit(headers, profiles)
    if asked is not None:
        fits[kind] = asked
    best = max(UPLOAD_KINDS, key=lambda k: (fits[k].score, -UPLOAD_KINDS.index(k)))
    best = best if fits[best].score else None
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
