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
        "max_score": ("maxscore", "maximum", "maxpoints", "outof", "pointspossible", "possiblepoints", "maxgrade"),
        "passed": ("passed", "pass", "passfail", "result", "status", "outcome", "certified", "completionstatus"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "attempt_id": "id", "rep_email": "email", "rep_name": "person", "first_name": "name_part",
        "last_name": "name_part", "module": "message", "attempted_at": "date", "score": "score", "max_score": "max",
        "passed": "bool",
    }
    # header labels beyond the spellings: other tools' English phrasings, then German, French, Spanish
    labels = {
        "attempt_id": ("Submission ID", "Response ID", "Result ID", "Enrollment ID"),
        "rep_email": ("E-Mail-Adresse", "E-Mail", "Adresse e-mail", "Adresse électronique", "Courriel",
            "Correo electrónico", "Dirección de correo electrónico", "Login", "User Email", "Learner Email",
            "Employee Email", "Email address", "Work Email", "User Login", "SIS Login ID"),
        "rep_name": ("Student", "Learner", "Learner Name", "User Name", "Full Name", "Employee", "Employee Name",
            "Participant Name", "Teilnehmer", "Nom complet", "Nombre completo", "Worker", "Person",
            "User Full Name", "Rep", "Seller"),
        "first_name": ("Vorname", "Prénom", "Nombre", "User First Name", "Learner First Name"),
        "last_name": ("Nachname", "Nom de famille", "Apellido", "Apellidos", "User Last Name", "Surname"),
        "module": ("Quiz", "Course Title", "Training Title", "Learning Item", "Item Title", "Learning Object",
            "Course Name", "Assignment", "Exam", "Assessment Name", "Kurs", "Kursname", "Cours", "Curso",
            "Training", "Learning Content", "Content Title", "Program", "Certification Name", "Item"),
        "attempted_at": ("Started on", "Completed", "Completion Date", "Date Completed", "Completed Date",
            "Submitted", "Submitted At", "Attempt Date", "Zeitstempel", "Horodateur", "Marca temporal",
            "Completion time", "Start time", "Datum", "Fecha", "Completion Date/Time", "Date of completion",
            "Completed On", "Completion Timestamp", "Finished"),
        "score": ("Grade", "Score", "Final Score", "Total Score", "Result Score", "Score (%)", "Percentage",
            "Points", "Total points", "Punkte", "Punktzahl", "Bewertung", "Note", "Puntuación", "Calificación",
            "Quiz Score", "Exam Score", "Assessment Score", "Score Percent", "Points Scored", "Points Earned"),
        "max_score": ("Max Score", "Max Points", "Points Possible", "Possible Points", "Maximum Score", "Out of",
            "Total Possible", "Max Grade", "Höchstpunktzahl", "Score maximal", "Puntuación máxima"),
        "passed": ("Passed", "Pass/Fail", "Result", "Success Status", "Certified", "Bestanden", "Réussi",
            "Aprobado", "Passed?", "Pass Status", "Completion Status"),
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
                if top is not None and 1.0 < top <= 10:
                    ctx.warnings.append(f"{ctx.header('score')}: no score is above {top:g}, read as percentages; if "
                                        "they are points, add the maximum as a column and name it with "
                                        "--map max_score=Header")
            score = cv.score_sql(c, max_header, ctx.col("max_score"), fraction_scale)
            ungraded = cv.ungraded_sql(c)
            ctx.reject_if(f"({cv.v(c)} IS NOT NULL AND NOT {ungraded} AND ({score}) IS NULL)",
                          f"format('{{}}: cannot read ''{{}}'' as a score', {ctx.bind(ctx.header('score'))}, "
                          f"{cv.v(c)})")
            top = (f"{max_header:g}" if max_header else f"in {ctx.header('max_score')}" if ctx.col("max_score")
                   else "1" if fraction_scale else "100%")
            ctx.reject_if(f"(({score}) > 1.0001)",
                          f"format('{{}}: ''{{}}'' is above the maximum score ({{}}); fix the value or leave it "
                          f"empty', {ctx.bind(ctx.header('score'))}, {cv.v(c)}, {ctx.bind(top)})")
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
