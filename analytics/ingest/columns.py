"""Header matching: which column of a file holds which field of its kind, through the kind's and formats' spellings."""

from __future__ import annotations

from .errors import IngestError
from .formats import norm
from .kinds import KINDS


def match_columns(kind: str, headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """Map target fields to column positions; explicit overrides (target -> header) win."""
    k = KINDS[kind]
    normalized = [norm(h) for h in headers]
    synonyms = k.spellings
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for target, header in (overrides or {}).items():
        if target not in synonyms:
            raise IngestError(f"--map {target}=...: unknown field for {kind} files; "
                              f"known fields: {', '.join(synonyms)}")
        if norm(header) not in normalized:
            raise IngestError(f"--map {target}={header}: no such column; the file has: {', '.join(headers)}")
        mapping[target] = normalized.index(norm(header))
        used.add(mapping[target])
    # A header also stands for the spellings its kind's formats read it as (Moodle's Grade/10.00 is a grade).
    aliases = [{h, *(a for f in k.formats if (a := f.header_alias(h)))} for h in normalized]
    for target, names in synonyms.items():
        if target in mapping:
            continue
        for name in names:
            hits = [i for i, spelled in enumerate(aliases) if i not in used and name in spelled]
            if hits:
                mapping[target] = hits[0]
                used.add(hits[0])
                break
    # Then, for fields still missing, the formats' prefixed spellings (Pipedrive's "Deal - X").
    for target, names in synonyms.items():
        if target in mapping:
            continue
        for i, h in enumerate(normalized):
            if i not in used and any(f.prefixed_alias(h) in names for f in k.formats):
                mapping[target] = i
                used.add(i)
                break
    return mapping


def missing_fields(kind: str, mapping: dict[str, int]) -> list[str]:
    """Required field groups a mapping lacks, as 'a or b' texts (empty when the file can be loaded)."""
    return [" or ".join(group) for group in KINDS[kind].required if not any(f in mapping for f in group)]


def check_required(kind: str, mapping: dict[str, int], headers: list[str], file_name: str) -> None:
    """Fail with the missing fields and the headers that were seen."""
    missing = missing_fields(kind, mapping)
    if missing:
        raise IngestError(
            f"{file_name}: not a {kind} export we recognize: missing {'; '.join(missing)}. "
            f"Headers seen: {', '.join(headers)}. Use --map field=Header to name them.")


def duplicate_warnings(headers: list[str], mapping: dict[str, int]) -> list[str]:
    """For each mapped column whose name appears again: which one is read (the first) and which are ignored."""
    out, used = [], set(mapping.values())
    for target, i in sorted(mapping.items(), key=lambda kv: kv[1]):
        twins = [j + 1 for j, h in enumerate(headers) if j not in used and h and norm(h) == norm(headers[i])]
        if twins:
            out.append(f"column {headers[i]!r} appears more than once (columns {i + 1} and "
                       f"{', '.join(map(str, twins))}): column {i + 1} is read as {target}, the other(s) are "
                       "ignored; rename one in the export to load it instead")
    return out
