"""The registries of upload kinds and export formats, and the one transaction helper they load through."""

from __future__ import annotations

import duckdb
import pytest

from analytics import db
from analytics.ingest import formats
from analytics.ingest.columns import match_columns
from analytics.ingest.formats import Format
from analytics.ingest.kinds import KINDS, UPLOAD_KINDS, kind_of_file
from analytics.ingest.kinds.crm import Crm
from analytics.ingest.load import ingest_file

# Header rows as the tools write them (see FORMATS.md), and the format each must be recognized as.
EXPORTS = [
    ("crm", "Opportunity Owner,Account Name,Opportunity Name,Type,Lead Source,Amount,Close Date,Created Date,Stage,"
            "Probability (%),Fiscal Period,Age,Next Step,Owner Role,Forecast Category", "salesforce_report"),
    ("crm", "Id,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon,OwnerId,CurrencyIsoCode,Type",
     "salesforce_dataloader"),
    ("crm", "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,Create Date,Deal Type", "hubspot"),
    ("crm", "Deal - Title,Deal - Value,Deal - Currency,Deal - Status,Deal - Owner,Deal - Won time,Deal - Lost time",
     "pipedrive"),
    ("crm", "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value", "generic"),
    ("crm_users", "Id,Name,Email", "salesforce_users"),
    ("quiz", "First name,Last name,Email address,Quiz,Started on,Completed,Grade/10.00", "moodle"),
    ("quiz", "Timestamp,Email Address,Score,Module", "google_forms"),
    ("quiz", "Email,Module,Date,Score", "lms"),
    ("feedback", "Date,Rep,Message,Rating,Outcome,Notes", "feedback_log"),
    ("messages", "Message,Launch Date,Target Segment", "message_catalog"),
    ("reps", "Name,Email,Team", "roster"),
]


@pytest.mark.parametrize("kind, header, expected", EXPORTS, ids=[e[2] for e in EXPORTS])
def test_each_export_format_is_recognized_from_its_own_headers(kind, header, expected):
    assert formats.detect(kind, header.split(",")).name == expected


def test_a_salesforce_user_export_uploaded_as_crm_is_read_as_crm_users_unless_columns_are_mapped():
    headers = ["Id", "Name", "Email"]
    assert kind_of_file("crm", headers).name == "crm_users"
    assert kind_of_file("crm", headers, {"owner_name": "Name"}).name == "crm"
    assert kind_of_file("crm", ["Id", "Name", "Email", "StageName"]).name == "crm"


class Zoho(Format):
    name = "zoho"
    kind = "crm"
    label = "Zoho CRM deals export"
    synonyms = {"owner_name": ("dealownername", "owner"), "close_date": ("closingdate",)}

    def detect(self, headers):
        return "closingdate" in formats.headers.normalized_set(headers)


def test_a_new_format_is_one_object_and_cannot_change_how_known_exports_are_read(monkeypatch):
    known = [h.split(",") for k, h, _ in EXPORTS if k == "crm"]
    before = [match_columns("crm", h) for h in known]
    monkeypatch.setitem(formats.FORMATS, "zoho", Zoho())
    monkeypatch.setitem(KINDS, "crm", Crm())          # spellings are merged once per kind object
    zoho = ["Deal Name", "Deal Owner Name", "Stage", "Closing Date", "Amount"]
    assert formats.detect("crm", zoho).name == "zoho"
    assert match_columns("crm", zoho) == {"opportunity_name": 0, "owner_name": 1, "stage": 2, "close_date": 3,
                                          "amount": 4}
    assert [match_columns("crm", h) for h in known] == before
    assert KINDS["crm"].spellings["owner_name"].index("owner") < KINDS["crm"].spellings["owner_name"].index(
        "dealownername")


def test_every_kind_names_tables_and_columns_that_exist_in_the_schema(fresh_db):
    for kind in KINDS.values():
        fresh_db.execute(f"SELECT upload_id, {kind.key}, row_hash, line_number, {', '.join(kind.columns)} "
                         f"FROM {kind.versions} LIMIT 0")
        if kind.fact:
            message = "" if kind.fact.message == "NULL" else "message_id, "     # activities name no message
            fresh_db.execute(f"SELECT {kind.key}, rep_id, {message}{kind.fact.email}, {kind.fact.name}, "
                             f"{kind.fact.message} FROM {kind.fact.table} LIMIT 0")
            for d in kind.fact.derived:
                fresh_db.execute(f"SELECT {kind.key} FROM {d} LIMIT 0")
        assert set(kind.date_fields) <= set(kind.spellings)
        assert {f for group in kind.required for f in group} <= set(kind.spellings)


def test_every_upload_kind_has_a_label_a_load_order_and_a_staleness_limit():
    assert UPLOAD_KINDS == ("crm", "quiz", "feedback", "messages", "reps", "activity")
    for name in UPLOAD_KINDS:
        kind = KINDS[name]
        assert kind.label and kind.stale_after_days > 0
    order = sorted(UPLOAD_KINDS, key=lambda k: KINDS[k].load_order)
    assert order[:2] == ["messages", "reps"]
    assert order.index("activity") > order.index("crm")      # activities name deals: CRM exports load first


def test_an_error_inside_atomic_rolls_everything_back_and_is_raised_again(fresh_db):
    fresh_db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError):
        with db.atomic(fresh_db):
            fresh_db.execute("INSERT INTO t VALUES (1)")
            1 / 0
    assert fresh_db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with db.atomic(fresh_db):                          # the connection is usable again
        fresh_db.execute("INSERT INTO t VALUES (2)")
    assert fresh_db.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_a_nested_atomic_block_joins_the_outer_transaction(fresh_db):
    fresh_db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.ConstraintException):
        with db.atomic(fresh_db):
            fresh_db.execute("INSERT INTO t VALUES (1)")
            with db.atomic(fresh_db):
                fresh_db.execute("INSERT INTO t VALUES (2)")
            fresh_db.execute("INSERT INTO t VALUES (1)")
    assert fresh_db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with db.atomic(fresh_db):
        with db.atomic(fresh_db):
            fresh_db.execute("INSERT INTO t VALUES (3)")
    assert fresh_db.execute("SELECT x FROM t").fetchall() == [(3,)]


def test_a_preview_writes_nothing_and_cannot_hide_inside_another_transaction(fresh_db, write):
    path = write("deals.csv", "opportunity_id,sales_agent,deal_stage,close_date\nA,Ann Lee,Won,2026-01-05\n")
    preview = ingest_file(fresh_db, "crm", path, dry_run=True)
    assert preview.rows_inserted == 1 and preview.upload_id is None
    assert fresh_db.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    with pytest.raises(RuntimeError, match="preview"):
        with db.atomic(fresh_db):
            ingest_file(fresh_db, "crm", path, dry_run=True)
