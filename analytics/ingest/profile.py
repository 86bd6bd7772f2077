"""What a column's values look like, judged on a bounded sample: emails, roster names, catalog messages, dates,
scales, stages, booleans. Pure Python over lists of strings, so inference needs no database connection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..model import catalog
from . import convert as cv
from .kinds import STATUS_WORDS, default_outcome

SAMPLE_ROWS = 2000          # rows profiled per file, whatever its size

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
PERSON = re.compile(r"^[^\W\d_][\w'’.\-]*(?:\s+[^\W\d_][\w'’.\-]*){1,3}$|^[^\W\d_][\w'’.\- ]*,\s*[^\W\d_][\w'’.\- ]*$")
ISO = re.compile(cv.ISO_RE)
YMD = re.compile(cv.YMD_SLASH_RE)
NUMERIC_DATE = re.compile(cv.DMY_RE + r"(?:,?[ T]\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?\s*$")
TEXT_DATE = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b.*\b\d{4}\b|"
                       r"\b\d{4}\b.*\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
EXCEL = re.compile(cv.EXCEL_RE)
NUMBER = re.compile(r"^\(?-?\s*[0-9][0-9.,\s]*%?\)?$")
MONEY = re.compile(cv.MONEY_OK)
FRACTION = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*/\s*([0-9]+(?:[.,][0-9]+)?)\s*$")
LEADING_NUMBER = re.compile(r"^[0-9]+([.,][0-9]+)?")
SALESFORCE_ID = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
CURRENCIES = {"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
              "INR", "BRL", "MXN", "CNY", "HKD", "SGD", "ZAR", "AED", "ILS", "KRW", "TRY", "RUB"}
TRUE_FALSE = set(cv.TRUE_WORDS) | set(cv.FALSE_WORDS)
PASS_FAIL = {"pass", "passed", "fail", "failed", "certified", "not certified", "yes", "no", "ja", "nein", "oui",
             "non", "sí", "si", "✓", "✔", "✗", "✘", "success", "successful", "unsuccessful", "p", "f"}
STATUS = set(STATUS_WORDS)
# Open stages of the common CRMs' default pipelines (Salesforce, HubSpot ids and labels, Pipedrive, Odoo, ...).
OPEN_STAGES = {
    "prospecting", "qualification", "needsanalysis", "valueproposition", "iddecisionmakers", "perceptionanalysis",
    "proposalpricequote", "negotiationreview", "proposal", "negotiation", "discovery", "demo", "qualified",
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
    "leadin", "contactmade", "demoscheduled", "proposalmade", "negotiationsstarted", "new", "open", "lead",
    "opportunity", "quotesent", "prospect", "identified", "solutiondesign", "closing", "commit", "pipeline",
    "upside", "bestcase", "interessent", "qualifizierung", "bedarfsanalyse", "angebotpreisangebot", "angebot",
    "verhandlungueberpruefung", "verhandlung", "prospection", "propositiondevaleur", "propositiondeprix",
    "negociationrevision", "negociation", "analysedesbesoins", "calificacion", "prospeccion",
    "analisisdenecesidades", "propuesta", "propuestapresupuesto", "negociacionrevision", "negociacion",
    "rendezvousplanifie", "citaprogramada", "terminvereinbart", "qualifie", "cualificado", "qualifiziert",
    "rdvplanifie", "initialcontact", "initial", "needsdefined", "evaluation", "sentquote", "followup",
}


def fold(text: str) -> str:
    """Lower-case, accents stripped, letters and digits only (the form vocabularies are compared in)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", text)


def person_key(text: str) -> str:
    """Name matching as the SQL macro name_key does it: 'Last, First' turned round, accents and case ignored."""
    if re.fullmatch(r"[^,]+,[^,]+", text):
        last, first = text.split(",")
        text = f"{first.strip()} {last.strip()}"
    return catalog.key(text)


@dataclass
class Profile:
    """Shares of a column's sampled non-empty values that look like each kind of thing, with their range."""

    n: int = 0
    distinct: int = 0
    share: dict[str, float] = field(default_factory=dict)
    lo: float | None = None
    hi: float | None = None
    integers: bool = False
    date_order: str | None = None
    avg_len: float = 0.0
    examples: list[str] = field(default_factory=list)
    has_roster: bool = False         # whether roster matches could be looked for at all

    def __getitem__(self, name: str) -> float:
        return self.share.get(name, 0.0)

    @property
    def is_scale(self) -> int | None:
        """5 or 10 when the values are whole numbers on a 1-5 (0-5) or 1-10 (0-10) scale."""
        if self.n and self.integers and self["number"] > 0.95 and self.lo is not None and self.lo >= 0:
            if self.hi <= 5 and self.distinct >= 2:
                return 5
            if self.hi <= 10 and self.distinct >= 3:
                return 10
        return None


def _number(text: str) -> float | None:
    t = re.sub(r"[^0-9,.\-]", "", text)
    if "," in t and "." not in t and re.search(r",\d{1,2}$", t):
        t = t.replace(",", ".")
    t = t.replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def _date_kind(text: str) -> tuple[str | None, int, int]:
    """(format family, first, second number) of a date-looking value; family None when it is not a date."""
    if ISO.match(text) or YMD.match(text):
        return "ISO", 0, 0
    m = NUMERIC_DATE.match(text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if (a <= 12 and 1 <= b <= 31) or (b <= 12 and 1 <= a <= 31):
            return "NUM", a, b
        return None, 0, 0
    if TEXT_DATE.search(text) and len(text) < 40:
        return "TEXT", 0, 0
    return None, 0, 0


LONG_TEXT = 300       # characters: longer values are only long text (no name, date or number is this long)


def profile_column(values: list[str], catalog_keys: list[str], roster_keys: set[str]) -> Profile:
    """Profile one column's sampled values (None and blanks ignored)."""
    vals = [v.strip() for v in values if v is not None and v.strip()]
    p = Profile(n=len(vals), has_roster=bool(roster_keys))
    if not vals:
        return p
    distinct = list(dict.fromkeys(vals))
    p.distinct = len(distinct)
    p.examples = distinct[:3]
    p.avg_len = sum(map(len, vals)) / len(vals)
    counts = {v: 0 for v in distinct}
    for v in vals:
        counts[v] += 1
    tally: dict[str, int] = {}
    nums: list[float] = []
    first_gt12 = second_gt12 = dotted = 0

    def add(name: str, n: int) -> None:
        tally[name] = tally.get(name, 0) + n

    for v, n in counts.items():        # each distinct value once, weighted by how often it occurs
        if len(v) > LONG_TEXT:         # a transcript or an email body: none of the short values below
            add("long_text", n)
            continue
        low = v.lower()
        key = fold(v)
        if EMAIL.match(v):
            add("email", n)
            if low in roster_keys:
                add("roster", n)
        else:
            if PERSON.match(v):
                add("person", n)
            if person_key(v) in roster_keys:
                add("roster", n)
        if catalog_keys:
            k = catalog.key(v)
            if k and (catalog.match(k, catalog_keys) or catalog.match(catalog.PREFIXES.sub("", k), catalog_keys)):
                add("catalog", n)
        family, a, b = _date_kind(v)
        if family:
            add("date", n)
            if family == "NUM":
                dotted += n if "." in v[:6] else 0
                first_gt12 += n if a > 12 else 0
                second_gt12 += n if b > 12 else 0
        if EXCEL.match(v) and 20000 <= float(v) <= 80000:
            add("excel_date", n)
        if NUMBER.match(v):
            add("number", n)
            x = _number(v)
            if x is not None:
                nums.append(x)
                if 0 <= x <= 10:
                    add("small", n)         # on a 0-10 scale, as ratings are unless a header states another
            if v.endswith("%"):
                add("percent", n)
        if MONEY.match(v):
            add("money", n)
            if re.search(r"[$€£¥]|[A-Z]{3}", v):
                add("money_symbol", n)
        if FRACTION.match(v):
            add("fraction", n)
        if FRACTION.match(v) or NUMBER.match(v) or low in cv.UNGRADED:
            add("score", n)
        if LEADING_NUMBER.match(v):
            add("rating", n)
        if low in TRUE_FALSE:
            add("bool", n)
        if low in PASS_FAIL:
            add("passfail", n)
        if low in STATUS:
            add("status", n)
        if v in CURRENCIES:
            add("currency", n)
        if SALESFORCE_ID.match(v) or re.fullmatch(r"\d{3,}", v):
            add("crm_id", n)
        outcome = default_outcome(v) if not NUMBER.match(v) else "open"
        if outcome != "open":
            add("won_lost", n)
        if outcome != "open" or key in OPEN_STAGES:
            add("stage", n)
        if "\n" in v or len(v) >= 40:
            add("long_text", n)
    p.share = {k: c / len(vals) for k, c in tally.items()}
    p.share["unique"] = p.distinct / len(vals)
    if tally.get("date"):
        p.date_order = ("DMY" if first_gt12 and not second_gt12 else "MDY" if second_gt12 and not first_gt12 else
                        "DMY" if dotted else None)
    if nums:
        p.lo, p.hi = min(nums), max(nums)
        p.integers = all(float(x).is_integer() for x in nums)
    return p


def looks_like(p: Profile) -> str:
    """A short description of what a column holds, for the columns an upload does not use."""
    if not p.n:
        return "empty"
    if p["catalog"] >= 0.5:
        return f"catalog message names ({p['catalog']:.0%} match)"
    if p["email"] >= 0.8:
        return "email addresses"
    if p["roster"] >= 0.5:
        return "names of roster reps"
    if p["won_lost"] > 0 and p["stage"] >= 0.8:
        return "deal stages"
    if p["status"] >= 0.9:
        return "open/won/lost statuses"
    if p["passfail"] >= 0.9 and p.distinct <= 4:
        return "pass/fail or yes/no values"
    if p["bool"] >= 0.9 and p.distinct <= 2:
        return "true/false values"
    if p["date"] >= 0.8:
        return "dates" + {"DMY": " (day first)", "MDY": " (month first)"}.get(p.date_order or "", "")
    if p["fraction"] >= 0.8:
        return "scores as fractions (8 / 10)"
    if p["percent"] >= 0.8:
        return "percentages"
    if p.is_scale:
        return f"a 1-{p.is_scale} rating"
    if p["currency"] >= 0.9:
        return "currency codes"
    if p["money_symbol"] >= 0.5:
        return "money amounts"
    if p["number"] >= 0.9 and p.lo is not None:
        if p.lo >= 0 and p.hi <= 100 and p.distinct > 3:
            return f"numbers from {p.lo:g} to {p.hi:g} (a 0-100 percentage?)"
        return f"numbers from {p.lo:g} to {p.hi:g}"
    if p["crm_id"] >= 0.9 and p["unique"] >= 0.9:
        return "record ids"
    if p["long_text"] >= 0.3:
        return "free text"
    if p["person"] >= 0.8:
        return "people's names (not in the roster)"
    if p.distinct <= 12 and p.n >= 2 * p.distinct:
        return f"categories ({p.distinct} values, e.g. {', '.join(p.examples[:2])})"
    return "text, e.g. " + ", ".join(repr(e[:30]) for e in p.examples[:2])
