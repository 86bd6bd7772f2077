"""Staging one file: the typed SQL expressions, reject checks and record key a kind builds over raw_rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..settings import PASS_MARK
from . import convert as cv
from .formats import Format

LOOKUP_MAX_DISTINCT_SHARE = 0.5    # a column is converted per distinct value when at most this share differ


@dataclass
class Context:
    """What staging needs to know about one file."""

    con: object
    kind: str
    headers: list[str]
    mapping: dict[str, int]
    delimiter: str
    format: Format
    stage_overrides: dict[str, str] = field(default_factory=dict)
    date_overrides: dict[str, str] = field(default_factory=dict)
    pass_mark: float = PASS_MARK
    params: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    select: dict[str, str] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)
    inner: dict[str, str] = field(default_factory=dict)      # typed values computed once per row
    joins: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)      # placeholder-date flags, counted after staging
    flag_headers: dict[str, str] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)         # temp tables of per-distinct-value conversions
    value_tables: dict[str, str | None] = field(default_factory=dict)   # raw column -> its lookup (None: per row)
    constants: dict[str, str] = field(default_factory=dict)  # field -> one value for every row (from the file name)
    untrimmed: set[str] | None = None    # raw columns no value of which has a space to trim (found on first use)

    @property
    def source_format(self) -> str:
        return self.format.name

    @property
    def locale_day_first(self) -> bool | None:
        """How ambiguous dates read: `;`-delimited exports come from day-first locales, else the tool's habit."""
        return True if self.delimiter == ";" else self.format.day_first

    def v(self, col: str) -> str:
        """A raw column (c3 or r.c3) as text, empty -> NULL: trimmed, unless no value of the column has a space to
        trim. One scan settles that for every mapped column; trimming every value costs more than the typing."""
        if self.untrimmed is None:
            self.untrimmed = set()
            cols = [f"c{i}" for i in sorted(set(self.mapping.values())) if i >= 0]
            if cols:
                # trim() removes U+0020 and the Unicode space separators (Zs): only a non-ASCII value may end in one
                # of those (CASE, not OR: DuckDB evaluates both sides of an OR on every row)
                checks = ", ".join(f"bool_or(CASE WHEN strlen({c}) = length({c}) THEN starts_with({c}, ' ') OR "
                                   f"ends_with({c}, ' ') ELSE regexp_matches({c}, '^\\s|\\s$|^\\p{{Zs}}|\\p{{Zs}}$') "
                                   "END)" for c in cols)
                row = self.con.execute(f"SELECT {checks} FROM raw_rows").fetchone()
                self.untrimmed = {c for c, spaced in zip(cols, row) if not spaced}
        return f"nullif({col}, '')" if col.rsplit(".", 1)[-1] in self.untrimmed else cv.v(col)

    def computed(self, expr: str) -> str:
        """Compute an expression once in the inner query; returns the column name to refer to it by."""
        name = f"_i{len(self.inner)}"
        self.inner[name] = expr
        return name

    def per_value(self, col: str, expr: str) -> str:
        """Like `computed`, for an expression of one raw column that is NULL for an empty value.

        Exports repeat dates and amounts on many rows: when the column's values repeat (an approximate distinct
        count), the expression is evaluated once per distinct value into a table the staging query joins (one
        table per column, a column per expression: an amount and the currency written in it share one join).
        """
        if col not in self.value_tables:
            n, distinct = self.con.execute(f"SELECT count({col}), approx_count_distinct({col}) FROM raw_rows"
                                           ).fetchone()
            table = None if not n or distinct > n * LOOKUP_MAX_DISTINCT_SHARE else f"lookup_{col}"
            self.value_tables[col] = table
            if table:
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT {col} FROM raw_rows")
                self.lookups.append(table)
                self.joins.append(f"LEFT JOIN {table} ON {table}.{col} = r.{col}")
        table = self.value_tables[col]
        if table is None:
            return self.computed(expr)
        name = f"_i{len(self.inner)}"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {expr} AS {name} FROM {table}")
        self.inner[name] = f"{table}.{name}"
        return name

    def bind(self, value) -> str:
        """A bound parameter for a user-supplied value (headers, labels): never formatted into SQL."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def col(self, target: str) -> str | None:
        """The raw column mapped to a field (c0, c1, ...), or None."""
        i = self.mapping.get(target)
        return None if i is None else f"c{i}"

    def header(self, target: str) -> str:
        """The file's header of a mapped field (for messages and bound reasons)."""
        return self.headers[self.mapping[target]]

    def text(self, target: str) -> str:
        """A mapped field as trimmed text (empty -> NULL); NULL when the file lacks it."""
        if target in self.constants:
            return f"{self.bind(self.constants[target])}::VARCHAR"
        c = self.col(target)
        return self.v(c) if c else "NULL::VARCHAR"

    def reject_if(self, condition: str, reason_sql: str) -> None:
        """Reject rows where `condition` holds, with the reason `reason_sql` evaluates to."""
        self.checks.append((condition, reason_sql))

    def converted(self, target: str, expr: str, what: str) -> str:
        """`expr`, the typed value of a mapped field; a row whose value is not empty but does not convert is
        rejected as "<header>: cannot read '<value>' as <what>" (nothing becomes a silent null). Returns `expr`."""
        raw = self.v(self.col(target))
        self.reject_if(f"({raw} IS NOT NULL AND ({expr}) IS NULL)",
                       f"format('{{}}: cannot read ''{{}}'' as {{}}', {self.bind(self.header(target))}, {raw}, "
                       f"{self.bind(what)})")
        return expr

    def date(self, target: str, timestamp: bool = False, day_first: bool | None = None) -> str:
        """A date/timestamp column: format inferred from all values; bad values reject, placeholders null."""
        c = self.col(target)
        if not c:
            return "NULL::TIMESTAMP" if timestamp else "NULL::DATE"
        header = self.header(target)
        override = self.date_overrides.get(target) or self.date_overrides.get("*")
        fmt = cv.DateFormat(override.upper()) if override else cv.infer_date_format(
            self.con, c, day_first, header)
        if fmt is None:
            return "NULL::TIMESTAMP" if timestamp else "NULL::DATE"
        self.info.setdefault("date_formats", {})[header] = fmt.label
        if fmt.note and fmt.ambiguous:
            self.warnings.append(fmt.note)
        expr = self.per_value(c, cv.timestamp_sql(c, fmt) if timestamp else cv.date_sql(c, fmt))
        flag = f"_ph{len(self.flags)}"
        self.flags[flag] = f"coalesce({cv.placeholder_check(expr)}, false)"
        self.flag_headers[flag] = header
        self.converted(target, expr, f"a date ({fmt.label})")
        return f"(CASE WHEN NOT {cv.placeholder_check(expr)} THEN {expr} END)"

    def number(self, target: str, money: bool = False) -> str:
        """A numeric (or money) column: decimal comma inferred from all values; bad values reject."""
        c = self.col(target)
        if not c:
            return "NULL::DOUBLE"
        comma = cv.infer_decimal_comma(self.con, c, self.delimiter)
        if comma:
            self.info.setdefault("decimal_comma", []).append(self.header(target))
        return self.converted(target, self.per_value(c, cv.number_sql(c, comma, money)), "a number")

    def required(self, expr: str, label: str) -> None:
        """Reject rows where `expr` is empty, saying which field is missing."""
        self.reject_if(f"(({expr}) IS NULL)", f"{self.bind(label + ' is empty')}")


def person_columns(ctx: Context, email_target: str = "rep_email", name_target: str = "rep_name") -> tuple[str, str]:
    """Email and full-name expressions; a 'name' column that holds emails counts as email."""
    email = ctx.text(email_target)
    if ctx.col(name_target):
        name = ctx.text(name_target)
    elif ctx.col("first_name") or ctx.col("last_name"):
        name = f"nullif(trim(concat_ws(' ', {ctx.text('first_name')}, {ctx.text('last_name')})), '')"
    else:
        name = "NULL::VARCHAR"
    email_final = f"coalesce(CASE WHEN contains({email}, '@') THEN {email} END, " \
                  f"CASE WHEN contains({name}, '@') THEN {name} END)"
    name_final = f"CASE WHEN NOT contains(coalesce({name}, '@'), '@') THEN {name} END"
    return email_final, name_final
