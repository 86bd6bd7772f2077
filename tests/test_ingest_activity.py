"""The activity kind: call recorder, Salesforce and HubSpot activity exports and plain transcript files, loaded with
their speaker turns, resolved to reps and deals, and re-uploaded, corrected and undone like every kind."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics import cli, db
from analytics.estimators import ESTIMATORS
from analytics.estimators import tracker as tr
from analytics.ingest import formats, tracking
from analytics.ingest.errors import IngestError
from analytics.ingest.load import ingest_file, undo
from analytics.ingest.transcripts import parse_cues, parse_text, prepare_batch

ROSTER = ("Name,Email,Team\nJane Doe,jane.doe@acme.com,East\nSam Lee,sam@acme.com,West\n"
          "Élodie Brûlé,elodie@acme.com,West\n")
CRM = ("Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date\n"
       "101,Foo expansion,closedwon,2026-04-01,Jane Doe,1000,2026-01-05\n"
       "102,Bar new logo,appointmentscheduled,2026-05-01,Sam Lee,2000,2026-01-06\n"
       "103,Twin deal,closedlost,2026-05-01,Sam Lee,10,2026-01-06\n"
       "104,Twin deal,closedlost,2026-05-02,Sam Lee,20,2026-01-07\n")
GONG = ("Call ID,Call Date,Rep Email,Title,Opportunity ID,Opportunity Name,Duration,Transcript\n"
        'g1,2026-03-02 10:00,Jane.Doe@acme.com,Discovery - Foo,101,,0:32:10,"Jane Doe: Thanks for joining, Bob.\n'
        'Bob Smith: Reporting takes us days.\nJane: Our dashboard makes it minutes."\n'
        'g2,2026-03-03 11:00,sam@acme.com,Demo - Bar,,Bar new logo,12:30,"Quick brief without speakers."\n'
        "g3,,sam@acme.com,Undated,,,,some text\n"
        'g4,2026-03-04 09:00,sam@acme.com,Twin,,Twin deal,95,"[00:00:01] Sam Lee: Hello.\n'
        '[00:00:04] Prospect: Hi Sam.\n[00:00:09] Élodie Brûlé: I join from the product team."\n'
        "g5,2026-03-05 09:00,,No rep,,,60,text\n"
        "g6,2026-03-06 09:00,jane.doe@acme.com,,,,soon,\n")
SF_TASK = ("Id,Subject,ActivityDate,OwnerId,WhatId,Description,TaskSubtype,CallDurationInSeconds\n"
           "00T1,Call with Foo,03/07/2026,005A,006000000000000AAA,Discussed pricing,Call,300\n"
           "00T2,Send deck,03/08/2026,005A,,Sent the deck,Email,\n"
           "00T3,Prepare QBR,03/09/2026,005B,,,Task,\n")
SF_USERS = "Id,Name,Email\n005A,Jane Doe,jane.doe@acme.com\n005B,Sam Lee,sam@acme.com\n"
SF_OPPS = ("Id,Name,StageName,Amount,CloseDate,CreatedDate,OwnerId\n"
           "006000000000000AAA,Globex renewal,Closed Won,500,2026-04-01,2026-01-01,005A\n")
SF_EVENT = ("Id,Subject,StartDateTime,OwnerId,WhatId,Description,DurationInMinutes,Location\n"
            "00U1,QBR,2026-03-10T15:00:00Z,005B,,Quarterly review,45,Zoom\n")
HS_NOTES = ("Record ID,Note body,Activity date,Activity assigned to,Associated Deal\n"
            "9001,Champion wants a pilot,2026-03-11 08:00,Sam Lee,Bar new logo\n")
HS_EMAILS = ("Record ID,Email subject,Email body,Activity date,Activity assigned to,Associated Deal IDs\n"
             "9101,Pricing,Here is the pricing we discussed,2026-03-12 08:00,Jane Doe,101;102\n")
HS_CALLS = ("Record ID,Call title,Call notes,Activity date,Activity assigned to,Call duration,Associated Deal\n"
            "9201,Intro,Our dashboard cuts reporting to minutes,2026-03-13 08:00,Jane Doe,1930000,Foo expansion\n")
HS_MEETINGS = ("Record ID,Meeting name,Meeting description,Activity date,Activity assigned to,Associated Deal IDs\n"
               "9301,QBR,Quarterly review of the rollout,2026-03-14 09:00,Sam Lee,102\n")


def load(con, tmp_path, kind, name, text, **kw):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return ingest_file(con, kind, p, **kw)


@pytest.fixture
def world(fresh_db, tmp_path):
    """A roster and a HubSpot deals export, loaded."""
    load(fresh_db, tmp_path, "reps", "roster.csv", ROSTER)
    load(fresh_db, tmp_path, "crm", "deals.csv", CRM)
    return fresh_db


def turns(con, activity_id):
    return con.execute("SELECT speaker, speaker_role, text FROM activity_turns WHERE activity_id = $a ORDER BY turn_no",
                       {"a": activity_id}).fetchall()


def test_each_activity_export_is_recognized_from_its_headers():
    for text, expected in ((GONG, "call_recorder"), (SF_TASK, "salesforce_task"), (SF_EVENT, "salesforce_event"),
                           (HS_NOTES, "hubspot_notes"), (HS_EMAILS, "hubspot_emails"), (HS_CALLS, "hubspot_calls"),
                           (HS_MEETINGS, "hubspot_meetings"),
                           ("Date,Rep,Notes\n", "activity_log")):
        assert formats.detect("activity", text.split("\n")[0].split(",")).name == expected


def test_a_call_export_loads_calls_with_turns_reps_and_deals_and_rejects_rows_with_reasons(world, tmp_path):
    r = load(world, tmp_path, "activity", "calls.csv", GONG)
    assert r.source_format == "call_recorder" and r.rows_inserted == 3 and r.rows_rejected == 3
    reasons = {x["line"]: x["reason"] for x in r.rejects}
    assert "date is empty" in reasons[6] and "rep is empty" in reasons[10]
    assert "cannot read 'soon' as a duration" in reasons[11] and "text or title is empty" in reasons[11]
    assert world.execute("SELECT count(*) FROM rejected_rows WHERE upload_id = $u",
                         {"u": r.upload_id}).fetchone()[0] == 3
    rows = {a: rest for a, *rest in world.execute(
        "SELECT activity_id, r.rep_name, opportunity_id, activity_type, duration_s, activity_date::VARCHAR "
        "FROM activities a LEFT JOIN reps r USING (rep_id)").fetchall()}
    assert rows["call_recorder:g1"] == ["Jane Doe", "hubspot:101", "call", 1930.0, "2026-03-02"]
    assert rows["call_recorder:g2"] == ["Sam Lee", "hubspot:102", "call", 750.0, "2026-03-03"]   # by its name
    assert rows["call_recorder:g4"][1] is None         # two deals have that name: none is guessed
    assert turns(world, "call_recorder:g1") == [
        ("Jane Doe", "rep", "Thanks for joining, Bob."), ("Bob Smith", "prospect", "Reporting takes us days."),
        ("Jane", "rep", "Our dashboard makes it minutes.")]
    assert turns(world, "call_recorder:g2") == [(None, "unknown", "Quick brief without speakers.")]
    # timestamps before the label; any roster rep (accents aside) speaks for the company
    assert [t[:2] for t in turns(world, "call_recorder:g4")] == [
        ("Sam Lee", "rep"), ("Prospect", "prospect"), ("Élodie Brûlé", "rep")]


def test_the_same_export_again_changes_nothing_and_a_corrected_one_updates_in_place(world, tmp_path):
    load(world, tmp_path, "activity", "calls.csv", GONG)
    again = load(world, tmp_path, "activity", "calls.csv", GONG)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    fixed = GONG.replace("Quick brief without speakers.",
                         "Recorded by Gong\nSam Lee: Better brief,\ncontinued here.\nAna: With speakers.")
    r = load(world, tmp_path, "activity", "calls_fixed.csv", fixed)
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (0, 1, 2)
    assert world.execute("SELECT count(*) FROM activities").fetchone()[0] == 3
    assert turns(world, "call_recorder:g2") == [      # a line without a label continues the turn before it
        (None, "unknown", "Recorded by Gong"), ("Sam Lee", "rep", "Better brief, continued here."),
        ("Ana", "prospect", "With speakers.")]
    undo(world, r.upload_id)
    assert turns(world, "call_recorder:g2") == [(None, "unknown", "Quick brief without speakers.")]


def test_a_file_without_ids_remapped_by_hand_updates_its_records_instead_of_adding_them(world, tmp_path):
    text = "Date,Rep,Subject,Notes\n2026-03-01,Sam Lee,Intro,Said hello\n2026-03-02,Jane Doe,Pricing,Sent pricing\n"
    first = load(world, tmp_path, "activity", "log.csv", text)
    assert first.rows_inserted == 2 and "derived_key" in first.details
    remapped = load(world, tmp_path, "activity", "log.csv", text, column_map={"title": "Notes", "body": "Subject"})
    assert (remapped.rows_inserted, remapped.rows_updated) == (0, 2)
    assert world.execute("SELECT count(*) FROM activities").fetchone()[0] == 2
    assert world.execute("SELECT body FROM activities ORDER BY activity_at").fetchall() == [("Intro",), ("Pricing",)]


def test_undo_removes_an_uploads_activities_and_their_turns(world, tmp_path):
    r = load(world, tmp_path, "activity", "calls.csv", GONG)
    undo(world, r.upload_id)
    assert world.execute("SELECT (SELECT count(*) FROM activities) + (SELECT count(*) FROM activity_turns)"
                         ).fetchone()[0] == 0


def test_salesforce_tasks_and_events_resolve_owner_ids_types_and_18_character_deal_ids(fresh_db, tmp_path):
    load(fresh_db, tmp_path, "crm", "users.csv", SF_USERS)
    load(fresh_db, tmp_path, "crm", "opps.csv", SF_OPPS.replace("006000000000000AAA", "006000000000000"))
    t = load(fresh_db, tmp_path, "activity", "tasks.csv", SF_TASK)
    e = load(fresh_db, tmp_path, "activity", "events.csv", SF_EVENT)
    assert (t.source_format, t.rows_inserted, e.source_format, e.rows_inserted) == (
        "salesforce_task", 3, "salesforce_event", 1)
    got = fresh_db.execute("""
        SELECT activity_id, r.rep_name, activity_type, opportunity_id, duration_s FROM activities a
        LEFT JOIN reps r USING (rep_id) ORDER BY activity_id""").fetchall()
    assert got == [("salesforce_event:00U1", "Sam Lee", "meeting", None, 2700.0),
                   ("salesforce_task:00T1", "Jane Doe", "call", "salesforce_dataloader:006000000000000", 300.0),
                   ("salesforce_task:00T2", "Jane Doe", "email", None, None),
                   ("salesforce_task:00T3", "Sam Lee", "task", None, None)]
    assert turns(fresh_db, "salesforce_task:00T2") == [(None, "rep", "Sent the deck")]   # the rep wrote it
    assert turns(fresh_db, "salesforce_task:00T3") == []                                  # a subject, no text


def test_hubspot_notes_and_emails_take_their_type_from_the_export_and_the_first_associated_deal(world, tmp_path):
    n = load(world, tmp_path, "activity", "notes.csv", HS_NOTES)
    m = load(world, tmp_path, "activity", "emails.csv", HS_EMAILS)
    assert (n.source_format, m.source_format) == ("hubspot_notes", "hubspot_emails")
    assert world.execute("SELECT activity_type, opportunity_id, title FROM activities ORDER BY activity_id"
                         ).fetchall() == [("email", "hubspot:101", "Pricing"), ("note", "hubspot:102", None)]


def test_hubspot_calls_read_their_duration_in_milliseconds_and_meetings_their_description(world, tmp_path):
    c = load(world, tmp_path, "activity", "calls.csv", HS_CALLS)
    m = load(world, tmp_path, "activity", "meetings.csv", HS_MEETINGS)
    assert (c.source_format, m.source_format, c.rows_inserted, m.rows_inserted) == (
        "hubspot_calls", "hubspot_meetings", 1, 1)
    assert world.execute("SELECT activity_type, opportunity_id, title, duration_s, r.rep_name, body FROM activities "
                         "LEFT JOIN reps r USING (rep_id) ORDER BY activity_id").fetchall() == [
        ("call", "hubspot:101", "Intro", 1930.0, "Jane Doe", "Our dashboard cuts reporting to minutes"),
        ("meeting", "hubspot:102", "QBR", None, "Sam Lee", "Quarterly review of the rollout")]


def test_activities_loaded_before_their_deals_resolve_once_the_crm_export_arrives(fresh_db, tmp_path):
    load(fresh_db, tmp_path, "activity", "calls.csv", GONG)
    assert fresh_db.execute("SELECT count(opportunity_id) FROM activities").fetchone()[0] == 0
    load(fresh_db, tmp_path, "crm", "deals.csv", CRM)
    assert fresh_db.execute("SELECT count(opportunity_id) FROM activities").fetchone()[0] == 2


VTT = """WEBVTT

NOTE
Date: 2026-03-04 09:30
Rep: jane.doe@acme.com
Deal: Foo expansion

1
00:00:01.000 --> 00:00:04.000
<v Jane Doe>Hello Bob, thanks for the time.</v>

2
00:00:04.500 --> 00:00:09.000
<v Bob Smith>Happy to. Reporting is slow for us.</v>

3
00:00:09.500 --> 00:00:12.000
It takes days.
"""
SRT = """1
00:00:01,000 --> 00:00:03,000
Sam: Hi, Sam here from Acme.

2
00:00:03,500 --> 00:01:05,250
Prospect: What does it cost?
"""
TXT = """Title: Check-in

[00:00:05] Sam Lee: Morning!
[00:00:09] Ana Ruiz: Morning, Sam.
We looked at the proposal.
"""
SIDE = "File name,Rep,Date,Opportunity ID,Region\nb.srt,sam@acme.com,2026-03-04 15:00,102,EMEA\n" \
       "c.txt,Sam Lee,2026-03-05,,EMEA\nlost.vtt,Sam Lee,2026-03-05,,EMEA\n"


def test_transcript_cues_and_plain_lines_keep_their_speakers_and_header_values():
    vtt = parse_cues(VTT)
    assert vtt.turns == [("Jane Doe", "Hello Bob, thanks for the time."),
                         ("Bob Smith", "Happy to. Reporting is slow for us. It takes days.")]
    assert vtt.header == {"Date": "2026-03-04 09:30", "Rep": "jane.doe@acme.com", "Deal": "Foo expansion"}
    assert vtt.duration_s == 12.0
    assert parse_cues(SRT).duration_s == 65.25
    txt = parse_text(TXT)
    assert txt.header == {"Title": "Check-in"}
    assert txt.body() == "Sam Lee: Morning!\nAna Ruiz: Morning, Sam. We looked at the proposal."
    otter = parse_text("Jane Doe  0:02\nHello there.\n\nBob  0:09\nHi.\n")
    assert otter.turns == [("Jane Doe", "Hello there."), ("Bob", "Hi.")]


def transcript_files(tmp_path):
    files = []
    for name, text in (("a.vtt", VTT), ("b.srt", SRT), ("c.txt", TXT), ("calls_meta.csv", SIDE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append((tmp_path / name, name))
    return files


def test_a_batch_of_transcript_files_with_a_side_csv_is_one_upload_and_loads_again_unchanged(world, tmp_path):
    batch = prepare_batch("activity", transcript_files(tmp_path), tmp_path)
    assert len(batch) == 1
    path, name, notes = batch[0]
    assert name == "3 transcripts (a.vtt … c.txt)" and "lost" in notes[0]
    r = ingest_file(world, "activity", path, file_name=name)
    assert (r.source_format, r.rows_inserted, r.rows_rejected) == ("transcript_files", 3, 0)
    assert [u["column"] for u in r.unused_columns] == ["Region"]        # the side CSV's other columns are reported
    got = world.execute("""SELECT activity_id, r.rep_name, opportunity_id, activity_at::VARCHAR, duration_s
                           FROM activities a LEFT JOIN reps r USING (rep_id) ORDER BY 1""").fetchall()
    assert got == [("transcript_files:a.vtt", "Jane Doe", "hubspot:101", "2026-03-04 09:30:00", 12.0),
                   ("transcript_files:b.srt", "Sam Lee", "hubspot:102", "2026-03-04 15:00:00", 65.25),
                   ("transcript_files:c.txt", "Sam Lee", None, "2026-03-05 00:00:00", 9.0)]
    assert [t[:2] for t in turns(world, "transcript_files:b.srt")] == [("Sam", "rep"), ("Prospect", "prospect")]
    path2, name2, _ = prepare_batch("activity", transcript_files(tmp_path), tmp_path / "..")[0]
    again = ingest_file(world, "activity", path2, file_name=name2)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)


def test_a_transcript_without_a_date_or_rep_is_rejected_with_the_reason(fresh_db, tmp_path):
    (tmp_path / "x.srt").write_text(SRT, encoding="utf-8")
    path, name, _ = prepare_batch("activity", [(tmp_path / "x.srt", "x.srt")], tmp_path)[0]
    with pytest.raises(IngestError, match="missing activity_at"):
        ingest_file(fresh_db, "activity", path, file_name=name)


def test_the_command_line_loads_transcript_files_as_one_activity_upload(tmp_path, capsys):
    files = [str(p) for p, _ in transcript_files(tmp_path)]
    assert cli.main(["ingest", "activity", *files, "--db", str(tmp_path / "h.duckdb"), "--json",
                     "--refresh", "skip"]) == 0
    out = capsys.readouterr().out
    assert out.count('"upload_id"') == 1 and '"rows_inserted": 3' in out and "lost" in out
    con = db.connect(tmp_path / "h.duckdb")
    assert con.execute("SELECT count(*) FROM activity_turns").fetchone()[0] == 6
    con.close()


def test_the_data_page_loads_transcript_files_and_their_side_csv_as_one_upload(tmp_path, monkeypatch):
    path = tmp_path / "huddle.duckdb"
    con = db.connect(path)
    load(con, tmp_path, "reps", "roster.csv", ROSTER)
    con.close()
    monkeypatch.setenv("HUDDLE_DB", str(path))
    for name in ("HUDDLE_TRUSTED_HEADER", "HUDDLE_ROLES"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "ops" / "data.py"), default_timeout=60).run()
    at.file_uploader[0].set_value([(n, p.read_bytes(), "text/plain") for p, n in transcript_files(tmp_path)]).run()
    assert not at.exception
    assert any("3 transcripts" in m.value and "a.vtt" in m.value for m in at.markdown)
    assert not [s for s in at.selectbox if s.key and s.key.startswith("kind:")]     # no box per file
    for key in ("data_preview", "data_confirm", "data_commit"):
        if key == "data_confirm":
            at.button(key=key).click().run()
            continue
        assert at.session_state[key].wait(120)
        at.run()
    assert not at.exception
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT kind, n_inserted FROM uploads ORDER BY upload_id DESC LIMIT 1").fetchone() == (
        "activity", 3)
    con.close()


# --- tracking at scale: only turns with a trigger word are read, with the same results --------------------------
# Forms the tracker folds to a catalog word: case, plurals, -ies, an apostrophe, a digit run beside letters, accents.
TRICKY = ["Our Securities team runs it.", "Both residencies are in the EU.", "We are SOC2 certified.",
          "The tool's audit-trails are kept.", "It PAYS FOR ITSELF in a year.", "Sécurité first, always.",
          "One bill, one platform.", "We talked about the weather.", "Ca va? Tres bien.", "See you on Thursday."]


def calls_of(lines: list[str], start: int = 0) -> str:
    """A call export with three turns (rep, prospect, rep) per call from these lines, in order."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Call ID", "Call Date", "Rep Email", "Title", "Transcript"])
    for i in range(0, len(lines), 3):
        said = [f"{'Ana Lopez' if k % 2 == 0 else 'Sam Carter'}: {t}" for k, t in enumerate(lines[i:i + 3])]
        w.writerow([f"t{start + i}", "2026-02-02 10:00", "ana@x.com", "Call", "\n".join(said)])
    return out.getvalue()


@pytest.fixture
def tracked(fresh_db, tmp_path):
    """A store with the fixture's catalog and calls whose turns are the labelled snippets and the tricky forms."""
    snippets, catalog = tr.fixture()
    catalog.drop(columns="message_id").to_csv(tmp_path / "catalog.csv", index=False)
    ingest_file(fresh_db, "messages", tmp_path / "catalog.csv")
    load(fresh_db, tmp_path, "reps", "reps.csv", "Name,Email,Team\nAna Lopez,ana@x.com,East\n")
    load(fresh_db, tmp_path, "activity", "calls.csv", calls_of(snippets["snippet"].tolist() + TRICKY))
    return fresh_db


def all_mentions(con) -> list:
    return con.execute("SELECT * EXCLUDE (tracker_version) FROM message_mentions ORDER BY ALL").fetchall()


def test_tracking_only_the_turns_with_a_trigger_word_finds_what_reading_every_turn_finds(tracked):
    every = tracking.track_activities(tracked, only_new=False, prefilter=False)
    found = all_mentions(tracked)
    again = tracking.track_activities(tracked, only_new=False)
    assert all_mentions(tracked) == found and again["mentions"] == every["mentions"] > 50
    pattern = tracking.trigger_pattern(tracking.tracker_for(tracked))
    skipped = tracked.execute("""SELECT count(*) FROM activity_turns WHERE strlen(text) = length(text)
                                 AND NOT regexp_matches(lower(replace(text, '''', '')), $p)""", {"p": pattern})
    assert skipped.fetchone()[0] > 20          # the filter did leave turns out


def test_every_turn_the_tracker_scores_holds_a_trigger_word():
    snippets, catalog = tr.fixture()
    tracker = tr.MessageTracker().fit(catalog)
    texts = snippets["snippet"].tolist() + TRICKY
    scored = tracker.score(pd.DataFrame({"activity_id": [str(i) for i in range(len(texts))], "turn_no": 1,
                                         "speaker": None, "speaker_role": "rep", "text": texts}))
    con = db.connect(":memory:")
    passes = con.execute("""SELECT list(strlen(t) <> length(t) OR regexp_matches(lower(replace(t, '''', '')), $p))
                            FROM (SELECT unnest($texts) AS t, generate_subscripts($texts, 1) AS i ORDER BY i)""",
                         {"p": tracking.trigger_pattern(tracker), "texts": texts}).fetchone()[0]
    hit = sorted({int(a) for a in scored["activity_id"]})
    assert [i for i in hit if not passes[i]] == []
    assert {texts[i] for i in hit} >= set(TRICKY[1:5]) and not {texts[i] for i in hit} & set(TRICKY[7:])


def test_the_estimators_are_named_by_their_classes_and_the_command_line_starts_without_them():
    assert {name: cls.name for name, cls in ESTIMATORS.items()} == {name: name for name in ESTIMATORS}
    code = "import sys, analytics.cli; print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
