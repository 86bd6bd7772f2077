"""Activities: calls, meetings, emails, notes and tasks, from call recorders, CRMs and plain transcript files.

Each row is one activity: when, which rep, which deal, its title and text. The text keeps speaker turns as lines
"Speaker: text" when the source has them (sql/build/activity_turns.sql splits them). The type (call, meeting,
email, note, task) comes from a type column, else from the format (a Salesforce Event is a meeting).
"""

from __future__ import annotations

from .. import convert as cv
from ..formats import norm
from ..staging import Context, person_columns
from ..tracking import track_activities
from .base import Fact, Kind

TYPES = ("call", "meeting", "email", "note", "task")
# Type words as tools and languages write them (folded, compared as regular expressions on the value).
TYPE_WORDS = (
    ("email", r"e-?mail|correo|courriel|inmail|message"),
    ("meeting", r"meeting|event|besprechung|termin|reunion|réunion|rendez|demo|video|zoom|teams|webex|conference"),
    ("call", r"call|phone|anruf|telefon|appel|llamada|dial|voice"),
    ("note", r"note|notiz|nota|comment|log"),
    ("task", r"task|aufgabe|tache|tâche|tarea|to-?do|follow"),
)
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}


def type_sql(expr: str) -> str:
    """call | meeting | email | note | task for a type value (Call, TaskSubtype ListEmail, Besprechung), or NULL."""
    folded = f"lower(strip_accents({expr}))"
    cases = " ".join(f"WHEN regexp_matches({folded}, '{pattern}') THEN '{t}'" for t, pattern in TYPE_WORDS)
    return f"(CASE {cases} END)"


def duration_unit(header: str, default: str = "s") -> str:
    """The unit a duration header states (`Duration (min)`, `DurationInMinutes`, `Call duration (ms)`)."""
    h = norm(header)
    if "millisecond" in h or h.endswith("ms"):
        return "ms"
    if "minute" in h or h.endswith("min") or h.endswith("mins"):
        return "min"
    if "hour" in h or h.endswith("hrs"):
        return "h"
    if "second" in h or h.endswith("sec") or h.endswith("secs"):
        return "s"
    return default


def duration_sql(col: str, unit: str) -> str:
    """Seconds from `1:02:03`, `32:10`, `95`, `95 s`, `12.5 min` (clock values need no unit)."""
    x = cv.v(col)
    clock = r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$"
    h3 = f"TRY_CAST(regexp_extract({x}, '{clock}', 1) AS DOUBLE)"
    m3 = f"TRY_CAST(regexp_extract({x}, '{clock}', 2) AS DOUBLE)"
    s3 = f"TRY_CAST(nullif(regexp_extract({x}, '{clock}', 3), '') AS DOUBLE)"
    num = f"TRY_CAST(replace(regexp_extract({x}, '^([0-9]+([.,][0-9]+)?)\\s*[a-zA-Z]*$', 1), ',', '.') AS DOUBLE)"
    word = f"lower(regexp_extract({x}, '[0-9]\\s*([a-zA-Z]+)$', 1))"
    factor = (f"(CASE WHEN {word} IN ('ms', 'msec') THEN 0.001 WHEN {word} IN ('s', 'sec', 'secs', 'seconds') THEN 1 "
              f"WHEN {word} IN ('m', 'min', 'mins', 'minutes') THEN 60 WHEN {word} IN ('h', 'hr', 'hrs', 'hours') "
              f"THEN 3600 WHEN {word} = '' THEN {DURATION_UNITS[unit]} END)")
    return (f"(CASE WHEN regexp_matches({x}, '{clock}') THEN CASE WHEN {s3} IS NULL THEN {h3} * 60 + {m3} "
            f"ELSE {h3} * 3600 + {m3} * 60 + {s3} END ELSE {num} * {factor} END)")


class Activity(Kind):
    name = "activity"
    label = "Calls, meetings, emails and notes"
    noun = "an activity export (calls, meetings, emails or notes)"
    synonyms = {
        "activity_id": ("activityid", "callid", "conversationid", "engagementid", "taskid", "eventid",
                        "meetingid", "emailid", "noteid", "recordid", "id"),
        "activity_type": ("activitytype", "type", "conversationtype", "engagementtype", "tasksubtype",
                          "eventsubtype", "activitysubtype", "kind", "channel"),
        "activity_at": ("activitydate", "date", "started", "start", "starttime", "startdatetime", "calldate",
                        "meetingdate", "datetime", "timestamp", "activitydatetime", "scheduled", "sentat",
                        "emaildate", "duedate", "createddate", "createdate", "createdat"),
        "rep_email": ("repemail", "owneremail", "useremail", "hostemail", "primaryuseremail", "salesrepemail",
                      "assignedtoemail", "email", "emailaddress"),
        "rep_name": ("rep", "repname", "owner", "ownername", "assignedto", "activityassignedto", "activityowner",
                     "host", "primaryuser", "salesrep", "user", "username", "callowner", "createdby", "author"),
        "rep_crm_id": ("ownerid", "assignedtoid", "userid", "hubspotownerid", "primaryuserid", "repid",
                       "salesrepid", "crmuserid"),
        "deal_ref": ("opportunityid", "dealid", "crmopportunityid", "associateddealids", "associateddealid",
                     "whatid", "relatedtoid", "linkeddealid", "opportunity18digitid"),
        "deal_name": ("opportunityname", "dealname", "opportunity", "deal", "associateddeal", "associateddeals",
                      "relatedto", "linkeddeal", "crmopportunity"),
        "title": ("title", "subject", "calltitle", "callname", "meetingtitle", "meetingname", "emailsubject",
                  "name", "topic"),
        "duration": ("duration", "callduration", "durationseconds", "durationsec", "durationinseconds",
                     "calldurationinseconds", "durationinminutes", "durationminutes", "length", "talktime"),
        "body": ("transcript", "calltranscript", "body", "callnotes", "notebody", "emailbody", "emailtext",
                 "description", "comments", "notes", "text", "content", "brief", "callbrief", "summary",
                 "callsummary", "meetingnotes", "details", "message"),
        "source_file": ("transcriptfile", "file", "filename", "recordingfile", "sourcefile"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "activity_id": "id", "activity_type": "category", "activity_at": "date", "rep_email": "email",
        "rep_name": "person", "rep_crm_id": "crm_id", "deal_ref": "ref", "deal_name": "text", "title": "text",
        "duration": "duration", "body": "notes", "source_file": "text",
    }
    # header labels beyond the spellings: other tools' English phrasings, then German, French, Spanish
    labels = {
        "activity_id": ("Call ID", "Activity ID", "Task ID", "Event ID", "Engagement ID", "Record ID",
            "Conversation ID", "Meeting ID", "Aktivitäts-ID", "ID de l'activité", "ID de actividad",
            "Datensatz-ID", "ID de fiche d'informations", "ID de registro"),
        "activity_type": ("Activity Type", "Type", "Task Subtype", "Event Subtype", "Activity Subtype",
            "Engagement Type", "Conversation Type", "Aktivitätstyp", "Typ", "Type d'activité", "Tipo de actividad",
            "Tipo"),
        "activity_at": ("Activity Date", "Activity date", "Date", "Started", "Start", "Start Date Time",
            "Call Date", "Meeting Date", "Scheduled", "Due Date", "Date/Time", "Date Time", "Sent", "Created Date",
            "Create Date", "Aktivitätsdatum", "Datum", "Fälligkeitsdatum", "Date de l'activité", "Date d'échéance",
            "Fecha de actividad", "Fecha", "Fecha de vencimiento"),
        "rep_email": ("Rep Email", "Owner Email", "Host Email", "User Email", "Primary User Email",
            "Assigned To Email", "E-Mail des Inhabers", "E-mail du propriétaire", "Correo del propietario"),
        "rep_name": ("Assigned To", "Activity assigned to", "Activity Owner", "Owner", "Rep", "Host",
            "Primary User", "Call Owner", "Sales Rep", "User", "Created By", "Zugewiesen an", "Inhaber",
            "Aktivität zugewiesen an", "Attribué à", "Propriétaire", "Activité attribuée à", "Asignado a",
            "Propietario", "Actividad asignada a"),
        "rep_crm_id": ("Assigned To ID", "Owner ID", "HubSpot Owner ID", "User ID", "Primary User ID"),
        "deal_ref": ("Opportunity ID", "Deal ID", "Associated Deal IDs", "Related To ID", "Opportunity-ID",
            "ID de l'opportunité", "ID de oportunidad", "Deal IDs"),
        "deal_name": ("Opportunity Name", "Deal Name", "Associated Deal", "Associated Deals", "Related To",
            "Opportunity", "Deal", "Opportunity-Name", "Verwandt mit", "Associé à", "Relacionado con",
            "Nom de l'opportunité", "Nombre de la oportunidad"),
        "title": ("Title", "Subject", "Call Title", "Call Name", "Meeting Title", "Meeting name", "Email subject",
            "Betreff", "Titel", "Objet", "Titre", "Asunto", "Título"),
        "duration": ("Duration", "Call Duration", "Call duration", "Duration (sec)", "Duration (min)",
            "Talk Time", "Dauer", "Durée", "Duración"),
        "body": ("Transcript", "Call notes", "Note body", "Email body", "Email text", "Description", "Comments",
            "Full Comments", "Notes", "Body", "Brief", "Call Brief", "Summary", "Meeting notes", "Content",
            "Transkript", "Beschreibung", "Kommentare", "Notizen", "Transcription", "Commentaires", "Notes",
            "Corps", "Transcripción", "Descripción", "Comentarios", "Notas", "Cuerpo"),
        "source_file": ("Transcript file", "File", "File name", "Recording", "Datei", "Fichier", "Archivo"),
    }
    required = (("activity_at",), ("rep_email", "rep_name", "rep_crm_id"), ("body", "title"))
    date_fields = ("activity_at",)
    versions = "activity_versions"
    key = "activity_id"
    columns = ("activity_type", "activity_at", "rep_email", "rep_name", "rep_crm_id", "deal_ref", "title",
               "duration_s", "body", "source_file")
    fact = Fact("activities", "rep_email", "rep_name", "rep_crm_id", "NULL", "activity_at::DATE",
                derived=("activity_turns",),
                # a CRM upload may bring the deal an activity names (by id or name), or change one it resolved to
                follows=(("crm", "deal_ref IS NOT NULL AND (opportunity_id IN (SELECT opportunity_id FROM "
                                 "src_opportunities) OR left(deal_ref, 15) IN (SELECT left(substr(opportunity_id, "
                                 "strpos(opportunity_id, ':') + 1), 15) FROM src_opportunities) OR text_key(deal_ref) "
                                 "IN (SELECT text_key(opportunity_name) FROM src_opportunities))"),))
    load_order = 5
    stale_after_days = 14

    def after_load(self, con, upload_id: int | None) -> None:
        """Score the activities not yet scored at the current tracker version (an upload's new and changed ones);
        after an undo, its activities' mentions go."""
        track_activities(con)

    def stage(self, ctx: Context) -> str:
        """Activities: timestamp, rep, deal reference (id, else name), type, duration in seconds, text."""
        s = ctx.select
        s["activity_at"] = ctx.date("activity_at", timestamp=True, day_first=ctx.locale_day_first)
        s["rep_email"], s["rep_name"] = person_columns(ctx)
        s["rep_crm_id"] = ctx.text("rep_crm_id")
        # HubSpot lists several associated deals as `a;b`: the first is the activity's deal.
        first = lambda e: f"nullif(trim(split_part({e}, ';', 1)), '')"  # noqa: E731
        s["deal_ref"] = f"coalesce({first(ctx.text('deal_ref'))}, {first(ctx.text('deal_name'))})"
        s["title"] = ctx.text("title")
        s["body"] = f"nullif(trim(replace(replace({ctx.text('body')}, chr(13) || chr(10), chr(10)), chr(13), " \
                    "chr(10))), '')"
        default = getattr(ctx.format, "activity_type", None) or "call"
        if ctx.col("activity_type"):
            typed = ctx.per_value(ctx.col("activity_type"), type_sql(cv.v(ctx.col("activity_type"))))
            s["activity_type"] = f"coalesce({typed}, {ctx.bind(default)})"
            ctx.info["activity_type_from"] = ctx.header("activity_type")
        else:
            s["activity_type"] = f"{ctx.bind(default)}::VARCHAR"
            ctx.info["activity_type_from"] = f"{ctx.format.label}: {default}"
        c = ctx.col("duration")
        if c:
            unit = duration_unit(ctx.header("duration"), getattr(ctx.format, "duration_unit", "s"))
            ctx.info["duration_unit"] = unit
            s["duration_s"] = ctx.converted("duration", ctx.computed(duration_sql(c, unit)), "a duration")
        else:
            s["duration_s"] = "NULL::DOUBLE"
        s["source_file"] = ctx.text("source_file")
        ctx.required(f"coalesce(({s['activity_at']})::VARCHAR, {ctx.text('activity_at')})", "date")
        ctx.required(f"coalesce({s['rep_email']}, {s['rep_name']}, {s['rep_crm_id']})", "rep")
        ctx.required(f"coalesce({s['body']}, {s['title']})", "text or title")
        # The source's id, else the transcript's file name, else (no id column, or a row without an id) when, who,
        # what kind and the title or the text's start: a corrected mapping that changes these is caught by the
        # source key and updates the record in place.
        derived = (f"'derived:' || md5(concat_ws('|', coalesce(email_key({s['rep_email']}), "
                   f"'crm:' || {s['rep_crm_id']}, name_key({s['rep_name']})), ({s['activity_at']})::VARCHAR, "
                   f"{s['activity_type']}, lower(coalesce({s['title']}, left({s['body']}, 200)))))")
        keys = [f"{ctx.bind(ctx.source_format + ':')} || {ctx.text(f)}" for f in ("activity_id", "source_file")
                if ctx.col(f)]
        if not keys:
            ctx.info["derived_key"] = [ctx.header(f) for f in ("activity_at", "rep_email", "rep_name", "rep_crm_id",
                                                               "activity_type", "title", "body") if ctx.col(f)]
        return f"coalesce({', '.join([*keys, derived])})"
