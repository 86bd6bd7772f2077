"""Per-kind staging: the typed columns, record key and reject checks of each upload kind, as SQL over raw_rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import convert as cv
from .columns import norm
from .errors import IngestError

WON_STAGE = re.compile(r"^(closed)?won$|^closedwon|^won|gewonnen|gagne|ganado|ganada|vinto|ganho|gewonnen|^signed$|"
                       r"^contractsigned$|^booked$")
LOST_STAGE = re.compile(r"^(closed)?lost$|^closedlost|^lost|verloren|perdu|perdido|perdida|perso|^disqualified$|"
                        r"^dead$|^cancelled$|^canceled$")


def default_outcome(stage: str) -> str:
    """won / lost / open for a stage label (Closed Won, closedwon, Gewonnen, ...)."""
    key = norm(stage)
    if WON_STAGE.search(key):
        return "won"
    if LOST_STAGE.search(key):
        return "lost"
    return "open"


@dataclass
class Context:
    """What staging needs to know about one file."""

    con: object
    kind: str
    headers: list[str]
    mapping: dict[str, int]
    delimiter: str
    source_format: str
    stage_overrides: dict[str, str] = field(default_factory=dict)
    date_overrides: dict[str, str] = field(default_factory=dict)
    pass_mark: float = 0.8
    params: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    select: dict[str, str] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)
    inner: dict[str, str] = field(default_factory=dict)      # typed values computed once per row
    joins: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)      # placeholder-date flags, counted after staging
    flag_headers: dict[str, str] = field(default_factory=dict)

    def computed(self, expr: str) -> str:
        """Compute an expression once in the inner query; returns the column name to refer to it by."""
        name = f"_i{len(self.inner)}"
        self.inner[name] = expr
        return name

    def bind(self, value) -> str:
        """A bound parameter for a user-supplied value (headers, labels): never formatted into SQL."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def col(self, target: str) -> str | None:
        i = self.mapping.get(target)
        return None if i is None else f"c{i}"

    def header(self, target: str) -> str:
        return self.headers[self.mapping[target]]

    def text(self, target: str) -> str:
        c = self.col(target)
        return cv.v(c) if c else "NULL::VARCHAR"

    def reject_if(self, condition: str, reason_sql: str) -> None:
        self.checks.append((condition, reason_sql))

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
        expr = self.computed(cv.timestamp_sql(c, fmt) if timestamp else cv.date_sql(c, fmt))
        flag = f"_ph{len(self.flags)}"
        self.flags[flag] = f"coalesce({cv.placeholder_check(expr)}, false)"
        self.flag_headers[flag] = header
        self.reject_if(f"({cv.v(c)} IS NOT NULL AND {expr} IS NULL)",
                       f"format('{{}}: cannot read ''{{}}'' as a date ({fmt.label})', {self.bind(header)}, "
                       f"{cv.v(c)})")
        return f"(CASE WHEN NOT {cv.placeholder_check(expr)} THEN {expr} END)"

    def number(self, target: str, money: bool = False) -> str:
        c = self.col(target)
        if not c:
            return "NULL::DOUBLE"
        comma = cv.infer_decimal_comma(self.con, c, self.delimiter)
        if comma:
            self.info.setdefault("decimal_comma", []).append(self.header(target))
        expr = self.computed(cv.number_sql(c, comma, money))
        self.reject_if(f"({cv.v(c)} IS NOT NULL AND ({expr}) IS NULL)",
                       f"format('{{}}: cannot read ''{{}}'' as a number', {self.bind(self.header(target))}, "
                       f"{cv.v(c)})")
        return expr

    def required(self, expr: str, label: str) -> None:
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


def stage_crm(ctx: Context) -> str:
    """Opportunities: outcome from booleans, status or stage label; money; derived keys when no id."""
    s = ctx.select
    owner_text = ctx.text("owner_name")
    s["owner_name"] = f"CASE WHEN NOT contains(coalesce({owner_text}, '@'), '@') THEN {owner_text} END"
    s["owner_email"] = f"coalesce({ctx.text('owner_email')}, CASE WHEN contains({owner_text}, '@') " \
                       f"THEN {owner_text} END)"
    s["owner_crm_id"] = ctx.text("owner_id")
    s["opportunity_name"] = ctx.text("opportunity_name")
    s["account_name"] = ctx.text("account_name")
    s["stage"] = ctx.text("stage") if ctx.col("stage") else ctx.text("status")
    s["segment"] = ctx.text("segment")
    s["deal_type"] = ctx.text("deal_type")
    s["lead_source"] = ctx.text("lead_source")
    s["product"] = ctx.text("product")
    s["message_tag"] = ctx.text("message_tag")
    s["amount"] = ctx.number("amount", money=True)
    cur_col = ctx.text("amount_currency")
    s["currency"] = f"coalesce(upper({cur_col}), {cv.currency_sql(ctx.col('amount')) if ctx.col('amount') else 'NULL'})"
    day_first = True if ctx.delimiter == ";" else (False if ctx.source_format.startswith("salesforce") else None)
    created = ctx.date("created_date", day_first=day_first)
    close = ctx.date("close_date", day_first=day_first)
    won_t = ctx.date("won_time", day_first=day_first)
    lost_t = ctx.date("lost_time", day_first=day_first)
    s["created_date"] = created
    s["close_date"] = f"coalesce({close}, {won_t}, {lost_t})"

    if ctx.col("is_won"):
        won = cv.bool_sql(ctx.col("is_won"))
        closed = cv.bool_sql(ctx.col("is_closed")) if ctx.col("is_closed") else None
        ctx.reject_if(f"({ctx.text('is_won')} IS NOT NULL AND {won} IS NULL)",
                      f"format('{{}}: ''{{}}'' is not true/false', {ctx.bind(ctx.header('is_won'))}, "
                      f"{ctx.text('is_won')})")
        stage_outcome = _stage_outcomes(ctx)
        lost = f"coalesce({closed}, {stage_outcome} = 'lost')" if closed else f"({stage_outcome} = 'lost')"
        s["outcome"] = f"CASE WHEN {won} THEN 'won' WHEN {lost} THEN 'lost' ELSE 'open' END"
        ctx.info["outcome_from"] = ctx.header("is_won") + (" / " + ctx.header("is_closed") if closed else "")
    elif ctx.col("status") and not ctx.col("stage"):
        st = f"lower({ctx.text('status')})"
        s["outcome"] = f"CASE WHEN {st} = 'won' THEN 'won' WHEN {st} = 'lost' THEN 'lost' " \
                       f"WHEN {st} IN ('open', 'deleted') THEN 'open' END"
        ctx.reject_if(f"({st} IS NOT NULL AND ({s['outcome']}) IS NULL)",
                      f"format('{{}}: ''{{}}'' is not open/won/lost', {ctx.bind(ctx.header('status'))}, "
                      f"{ctx.text('status')})")
        ctx.info["outcome_from"] = ctx.header("status")
    else:
        s["outcome"] = _stage_outcomes(ctx)
        ctx.info["outcome_from"] = ctx.header("stage")
    ctx.required(s["outcome"], "outcome (stage)")
    ctx.required(f"coalesce({s['owner_name']}, {s['owner_email']}, {s['owner_crm_id']})", "owner")
    ctx.reject_if(f"(({s['outcome']}) IN ('won', 'lost') AND ({s['close_date']}) IS NULL "
                  f"AND coalesce({ctx.text('close_date')}, {ctx.text('won_time')}, {ctx.text('lost_time')}) IS NULL)",
                  ctx.bind("closed deal without a close date"))

    if ctx.col("opportunity_id"):
        return f"{ctx.bind(ctx.source_format + ':')} || {ctx.text('opportunity_id')}"
    parts = [p for p in ("account_name", "opportunity_name", "created_date") if ctx.col(p)]
    if not parts:
        raise IngestError("the export has neither an opportunity id column nor Opportunity Name / Account Name "
                          "to identify deals; add the Opportunity ID column to the report")
    ctx.warnings.append("the export has no opportunity id column: each deal is identified by "
                        + " + ".join(ctx.header(p) for p in parts)
                        + " (add Opportunity ID to the report for exact matching across exports)")
    ctx.info["derived_key"] = [ctx.header(p) for p in parts]
    keyparts = []
    for p in parts:
        keyparts.append(f"coalesce(({s['created_date']})::VARCHAR, '')" if p == "created_date"
                        else f"coalesce(lower({ctx.text(p)}), '')")
    return "'derived:' || md5(concat_ws('|', " + ", ".join(keyparts) + "))"


def _stage_outcomes(ctx: Context) -> str:
    """Map each distinct stage label to won/lost/open (defaults + user overrides), shown in the result."""
    c = ctx.col("stage")
    if not c:
        return "NULL::VARCHAR"
    stages = [r[0] for r in ctx.con.execute(
        f"SELECT DISTINCT {cv.v(c)} FROM raw_rows WHERE {cv.v(c)} IS NOT NULL ORDER BY 1").fetchall()]
    overrides = {norm(k): val for k, val in ctx.stage_overrides.items()}
    mapping = {}
    for st in stages:
        outcome = overrides.get(norm(st), default_outcome(st))
        if outcome not in ("won", "lost", "open"):
            raise IngestError(f"--stage {st}={outcome}: the outcome must be won, lost or open")
        mapping[st] = outcome
    ctx.info["stage_map"] = mapping
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE stage_map (stage VARCHAR, outcome VARCHAR)")
    if mapping:
        ctx.con.executemany("INSERT INTO stage_map VALUES (?, ?)", list(mapping.items()))
    if "LEFT JOIN stage_map" not in " ".join(ctx.joins):
        ctx.joins.append(f"LEFT JOIN stage_map sm ON sm.stage = {cv.v('r.' + c)}")
        ctx.inner["_stage_outcome"] = "sm.outcome"
    return "_stage_outcome"


def stage_quiz(ctx: Context) -> str:
    s = ctx.select
    s["rep_email"], s["rep_name"] = person_columns(ctx)
    s["module"] = ctx.text("module")
    s["attempted_at"] = ctx.date("attempted_at", timestamp=True)
    max_header = None
    if ctx.col("score"):
        m = re.search(r"/\s*([0-9]+(?:[.,][0-9]+)?)\s*$", ctx.header("score"))
        if m:
            max_header = float(m.group(1).replace(",", "."))
        c = ctx.col("score")
        fraction_scale = False
        if not max_header and not ctx.col("max_score"):
            top = ctx.con.execute(
                f"SELECT max(TRY_CAST(replace({cv.v(c)}, ',', '.') AS DOUBLE)) FROM raw_rows").fetchone()[0]
            fraction_scale = top is not None and top <= 1.0
        score = cv.score_sql(c, max_header, ctx.col("max_score"), fraction_scale)
        ungraded = cv.ungraded_sql(c)
        ctx.reject_if(f"({cv.v(c)} IS NOT NULL AND NOT {ungraded} AND ({score}) IS NULL)",
                      f"format('{{}}: cannot read ''{{}}'' as a score', {ctx.bind(ctx.header('score'))}, {cv.v(c)})")
        ctx.reject_if(f"(({score}) > 1.0001 OR ({score}) < 0)",
                      f"format('{{}}: ''{{}}'' is above the maximum score', {ctx.bind(ctx.header('score'))}, "
                      f"{cv.v(c)})")
        s["score"] = f"(CASE WHEN ({score}) > 1 THEN 1.0 ELSE ({score}) END)"  # least() would skip NULL
        ctx.info["score_scale"] = (f"out of {max_header:g}" if max_header else "points / maximum column"
                                   if ctx.col("max_score") else "fraction 0-1" if fraction_scale else "percent")
    else:
        s["score"] = "NULL::DOUBLE"
    if ctx.col("passed"):
        p = cv.bool_sql(ctx.col("passed"))
        s["passed"] = f"coalesce({p}, {s['score']} >= {float(ctx.pass_mark)})"
        ctx.info["passed_from"] = ctx.header("passed")
    else:
        s["passed"] = f"({s['score']} >= {float(ctx.pass_mark)})"
        ctx.info["passed_from"] = f"score >= {ctx.pass_mark:.0%}"
    ctx.required(f"coalesce({s['rep_email']}, {s['rep_name']})", "rep (email or name)")
    ctx.required(s["module"], "module")
    ctx.required(f"coalesce(({s['attempted_at']})::VARCHAR, {ctx.text('attempted_at')})", "attempt time")
    if ctx.col("attempt_id"):
        return f"{ctx.bind(ctx.source_format + ':')} || {ctx.text('attempt_id')}"
    return (f"'derived:' || md5(concat_ws('|', coalesce(email_key({s['rep_email']}), name_key({s['rep_name']})), "
            f"lower({s['module']}), ({s['attempted_at']})::VARCHAR))")


def stage_feedback(ctx: Context) -> str:
    s = ctx.select
    s["rep_email"], s["rep_name"] = person_columns(ctx)
    s["feedback_date"] = ctx.date("feedback_date", day_first=True if ctx.delimiter == ";" else None)
    s["topic"] = ctx.text("topic")
    c = ctx.col("rating")
    if c:
        num = f"TRY_CAST(replace(regexp_extract({cv.v(c)}, '^[0-9]+([.,][0-9]+)?', 0), ',', '.') AS DOUBLE)"
        ctx.reject_if(f"({cv.v(c)} IS NOT NULL AND ({num}) IS NULL)",
                      f"format('{{}}: cannot read ''{{}}'' as a rating', {ctx.bind(ctx.header('rating'))}, {cv.v(c)})")
        s["rating"] = num
    else:
        s["rating"] = "NULL::DOUBLE"
    s["outcome"] = ctx.text("outcome")
    s["notes"] = ctx.text("notes")
    ctx.required(f"coalesce({s['rep_email']}, {s['rep_name']})", "rep")
    ctx.required(s["topic"], "message")
    ctx.required(f"coalesce(({s['feedback_date']})::VARCHAR, {ctx.text('feedback_date')})", "date")
    return ("'fb:' || md5(concat_ws('|', coalesce(email_key(" + s["rep_email"] + "), name_key(" + s["rep_name"]
            + ")), lower(" + s["topic"] + "), (" + s["feedback_date"] + ")::VARCHAR, " + s["rating"]
            + "::VARCHAR, " + s["notes"] + "))")


def stage_messages(ctx: Context) -> str:
    s = ctx.select
    s["message_name"] = ctx.text("message_name")
    s["launch_date"] = ctx.date("launch_date")
    seg = ctx.text("target_segment")
    s["target_segment"] = f"CASE WHEN lower({seg}) IN ('all', 'all segments', 'any', '*', 'everyone', '-') " \
                          f"THEN NULL ELSE {seg} END"
    s["owner"] = ctx.text("owner")
    s["description"] = ctx.text("description")
    if ctx.col("adoption_target"):
        share = cv.share_sql(ctx.col("adoption_target"))
        ctx.reject_if(f"({ctx.text('adoption_target')} IS NOT NULL AND (({share}) IS NULL OR ({share}) > 1 "
                      f"OR ({share}) < 0))",
                      f"format('{{}}: ''{{}}'' is not a share (80% or 0.8)', "
                      f"{ctx.bind(ctx.header('adoption_target'))}, {ctx.text('adoption_target')})")
        s["adoption_target"] = share
    else:
        s["adoption_target"] = "NULL::DOUBLE"
    s["target_date"] = ctx.date("target_date")
    ctx.required(s["message_name"], "message name")
    return f"text_key({s['message_name']})"


def stage_reps(ctx: Context, is_roster: bool = True) -> str:
    s = ctx.select
    s["rep_email"], s["rep_name"] = person_columns(ctx)
    s["crm_user_id"] = ctx.text("crm_user_id")
    for f in ("team", "region", "manager"):
        s[f] = ctx.text(f) if is_roster else "NULL::VARCHAR"
    s["hire_date"] = ctx.date("hire_date") if is_roster else "NULL::DATE"
    s["is_roster"] = "true" if is_roster else "false"
    ctx.required(f"coalesce({s['rep_email']}, {s['rep_name']})", "rep name or email")
    if not is_roster:
        ctx.required(s["crm_user_id"], "user id")
        return f"'crmuser:' || {s['crm_user_id']}"
    return f"coalesce('email:' || email_key({s['rep_email']}), 'name:' || name_key({s['rep_name']}))"


STAGERS = {
    "crm": stage_crm,
    "quiz": stage_quiz,
    "feedback": stage_feedback,
    "messages": stage_messages,
    "reps": stage_reps,
    "crm_users": lambda ctx: stage_reps(ctx, is_roster=False),
}

# kind -> (versions table, key column, columns written)
TARGETS = {
    "crm": ("opportunity_versions", "opportunity_id",
            ["opportunity_name", "account_name", "owner_name", "owner_email", "owner_crm_id", "stage", "outcome",
             "amount", "currency", "created_date", "close_date", "segment", "deal_type", "lead_source", "product",
             "message_tag"]),
    "quiz": ("quiz_attempt_versions", "attempt_id",
             ["rep_email", "rep_name", "module", "attempted_at", "score", "passed"]),
    "feedback": ("feedback_versions", "feedback_id",
                 ["feedback_date", "rep_email", "rep_name", "topic", "rating", "outcome", "notes"]),
    "messages": ("message_versions", "message_key",
                 ["message_name", "launch_date", "target_segment", "owner", "description", "adoption_target",
                  "target_date"]),
    "reps": ("rep_versions", "roster_key",
             ["rep_name", "rep_email", "crm_user_id", "team", "region", "manager", "hire_date", "is_roster"]),
}
TARGETS["crm_users"] = TARGETS["reps"]
