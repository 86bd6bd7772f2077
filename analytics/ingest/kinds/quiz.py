"""Quiz / certification results: percentages, fractions, points with a maximum, ungraded attempts, pass marks."""

from __future__ import annotations

import re

from .. import convert as cv
from ..staging import Context, person_columns
from .base import Fact, Kind


class Quiz(Kind):
    name = "quiz"
    label = "Quiz / certification results"
    noun = "a quiz results export"
    synonyms = {
        "attempt_id": ("attemptid", "submissionid", "responseid"),
        "rep_email": ("emailaddress", "email", "useremail", "learneremail", "repemail", "username"),
        "rep_name": ("name", "fullname", "learner", "learnername", "user", "rep", "repname", "participant"),
        "first_name": ("firstname", "givenname"),
        "last_name": ("lastname", "surname", "familyname"),
        "module": ("quiz", "module", "course", "quizname", "modulename", "coursename", "assessment", "activity",
                   "certification", "challenge", "test", "lesson", "message"),
        "attempted_at": ("startedon", "timestamp", "attemptedat", "attemptdate", "date", "completedon",
                         "completed", "submittedat", "submitted", "completiondate", "startdate", "datecompleted"),
        "score": ("grade", "score", "percent", "percentage", "scorepercent", "points", "totalscore",
                  "marks", "mark"),
        "max_score": ("maxscore", "maximum", "maxpoints", "outof", "totalpoints", "pointspossible",
                      "possiblepoints", "maxgrade"),
        "passed": ("passed", "pass", "passfail", "result", "status", "outcome", "certified", "completionstatus"),
    }
    required = (("rep_email", "rep_name", "last_name"), ("module",), ("attempted_at",), ("score", "passed"))
    date_fields = ("attempted_at",)
    versions = "quiz_attempt_versions"
    key = "attempt_id"
    columns = ("rep_email", "rep_name", "module", "attempted_at", "score", "passed")
    fact = Fact("quiz_attempts", "rep_email", "rep_name", "NULL", "module", "attempted_at::DATE")
    load_order = 3
    stale_after_days = 14

    def stage(self, ctx: Context) -> str:
        """Attempts: score on a 0-1 scale, passed from a pass/fail column or the pass mark."""
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
                          f"format('{{}}: cannot read ''{{}}'' as a score', {ctx.bind(ctx.header('score'))}, "
                          f"{cv.v(c)})")
            top = (f"{max_header:g}" if max_header else f"in {ctx.header('max_score')}" if ctx.col("max_score")
                   else "1" if fraction_scale else "100%")
            ctx.reject_if(f"(({score}) > 1.0001)",
                          f"format('{{}}: ''{{}}'' is above the maximum score ({{}}); fix the value or leave it empty', "
                          f"{ctx.bind(ctx.header('score'))}, {cv.v(c)}, {ctx.bind(top)})")
            ctx.reject_if(f"(({score}) < 0)",
                          f"format('{{}}: ''{{}}'' is below zero; a score cannot be negative', "
                          f"{ctx.bind(ctx.header('score'))}, {cv.v(c)})")
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
