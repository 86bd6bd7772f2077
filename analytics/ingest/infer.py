"""Column inference: which input column holds each target field, judged on its header and on its values.

Each (field, column) pair gets a score from the header (synonyms, localized labels, token runs, fuzzy similarity,
hints such as `(1-5)` or `Points Possible`) and from the column's profiled values (emails, roster names, catalog
message names, dates, scales, stages, booleans). One column per field is then chosen by the best joint assignment
(scipy's linear_sum_assignment). Two columns that tie for a required field are refused, never guessed. Needs no
database connection: the catalog's message names and the roster's names and emails are passed in. Scoring, the
assignment and the refusals share one score matrix, hence one module a little over the usual size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..model import catalog
from .errors import IngestError
from .kinds import KINDS
from .kinds.feedback import stated_scale
from .profile import SAMPLE_ROWS, Profile, fold, looks_like, person_key, profile_column
from .vocabulary import HINT_VETO, HINTS

MIN_REQUIRED = 0.5       # below this a required field counts as not found
MIN_OPTIONAL = 0.4       # below this an optional field is left out
CONFIDENT = 0.6          # below this a chosen column is used with a warning
TIE = 0.04               # two candidates closer than this for a required field: refuse
# Fields whose absence is not worth reporting: alternatives of another field, or read only beside one.
SECONDARY = {"first_name", "last_name", "is_closed", "max_score", "amount_currency", "won_time", "lost_time"}
WHAT = {"date": "a date", "money": "a number", "score": "a score", "max": "a number", "rating": "a rating",
        "bool": "true/false", "status": "open/won/lost", "share": "a share"}
CONVERTIBLE = {"date": ("date", "excel_date"), "money": ("money",), "score": ("score",), "max": ("number",),
               "rating": ("rating",), "bool": ("bool",), "status": ("status",), "share": ("number",)}


@dataclass
class Choice:
    """The column chosen for one field, how sure, and why."""

    field: str
    column: str
    index: int
    confidence: float
    reason: str

    def to_json(self) -> dict:
        return {"column": self.column, "confidence": round(self.confidence, 2), "reason": self.reason}


@dataclass
class Inference:
    """Everything inference decided about one file for one kind."""

    kind: str
    choices: dict[str, Choice] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unused_columns: list[dict] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)     # field -> one value for every row
    fit: float = 0.0

    @property
    def mapping(self) -> dict[str, int]:
        return {f: c.index for f, c in self.choices.items()}


def sample_rows(rows, n: int = SAMPLE_ROWS) -> list[tuple]:
    """At most n rows from a list of rows or a DuckDB relation."""
    if hasattr(rows, "fetchmany"):
        return rows.fetchmany(n)
    return list(rows)[:n]


def profile_columns(headers: list[str], rows, catalog_names: list[str] = (), roster_names: list[str] = (),
                    roster_emails: list[str] = ()) -> list[Profile]:
    """Profile every column on a bounded sample of rows (tuples in header order, or a DuckDB relation)."""
    sample = sample_rows(rows)
    catalog_keys = sorted({catalog.key(n) for n in catalog_names if n and catalog.key(n)})
    roster = {person_key(n) for n in roster_names if n} | {e.strip().lower() for e in roster_emails if e}
    roster.discard("")
    return [profile_column([r[i] if i < len(r) else None for r in sample], catalog_keys, roster)
            for i in range(len(headers))]


def tokens(header: str) -> list[str]:
    """Words of a header: accents folded, camelCase and snake_case split, parenthesized hints dropped."""
    base = re.sub(r"\(.*?\)|/\s*[0-9.,]+\s*$", " ", header)
    base = re.sub(r"([a-z])([A-Z])", r"\1 \2", base)
    return [t for t in (fold(w) for w in re.split(r"[\W_]+", base)) if t and not t.isdigit()]


@lru_cache(maxsize=None)
def _synonyms(kind: str, name: str) -> tuple[str, ...]:
    k = KINDS[kind]
    out = list(k.spellings.get(name, [])) + [fold(x) for x in k.labels.get(name, ())]
    return tuple(dict.fromkeys(s for s in out if s))


@lru_cache(maxsize=65536)
def exact_rank(kind: str, name: str, header: str) -> int | None:
    """Position of the header in the field's vocabulary when it is one of its labels: earlier labels win ties."""
    whole = "".join(tokens(header))
    syns = _synonyms(kind, name)
    return syns.index(whole) if whole in syns else None


@lru_cache(maxsize=65536)
def header_score(kind: str, name: str, header: str) -> tuple[float, str]:
    """How well a header names a field (0-1), and what it matched."""
    toks = tokens(header)
    whole = "".join(toks)
    for pattern, fields in HINT_VETO:
        if name in fields and re.search(pattern, header, re.I):
            return -1.0, ""
    runs = {"".join(toks[i:j]): j - i for i in range(len(toks)) for j in range(i + 1, len(toks) + 1)}
    best, how = 0.0, ""
    for rank, syn in enumerate(_synonyms(kind, name)):
        if syn == whole:
            s, h = 1.0 - 0.005 * min(rank, 40), f"header matches {syn!r}"
        elif syn in runs and len(syn) >= 3:
            s, h = 0.45 + 0.4 * runs[syn] / len(toks), f"header contains {syn!r}"
        elif len(syn) >= 5 and len(whole) >= 5:
            m = SequenceMatcher(None, whole, syn)
            if m.real_quick_ratio() < 0.85 or m.quick_ratio() < 0.85 or (r := m.ratio()) < 0.85:
                continue
            s, h = 0.75 * r, f"header resembles {syn!r}"
        else:
            continue
        if s > best:
            best, how = s, h
    for pattern, fields in HINTS:
        if name in fields and fields[name] > best and re.search(pattern, header, re.I):
            best, how = fields[name], f"header hint {re.search(pattern, header, re.I).group(0).strip()!r}"
    return best, how


def value_score(kind: str, vtype: str, p: Profile) -> tuple[float, float, str]:
    """(compatibility 0-1, distinctive evidence 0-1, why) of a column's values for a field's value type."""
    if not p.n:
        return 0.6, 0.0, "no values in the sample"
    notext = max(p["date"], p["number"], p["email"])
    pct = lambda s: f"{s:.0%} of values"  # noqa: E731
    if vtype == "email":
        d = p["email"] * ((0.5 + 0.5 * p["roster"]) if p.has_roster else 0.8)   # emails of nobody on the roster: weak
        return p["email"], d, f"{pct(p['email'])} are emails" + (f", {p['roster']:.0%} of the roster" if p["roster"]
                                                                  else "")
    if vtype == "person":
        # a name column may hold some emails (staging reads those as the email); only a column of emails is not one
        c = 1.0 - max(p["date"], p["number"]) if p["email"] < 0.95 else 0.6
        d = max(0.95 * p["roster"], 0.3 * p["person"])
        return c, d, (f"{pct(p['roster'])} match roster reps" if p["roster"] else f"{pct(p['person'])} look like names")
    if vtype == "message":
        c = 1.0 - max(notext, p["won_lost"], p["bool"])
        return c, 0.98 * p["catalog"], f"{pct(p['catalog'])} match catalog messages"
    if vtype == "date":
        c = max(p["date"], 0.8 * p["excel_date"])
        return c, 0.3 * c, f"{pct(c)} are dates"
    if vtype == "money":
        return p["money"], 0.25 + 0.25 * p["money_symbol"], f"{pct(p['money'])} are amounts"
    if vtype == "score":
        if p["fraction"] >= 0.5 or p["percent"] >= 0.5:
            return p["score"], 0.55, f"{pct(max(p['fraction'], p['percent']))} are fractions or percentages"
        scale = p.is_scale
        d = 0.1 if scale == 5 else 0.3 if p.hi is not None and 0 <= p.lo and p.hi <= 100 else 0.15
        return p["score"], d, f"{pct(p['score'])} are scores" + (f" ({p.lo:g}-{p.hi:g})" if p.hi is not None else "")
    if vtype == "max":
        return p["number"], 0.3 if p.distinct <= 3 else 0.1, f"{p.distinct} distinct numbers"
    if vtype == "rating":
        scale = p.is_scale
        return p["rating"], 0.45 if scale else 0.05, (f"values on a 1-{scale} scale" if scale
                                                       else f"{pct(p['rating'])} are numbers")
    if vtype == "bool":
        d = 0.6 * p["passfail"] + 0.3 * p["bool"] if p.distinct <= 4 else 0.0
        return p["bool"], min(d, 0.6), f"{pct(p['bool'])} are yes/no values"
    if vtype == "stage":
        d = (0.9 if p["won_lost"] else 0.5) * p["stage"]
        return 1.0 - max(notext, p["bool"] if p.distinct <= 2 else 0), d, f"{pct(p['stage'])} are deal stages"
    if vtype == "status":
        return p["status"], 0.9 * p["status"], f"{pct(p['status'])} are open/won/lost"
    if vtype == "currency":
        return p["currency"], 0.8 * p["currency"], f"{pct(p['currency'])} are currency codes"
    if vtype == "crm_id":
        return max(p["crm_id"], 0.5 if p["number"] < 0.5 and p["date"] < 0.2 else 0), 0.3 * p["crm_id"], \
            f"{pct(p['crm_id'])} look like record ids"
    if vtype == "id":
        return (1.0 if p["unique"] >= 0.9 else 0.5) * (1 - p["date"]), 0.1, f"{p['unique']:.0%} unique values"
    if vtype == "share":
        return p["number"], 0.2, f"{pct(p['number'])} are numbers"
    if vtype in ("duration", "ref"):   # seconds or clock times (1:02:03); a record's id or name: short, no date
        c = 1.0 - max(p["date"], p["email"], p["long_text"])
        return c, 0.2 * p["number"] if vtype == "duration" else 0.1, f"{pct(p['number'])} are numbers"
    if vtype == "notes":
        return 1.0, 0.4 * p["long_text"], f"{pct(p['long_text'])} are long text"
    # text, category, name_part: any text; numbers, dates and emails make it unlikely.
    return 1.0 - 0.8 * notext, 0.0, "text"


def _score(kind: str, name: str, header: str, p: Profile) -> tuple[float, str]:
    h, how = header_score(kind, name, header)
    if h < 0:
        return 0.0, "header says otherwise"
    vtype = KINDS[kind].value_types[name]
    if vtype == "rating" and p.n and p["number"] >= 0.5 and p["small"] < 0.5 and not stated_scale(header):
        return 0.0, "values are not on a rating scale"      # a 0-100 score is no rating unless its header says so
    c, d, why = value_score(kind, vtype, p)
    s = c * max(0.7 * h + 0.3 * d, 0.8 * d)
    if exact_rank(kind, name, header) is not None and not (vtype == "id" and p.n and p["unique"] < 0.5):
        # named for the field: its candidate even when its values fail (then reported), unless an "id" repeats
        s = max(s, 0.5)
    parts = [x for x in (how, why if d >= 0.2 or not how else "") if x]
    return min(s, 1.0), "; ".join(parts)


def _groups(kind: str) -> dict[str, tuple[str, ...]]:
    return {f: g for g in KINDS[kind].required for f in g}


def _matrix(kind: str, headers: list[str], profiles: list[Profile]):
    fields = list(KINDS[kind].value_types)
    scores = np.zeros((len(fields), len(headers)))
    reasons: dict[tuple[int, int], str] = {}
    # A header repeated later in the file: the first column is read, the others are ignored (and said so).
    folded = [fold(h) for h in headers]
    repeats = {j for j, h in enumerate(folded) if h and h in folded[:j]}
    for i, f in enumerate(fields):
        for j, h in enumerate(headers):
            if (h.strip() or profiles[j].n) and j not in repeats:
                scores[i, j], reasons[i, j] = _score(kind, f, h, profiles[j])
    return fields, scores, reasons


def _assign(kind, fields, scores, fixed: dict[str, int]) -> dict[str, int]:
    """Best joint assignment of the fields not fixed by the user to the columns not fixed."""
    groups = _groups(kind)
    weights = np.array([1.25 if f in groups else 1.0 for f in fields])[:, None]
    floor = np.array([MIN_REQUIRED if f in groups else MIN_OPTIONAL for f in fields])[:, None]
    w = np.where(scores >= floor, scores * weights, 0.0)
    free_f = [i for i, f in enumerate(fields) if f not in fixed]
    free_c = [j for j in range(scores.shape[1]) if j not in fixed.values()]
    out = dict(fixed)
    if free_f and free_c:
        rows, cols = linear_sum_assignment(w[np.ix_(free_f, free_c)], maximize=True)
        for r, c in zip(rows, cols):
            if w[free_f[r], free_c[c]] > 0:
                out[fields[free_f[r]]] = free_c[c]
    return out


MESSAGE_FIELDS = {"quiz": "module", "feedback": "topic"}


def infer_columns(kind: str, headers: list[str], profiles: list[Profile], overrides: dict[str, str] | None = None,
                  file_name: str = "the file", catalog_names: list[str] = ()) -> Inference:
    """Choose a column per field for a file of `kind`; raises IngestError on a tie or a missing required field.

    A quiz or feedback file without a message column whose file name names a catalog message (LMS downloads of one
    quiz are named after it) gets that message for every row."""
    overrides = overrides or {}
    fixed = _fixed(kind, headers, overrides)
    fields, scores, reasons = _matrix(kind, headers, profiles)
    chosen = _assign(kind, fields, scores, fixed)
    result = Inference(kind=kind)
    for f, j in chosen.items():
        i = fields.index(f)
        why = "named with --map" if f in fixed else reasons.get((i, j), "")
        result.choices[f] = Choice(f, headers[j], j, 1.0 if f in fixed else float(scores[i, j]),
                                   f'{f} <- "{headers[j]}": {why}')
    _refuse_ties(kind, fields, scores, reasons, headers, result, fixed, file_name)
    _drop_unconvertible(kind, profiles, result, fixed, file_name)
    _message_from_file_name(kind, result, file_name, catalog_names)
    _refuse_missing(kind, fields, scores, reasons, headers, profiles, result, file_name)
    for f, ch in result.choices.items():
        if f not in fixed and ch.confidence < CONFIDENT:
            result.warnings.append(f"{ch.reason} (low confidence, {ch.confidence:.0%}); if that is wrong, name the "
                                   f"column with --map {f}=Header")
    groups = _groups(kind)
    used = set(result.mapping.values())
    result.unused_columns = [{"column": h or f"column {j + 1}", "looks_like": looks_like(profiles[j])}
                             for j, h in enumerate(headers) if j not in used and profiles[j].n]
    result.missing_optional = [f for f in fields if f not in result.choices and f not in groups
                               and f not in SECONDARY]
    result.fit = _fit(kind, result, profiles)
    return result


def _fixed(kind: str, headers: list[str], overrides: dict[str, str]) -> dict[str, int]:
    folded = [fold(h) for h in headers]
    out = {}
    for target, header in overrides.items():
        if target not in KINDS[kind].value_types:
            raise IngestError(f"--map {target}=...: unknown field for {kind} files; "
                              f"known fields: {', '.join(KINDS[kind].value_types)}")
        if fold(header) not in folded:
            raise IngestError(f"--map {target}={header}: no such column; the file has: {', '.join(headers)}")
        out[target] = folded.index(fold(header))
    return out


def _refuse_ties(kind, fields, scores, reasons, headers, result, fixed, file_name) -> None:
    groups = _groups(kind)
    owner = {ch.index: ch.field for ch in result.choices.values()}
    for f, ch in result.choices.items():
        if f in fixed or f not in groups:
            continue
        i = fields.index(f)
        s = scores[i, ch.index]
        for k in range(len(headers)):
            if k == ch.index or scores[i, k] < max(MIN_REQUIRED, s - TIE) or k in fixed.values():
                continue
            ra, rb = exact_rank(kind, f, headers[ch.index]), exact_rank(kind, f, headers[k])
            if ra is not None and rb is not None and ra != rb:
                continue        # both are labels of the field: the vocabulary's order settles it
            g = owner.get(k)
            if g is None or scores[fields.index(g), k] < scores[i, k]:
                a, b = headers[ch.index], headers[k]
                raise IngestError(
                    f'{file_name}: two columns could be the {f}: "{a}" ({reasons[i, ch.index]}) and "{b}" '
                    f"({reasons[i, k]}). Settle it with --map {f}={a} (or --map {f}={b})")


def _drop_unconvertible(kind, profiles, result, fixed, file_name) -> None:
    """A chosen column none of whose sampled values convert: an error for a required field, else left out."""
    groups = _groups(kind)
    for f in list(result.choices):
        ch = result.choices[f]
        vtype = KINDS[kind].value_types[f]
        p = profiles[ch.index]
        if vtype not in CONVERTIBLE or not p.n or any(p[s] for s in CONVERTIBLE[vtype]):
            continue
        examples = ", ".join(repr(e[:30]) for e in p.examples[:2])
        alternatives = [g for g in groups.get(f, ()) if g != f and g in result.choices]
        if f in groups and not alternatives:
            raise IngestError(f'{file_name}: {f} <- "{ch.column}": none of its values can be read as '
                              f"{WHAT[vtype]} (e.g. {examples})")
        del result.choices[f]
        result.warnings.append(f'"{ch.column}" looks like the {f} column but none of its values read as '
                               f"{WHAT[vtype]} (e.g. {examples}); it was not used")


def _message_from_file_name(kind, result, file_name, catalog_names) -> None:
    target = MESSAGE_FIELDS.get(kind)
    if not target or target in result.choices or not catalog_names:
        return
    keys = {catalog.key(n): n for n in catalog_names if n}
    stem = catalog.key(re.sub(r"\.[A-Za-z0-9]+$", "", file_name))
    hit = catalog.match(stem, sorted(keys))
    if hit:
        result.constants[target] = keys[hit]
        result.warnings.append(f'{target} <- file name "{file_name}": no {target} column, and the file name names '
                               f'the catalog message "{keys[hit]}"; every row is read as that message')


def _refuse_missing(kind, fields, scores, reasons, headers, profiles, result, file_name) -> None:
    missing = [g for g in KINDS[kind].required if not any(f in result.choices or f in result.constants for f in g)]
    if not missing:
        return
    hints = []
    for g in missing:
        i, j = max(((fields.index(f), j) for f in g for j in range(len(headers))), key=lambda ij: scores[ij])
        if scores[i, j] > 0.15:
            hints.append(f'{fields[i]}: the closest column is "{headers[j]}" ({looks_like(profiles[j])}), '
                         f"--map {fields[i]}={headers[j]}")
    fits = kind_fits(headers, profiles)
    other = max((k for k in fits if k not in (kind, "crm_users")), key=fits.get)
    suggestion = (f" This looks like {KINDS[other].noun}; use `ingest {other}`."
                  if fits[other] >= 0.6 and fits[other] > fits.get(kind, 0) + 0.15 else "")
    raise IngestError(
        f"{file_name}: not a {kind} export we recognize: missing {'; '.join(' or '.join(g) for g in missing)}. "
        f"Headers seen: {', '.join(headers)}. Use --map field=Header to name them."
        + (" Candidates: " + "; ".join(hints) + "." if hints else "") + suggestion)


def _fit(kind: str, result: Inference, profiles: list[Profile]) -> float:
    """How well a file fits a kind: its required fields' confidence, and the share of columns it uses."""
    req = [max((result.choices[f].confidence for f in g if f in result.choices), default=0.0)
           for g in KINDS[kind].required]
    filled = sum(1 for p in profiles if p.n) or 1
    return round(0.8 * float(np.mean(req)) + 0.2 * min(1.0, len(result.choices) / filled), 3)


def fitted(kind: str, headers: list[str], profiles: list[Profile]) -> Inference:
    """The joint assignment for `kind` with nothing refused: which columns it would claim, and its fit."""
    fields, scores, _ = _matrix(kind, headers, profiles)
    res = Inference(kind=kind)
    for f, j in _assign(kind, fields, scores, {}).items():
        res.choices[f] = Choice(f, headers[j], j, float(scores[fields.index(f), j]), "")
    res.fit = _fit(kind, res, profiles)
    return res


def kind_fits(headers: list[str], profiles: list[Profile]) -> dict[str, float]:
    """A 0-1 fit per kind, so a caller can tell that a file looks like another kind than the one it was sent as."""
    return {kind: fitted(kind, headers, profiles).fit for kind in KINDS}
