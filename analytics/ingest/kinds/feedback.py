"""Field feedback logs: date, rep, message or topic, rating, outcome, multi-line notes."""

from __future__ import annotations

import re

from .. import convert as cv
from ..staging import Context, person_columns
from .base import Fact, Kind


# Ratings are stored on 1-5 (the reception metrics read them so); a header may state another scale.
SCALE = (1, 5)
STATED_SCALE = re.compile(r"(\d+)\s*(?:-|–|to)\s*(\d+)\s*[)\]]?\s*$|(?:/|\bout of|\bof)\s*(\d+)\s*[)\]]?\s*$",
                          re.IGNORECASE)


def stated_scale(header: str) -> tuple[int, int] | None:
    """The rating scale a header states (`Rating (1-10)`, `Stars out of 5`, `Score/10`), or None."""
    m = STATED_SCALE.search(header)
    if not m:
        return None
    lo, hi = (int(m.group(1)), int(m.group(2))) if m.group(1) else (1, int(m.group(3)))
    return (lo, hi) if hi > lo else None


class Feedback(Kind):
    name = "feedback"
    label = "Field feedback"
    noun = "a feedback log"
    synonyms = {
        "feedback_date": ("date", "timestamp", "feedbackdate", "submittedat", "calldate", "createdat", "loggedon"),
        "rep_email": ("email", "emailaddress", "repemail", "submittedby", "author"),
        "rep_name": ("rep", "repname", "name", "salesrep", "owner", "user", "fullname"),
        "topic": ("message", "topic", "messaging", "talktrack", "subject", "messagename", "valueprop"),
        "rating": ("rating", "score", "stars", "howwelldiditland", "reception", "csat"),
        "outcome": ("outcome", "result", "prospectreaction", "reaction", "response"),
        "notes": ("notes", "comment", "comments", "feedback", "verbatim", "details", "note", "text"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "feedback_date": "date", "rep_email": "email", "rep_name": "person", "topic": "message", "rating": "rating",
        "outcome": "category", "notes": "notes",
    }
    # header labels beyond the spellings: other tools' English phrasings, then German, French, Spanish
    labels = {
        "feedback_date": ("Date", "Timestamp", "Submitted At", "Submission Date", "Completion time", "Start time",
            "End Date", "Start Date", "Recorded Date", "Zeitstempel", "Horodateur", "Marca temporal", "Datum",
            "Fecha", "Created", "Created Date", "Activity Date", "Call Date", "Date Submitted", "Response Date"),
        "rep_email": ("Email Address", "E-Mail-Adresse", "Adresse e-mail", "Correo electrónico",
            "Respondent Email", "Email", "Recipient Email", "Submitter Email", "Your email"),
        "rep_name": ("Name", "Your Name", "Rep Name", "Submitted By", "Respondent", "Recipient Name", "Created By",
            "Assigned", "Activity Owner", "Owner", "Author", "Salesperson"),
        "topic": ("Message", "Topic", "Which message did you use?", "Message used", "Talk Track", "Value Prop",
            "Subject", "Thema", "Sujet", "Tema", "Pitch", "Messaging"),
        "rating": ("Rating", "How well did it land?", "How did it land", "Reception", "Buyer Reaction Score",
            "Score", "Stars", "Bewertung", "Note", "Évaluation", "Valoración", "Calificación", "Satisfaction"),
        "outcome": ("Outcome", "Result", "Prospect Reaction", "Reaction", "Next Step", "Ergebnis", "Résultat",
            "Resultado", "Call Outcome", "Disposition"),
        "notes": ("Notes", "Comments", "Comment", "Feedback", "Verbatim", "Details", "Description", "Body", "Note",
            "Notizen", "Kommentar", "Commentaire", "Commentaires", "Comentario", "Comentarios",
            "What did the buyer say?", "Anything else?", "Content", "Full Comments"),
    }
    required = (("feedback_date",), ("rep_email", "rep_name"), ("topic",))
    date_fields = ("feedback_date",)
    versions = "feedback_versions"
    key = "feedback_id"
    columns = ("feedback_date", "rep_email", "rep_name", "topic", "rating", "outcome", "notes")
    fact = Fact("feedback", "rep_email", "rep_name", "NULL", "topic", "feedback_date")
    load_order = 4
    stale_after_days = 14

    def stage(self, ctx: Context) -> str:
        """Entries: the rating read as a number; the key hashes rep, topic, date, rating and notes."""
        s = ctx.select
        s["rep_email"], s["rep_name"] = person_columns(ctx)
        s["feedback_date"] = ctx.date("feedback_date", day_first=ctx.locale_day_first)
        s["topic"] = ctx.text("topic")
        c = ctx.col("rating")
        if c:
            header = ctx.header("rating")
            num = ctx.converted("rating", ctx.computed(
                f"TRY_CAST(replace(regexp_extract({cv.v(c)}, '^-?[0-9]+([.,][0-9]+)?', 0), ',', '.') AS DOUBLE)"),
                "a rating")
            stated = stated_scale(header)
            lo, hi = stated or SCALE
            where = ("the scale its header states" if stated else
                     "the rating scale; if the export uses another, state it in the header, e.g. Rating (1-10)")
            ctx.reject_if(f"(({num}) < {lo} OR ({num}) > {hi})",
                          f"format('{{}}: ''{{}}'' is outside {lo}-{hi}, {where}', {ctx.bind(header)}, {cv.v(c)})")
            if (lo, hi) != SCALE:
                a, b = SCALE
                s["rating"] = f"({a} + ({num} - {lo}) * {(b - a) / (hi - lo)!r})"
                ctx.info["rating_scale"] = f"{lo}-{hi}, read as {a}-{b}"
                ctx.warnings.append(f"{header}: ratings on the stated {lo}-{hi} scale were read on Huddle's {a}-{b} "
                                    f"scale ({hi} is {b}, {lo} is {a})")
            else:
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
