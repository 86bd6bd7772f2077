"""Typed conversion of text columns, as SQL expressions over raw_rows, with column-level format inference.

Every converter returns (expression, failure_condition): a row whose raw value is non-empty but fails to convert
is rejected with a reason; nothing becomes a silent null.
"""

from __future__ import annotations

from dataclasses import dataclass

V = "nullif(trim({col}), '')"

DMY_RE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})"
ISO_RE = r"^(\d{4})-(\d{1,2})-(\d{1,2})"
YMD_SLASH_RE = r"^(\d{4})/(\d{1,2})/(\d{1,2})"
EXCEL_RE = r"^\d{5}(\.\d+)?$"
TEXT_FORMATS = ["%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%A, %d %B %Y"]
FORMAT_LABEL = {"ISO": "YYYY-MM-DD", "MDY": "M/D/YYYY", "DMY": "D/M/YYYY", "YMD": "YYYY/MM/DD",
                "EXCEL": "Excel serial", "TEXT": "day month-name year"}
# The date formats a person may force for a column (--date-format, the Data page); TEXT is only ever inferred.
DATE_FORMATS = ("ISO", "MDY", "DMY", "YMD", "EXCEL")


def v(col: str) -> str:
    return V.format(col=col)


@dataclass
class DateFormat:
    """The format chosen for one date column and why."""

    code: str            # ISO | MDY | DMY | YMD | EXCEL | TEXT
    ambiguous: bool = False
    note: str = ""
    sep: str = "/"       # separator of numeric day/month dates

    @property
    def label(self) -> str:
        return FORMAT_LABEL[self.code]


def infer_date_format(con, col: str, locale_day_first: bool | None, header: str) -> DateFormat | None:
    """Choose a column's date format from all of its values (a day over 12 settles the order)."""
    x = v(col)
    row = con.execute(f"""
        SELECT count(val),
          count(*) FILTER (WHERE regexp_matches(val, '{ISO_RE}')),
          count(*) FILTER (WHERE regexp_matches(val, '{YMD_SLASH_RE}')),
          count(*) FILTER (WHERE regexp_matches(val, '{DMY_RE}')),
          count(*) FILTER (WHERE regexp_matches(val, '^\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{2,4}}')),
          count(*) FILTER (WHERE regexp_matches(val, '{EXCEL_RE}')),
          count(*) FILTER (WHERE regexp_matches(val, '[A-Za-z]{{3,}}') AND regexp_matches(val, '\\d{{4}}')),
          count(*) FILTER (WHERE regexp_matches(val, '{DMY_RE}')
                           AND TRY_CAST(regexp_extract(val, '{DMY_RE}', 1) AS INT) BETWEEN 13 AND 31
                           AND TRY_CAST(regexp_extract(val, '{DMY_RE}', 2) AS INT) <= 12),
          count(*) FILTER (WHERE regexp_matches(val, '{DMY_RE}')
                           AND TRY_CAST(regexp_extract(val, '{DMY_RE}', 2) AS INT) BETWEEN 13 AND 31
                           AND TRY_CAST(regexp_extract(val, '{DMY_RE}', 1) AS INT) <= 12),
          count(*) FILTER (WHERE regexp_matches(val, '^\\d{{1,2}}-'))
        FROM (WITH d AS MATERIALIZED (SELECT DISTINCT {col} FROM raw_rows) SELECT DISTINCT {x} AS val FROM d)
        WHERE val IS NOT NULL
    """).fetchone()
    n, iso, ymd, dmy_like, dotted, excel, text, first_gt12, second_gt12, dashed = row
    sep = "." if dotted * 2 > dmy_like else "-" if dashed * 2 > dmy_like else "/"
    if n == 0:
        return None
    best = max([("ISO", iso), ("YMD", ymd), ("NUM", dmy_like), ("EXCEL", excel), ("TEXT", text)],
               key=lambda t: t[1])
    if best[0] != "NUM":
        return DateFormat(best[0])
    if first_gt12 and not second_gt12:
        return DateFormat("DMY", note=f"{header}: day first (values with a day over 12)", sep=sep)
    if second_gt12 and not first_gt12:
        return DateFormat("MDY", note=f"{header}: month first (values with a day over 12)", sep=sep)
    if first_gt12 and second_gt12:
        code = "DMY" if first_gt12 >= second_gt12 else "MDY"
        return DateFormat(code, note=f"{header}: mixed day/month order; read as {FORMAT_LABEL[code]}, "
                                     "the others are rejected", sep=sep)
    if dotted == dmy_like:
        return DateFormat("DMY", ambiguous=True, note=f"{header}: dotted dates read day first", sep=sep)
    if locale_day_first is None:
        return DateFormat("MDY", ambiguous=True, sep=sep,
                          note=f"{header}: every date is ambiguous (no day over 12); read as M/D/YYYY. "
                               "Pass --date-format DMY if the export is day first")
    code = "DMY" if locale_day_first else "MDY"
    return DateFormat(code, ambiguous=True, sep=sep,
                      note=f"{header}: every date is ambiguous; read as {FORMAT_LABEL[code]} from the "
                           "export's locale")


def date_sql(col: str, fmt: DateFormat) -> str:
    """DATE expression for a text column in a known format (NULL where it does not convert)."""
    x = v(col)
    if fmt.code == "ISO":
        return f"TRY_CAST(split_part(replace({x}, 'T', ' '), ' ', 1) AS DATE)"
    if fmt.code == "YMD":
        return f"try(make_date(TRY_CAST(regexp_extract({x}, '{YMD_SLASH_RE}', 1) AS INT), " \
               f"TRY_CAST(regexp_extract({x}, '{YMD_SLASH_RE}', 2) AS INT), " \
               f"TRY_CAST(regexp_extract({x}, '{YMD_SLASH_RE}', 3) AS INT)))"
    if fmt.code in ("MDY", "DMY"):
        part = f"rtrim(split_part(replace({x}, 'T', ' '), ' ', 1), ',')"   # TalentLMS: '20/01/2026, 14:00'
        return f"({_numeric_strptime(part, fmt, times=False)})::DATE"
    if fmt.code == "EXCEL":
        return f"(CASE WHEN regexp_matches({x}, '{EXCEL_RE}') THEN DATE '1899-12-30' + " \
               f"floor(TRY_CAST({x} AS DOUBLE))::INT END)"
    formats = ", ".join(f"'{f}'" for f in TEXT_FORMATS)
    return f"try_strptime(regexp_extract({x}, '^[^0-9]*\\d{{1,2}}[^0-9]+\\d{{4}}|^[A-Za-z]+ \\d{{1,2}}, \\d{{4}}', 0), " \
           f"[{formats}])::DATE"


def timestamp_sql(col: str, fmt: DateFormat) -> str:
    """TIMESTAMP (UTC) expression: the date part in its format plus an optional time and offset."""
    x = v(col)
    day = date_sql(col, fmt)
    if fmt.code == "ISO":
        iso = f"replace(regexp_replace({x}, '([+-]\\d{{2}})(\\d{{2}})$', '\\1:\\2'), 'Z', '+00:00')"
        tz = f"TRY_CAST({iso} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
        return f"coalesce(CASE WHEN regexp_matches({x}, '([+-]\\d{{2}}:?\\d{{2}}|Z)$') THEN {tz} END, " \
               f"TRY_CAST({x} AS TIMESTAMP), {day}::TIMESTAMP)"
    if fmt.code == "EXCEL":
        return f"(CASE WHEN regexp_matches({x}, '{EXCEL_RE}') THEN TIMESTAMP '1899-12-30' + " \
               f"to_microseconds((TRY_CAST({x} AS DOUBLE) * 86400000000)::BIGINT) END)"
    if fmt.code in ("MDY", "DMY"):
        return _numeric_strptime(f"regexp_replace({x}, ',?\\s+', ' ', 'g')", fmt, times=True)
    t = r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?"
    hh = f"TRY_CAST(regexp_extract({x}, '{t}', 1) AS INT)"
    mm = f"coalesce(TRY_CAST(regexp_extract({x}, '{t}', 2) AS INT), 0)"
    ss = f"coalesce(TRY_CAST(regexp_extract({x}, '{t}', 3) AS INT), 0)"
    ap = f"lower(regexp_extract({x}, '{t}', 4))"
    hour = f"(CASE WHEN {ap} = 'pm' AND {hh} < 12 THEN {hh} + 12 WHEN {ap} = 'am' AND {hh} = 12 THEN 0 " \
           f"ELSE coalesce({hh}, 0) END)"
    return f"({day}::TIMESTAMP + to_seconds({hour} * 3600 + {mm} * 60 + {ss}))"


def _numeric_strptime(text: str, fmt: DateFormat, times: bool) -> str:
    """strptime over the day/month orders and year widths of a numeric date (strict: 2/30 fails)."""
    a, b = ("%m", "%d") if fmt.code == "MDY" else ("%d", "%m")
    suffixes = [""] + ([" %I:%M %p", " %H:%M", " %H:%M:%S", " %I:%M:%S %p", " %H:%M:%S.%f"] if times else [])
    def fmts(year):
        return "[" + ", ".join(f"'{a}{fmt.sep}{b}{fmt.sep}{year}{suf}'" for suf in suffixes) + "]"
    two_digit = f"regexp_matches({text}, '^\\d{{1,2}}[/.\\-]\\d{{1,2}}[/.\\-]\\d{{2}}(\\s|$)')"
    return (f"(CASE WHEN {two_digit} THEN try_strptime({text}, {fmts('%y')}) "
            f"ELSE try_strptime({text}, {fmts('%Y')}) END)")


def placeholder_check(expr: str) -> str:
    """Placeholder years (Salesforce's 31.12.3999) become NULL with a warning."""
    return f"(year({expr}) > 2100)"


def infer_decimal_comma(con, col: str, delimiter: str) -> bool:
    """Whether a money/number column writes decimals with a comma (25,00 / 1.234,56)."""
    x = v(col)
    # Distinct values counted per shape (every digit a 9): the patterns read only where digits and separators are,
    # so they run on a handful of shapes instead of every distinct amount. Materialized, or the optimizer strips
    # every row's value instead of each distinct one's.
    comma, point = con.execute(f"""
        WITH d AS MATERIALIZED (SELECT DISTINCT {col} FROM raw_rows),
             s AS MATERIALIZED (SELECT DISTINCT regexp_replace({x}, '[^0-9,.]', '', 'g') AS val FROM d)
        SELECT coalesce(sum(n) FILTER (WHERE regexp_matches(shape, ',\\d{{1,2}}$|,\\d{{4,}}$|\\.\\d{{3}},')), 0),
               coalesce(sum(n) FILTER (WHERE regexp_matches(shape, '\\.\\d{{1,2}}$|,\\d{{3}}\\.|\\.\\d{{4,}}$')), 0)
        FROM (SELECT translate(val, '0123456789', '9999999999') AS shape, count(*) AS n FROM s
              WHERE val <> '' GROUP BY shape)
    """).fetchone()
    if comma or point:
        return comma > point
    return delimiter == ";"


# Thousands may be separated by no-break spaces (U+00A0, U+202F: French and Swiss number formats).
MONEY_OK = (r"^\(?\s*-?\s*([A-Z]{3}|[$€£¥])?\s*-?\s*[0-9][0-9.,\s" "\u00a0\u202f"
            r"]*\s*([A-Z]{3}|[$€£¥]|k|K)?\s*\)?$")


def number_sql(col: str, decimal_comma: bool, money: bool = False) -> str:
    """DOUBLE from formatted numbers: symbols, thousands separators, decimal commas, (negatives)."""
    x = v(col)
    digits = f"regexp_replace({x}, '[^0-9,.]', '', 'g')"
    clean = f"replace(replace({digits}, '.', ''), ',', '.')" if decimal_comma else f"replace({digits}, ',', '')"
    sign = f"(CASE WHEN regexp_matches({x}, '^\\(.*\\)$|-') THEN -1 ELSE 1 END)"
    ok = MONEY_OK if money else r"^\(?-?[0-9][0-9.,\s" "\u00a0\u202f" r"]*%?\)?$"
    return f"(CASE WHEN regexp_matches({x}, '{ok}') THEN {sign} * TRY_CAST({clean} AS DOUBLE) END)"


def currency_sql(col: str) -> str:
    """Currency code written inside a money value ($ -> USD, EUR 12.00 -> EUR), else NULL."""
    x = v(col)
    return (f"(CASE WHEN contains({x}, '$') THEN 'USD' WHEN contains({x}, '€') THEN 'EUR' "
            f"WHEN contains({x}, '£') THEN 'GBP' WHEN contains({x}, '¥') THEN 'JPY' "
            f"ELSE nullif(regexp_extract({x}, '([A-Z]{{3}})', 1), '') END)")


TRUE_WORDS = ("true", "t", "1", "yes", "y", "pass", "passed", "p", "certified", "success", "successful", "wahr", "ja",
              "oui", "sí", "si", "bestanden", "réussi", "aprobado", "✓", "✔", "☑")
FALSE_WORDS = ("false", "f", "0", "no", "n", "fail", "failed", "not certified", "unsuccessful", "falsch", "nein",
               "non", "nicht bestanden", "échoué", "suspendido", "✗", "✘", "☐")


def bool_sql(col: str) -> str:
    x = f"lower({v(col)})"
    t = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    f = ", ".join(f"'{w}'" for w in FALSE_WORDS)
    return f"(CASE WHEN {x} IN ({t}) THEN true WHEN {x} IN ({f}) THEN false END)"


UNGRADED = ("-", "requires grading", "not graded", "n/a", "na", "in progress", "pending", "ungraded", "--")


def score_sql(col: str, max_from_header: float | None, max_col: str | None, fraction_scale: bool) -> str:
    """Score as 0-1 from 85, 85%, 8.50 / 10.00, points with a maximum, or a Grade/10.00 header."""
    x = v(col)
    num = f"TRY_CAST(replace(regexp_extract({x}, '^-?[0-9]+([.,][0-9]+)?', 0), ',', '.') AS DOUBLE)"
    frac = r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*/\s*([0-9]+(?:[.,][0-9]+)?)\s*$"
    a = f"TRY_CAST(replace(regexp_extract({x}, '{frac}', 1), ',', '.') AS DOUBLE)"
    b = f"TRY_CAST(replace(regexp_extract({x}, '{frac}', 2), ',', '.') AS DOUBLE)"
    if max_from_header:
        plain = f"{num} / {max_from_header}"
    elif max_col:
        plain = f"{num} / nullif(TRY_CAST(replace({v(max_col)}, ',', '.') AS DOUBLE), 0)"
    elif fraction_scale:
        plain = num
    else:
        plain = f"{num} / 100.0"
    return (f"(CASE WHEN regexp_matches({x}, '{frac}') THEN {a} / nullif({b}, 0) "
            f"WHEN regexp_matches({x}, '^[0-9]+([.,][0-9]+)?\\s*%$') THEN {num} / 100.0 "
            f"WHEN regexp_matches({x}, '^-?[0-9]+([.,][0-9]+)?$') THEN {plain} END)")


def ungraded_sql(col: str) -> str:
    words = ", ".join(f"'{w}'" for w in UNGRADED)
    return f"(lower({v(col)}) IN ({words}))"


def share_sql(col: str) -> str:
    """A target share: 80%, 0.8 or 80 -> 0.8."""
    x = v(col)
    num = f"TRY_CAST(replace(regexp_replace({x}, '[%\\s]', '', 'g'), ',', '.') AS DOUBLE)"
    return f"(CASE WHEN contains({x}, '%') OR {num} > 1 THEN {num} / 100.0 ELSE {num} END)"
