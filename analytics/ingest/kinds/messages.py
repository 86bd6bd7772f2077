"""The message catalog (launch plan): name, launch date, target segment, owner, adoption target and date, and the
key phrases its call tracker listens for."""

from __future__ import annotations

from .. import convert as cv
from ..staging import Context
from ..tracking import track_activities
from .base import Kind


class Messages(Kind):
    name = "messages"
    label = "Message catalog"
    noun = "a message catalog"
    synonyms = {
        "message_name": ("message", "name", "messagename", "title", "valueproposition", "talktrack", "campaign"),
        "launch_date": ("launchdate", "launch", "launchedon", "startdate", "date", "live", "golive"),
        "target_segment": ("targetsegment", "segment", "audience", "target"),
        "owner": ("owner", "productmarketer", "pmm", "author"),
        "description": ("description", "summary", "details", "notes"),
        "adoption_target": ("adoptiontarget", "targetadoption", "certificationtarget", "goal"),
        "target_date": ("targetdate", "adoptiontargetdate", "duedate", "deadline", "goaldate"),
        "key_phrases": ("keyphrases", "keyphrase", "keywords", "phrases", "trackerphrases", "trackerkeywords",
                        "talktrackphrases", "keyterms", "trackedterms"),
    }
    labels = {
        "key_phrases": ("Key phrases", "Keywords", "Talk track phrases", "Tracker phrases", "Tracker keywords",
                        "Phrases to track", "Tracked terms", "Key terms"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "message_name": "text", "launch_date": "date", "target_segment": "category", "owner": "text",
        "description": "notes", "adoption_target": "share", "target_date": "date", "key_phrases": "text",
    }
    required = (("message_name",),)
    date_fields = ("launch_date", "target_date")
    versions = "message_versions"
    key = "message_key"
    columns = ("message_name", "launch_date", "target_segment", "owner", "description", "adoption_target",
               "target_date", "key_phrases")
    load_order = 0
    stale_after_days = 90

    def after_load(self, con, upload_id: int | None) -> None:
        """A catalog with other messages, descriptions or key phrases changes the trackers: score activities again."""
        track_activities(con)

    def stage(self, ctx: Context) -> str:
        """Catalog rows keyed by normalized name; 'all' segments mean every deal; targets as shares."""
        s = ctx.select
        s["message_name"] = ctx.text("message_name")
        s["launch_date"] = ctx.date("launch_date")
        seg = ctx.text("target_segment")
        s["target_segment"] = f"CASE WHEN lower({seg}) IN ('all', 'all segments', 'any', '*', 'everyone', '-') " \
                              f"THEN NULL ELSE {seg} END"
        s["owner"] = ctx.text("owner")
        s["description"] = ctx.text("description")
        if ctx.col("adoption_target"):
            share = ctx.converted("adoption_target", cv.share_sql(ctx.col("adoption_target")),
                                  "a share (80% or 0.8)")
            header, raw = ctx.bind(ctx.header("adoption_target")), ctx.text("adoption_target")
            ctx.reject_if(f"(({share}) > 1 OR ({share}) < 0)",
                          f"format('{{}}: ''{{}}'' is outside 0-100%; a target is a share of reps, such as 80%', "
                          f"{header}, {raw})")
            s["adoption_target"] = share
        else:
            s["adoption_target"] = "NULL::DOUBLE"
        s["target_date"] = ctx.date("target_date")
        s["key_phrases"] = key_phrases_sql(ctx.text("key_phrases"))
        ctx.required(s["message_name"], "message name")
        return f"text_key({s['message_name']})"


def key_phrases_sql(raw: str) -> str:
    """Key phrases as '; '-separated text: ';', '|' or new lines separate them (commas too when nothing else does)."""
    split = (f"CASE WHEN regexp_matches({raw}, '[;|\\n]') THEN regexp_replace({raw}, '\\s*[;|\\n]+\\s*', '; ', 'g') "
             f"ELSE regexp_replace({raw}, '\\s*,+\\s*', '; ', 'g') END")
    return f"nullif(trim({split}, '; '), '')"
