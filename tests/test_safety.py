"""Safety: formula-safe CSV downloads, hostile uploads, values that look like SQL, and the upload limits."""

from __future__ import annotations

import csv
import gzip
import io
import os
import tomllib
import zipfile

import pandas as pd
import pytest
from conftest import ROOT, snapshot

from analytics import auth, db, upload_jobs
from analytics.ingest import health
from analytics.ingest.errors import IngestError
from analytics.ingest.load import ingest_file
from analytics.safe_csv import DANGEROUS, neutralize, write_csv
from analytics.settings import max_upload_bytes

HOSTILE = "Robert'); DROP TABLE opportunities;--"
ROSTER = "Name,Email,Team,Region,Manager\nAnn Lee,ann@acme.com,East,NA,Rachel Adams\n"
CRM = "Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n1,Ann Lee,Closed Won,2025-01-02,10\n"


def cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_every_formula_prefix_is_neutralized_in_cells_and_headers(prefix):
    df = pd.DataFrame({prefix + "SUM(A1)": [prefix + "cmd|' /C calc'!A0", "plain", None]})
    out = cells(write_csv(df))
    assert out[0] == "'" + prefix + "SUM(A1)" and out[1] == "'" + prefix + "cmd|' /C calc'!A0"
    assert not any(c.startswith(DANGEROUS) for c in out)


def test_numbers_dates_and_booleans_stay_as_they_are():
    df = pd.DataFrame({"n": [-5, 3], "x": [-1.5, 2.0], "ok": [True, False],
                       "d": pd.to_datetime(["2025-01-02", "2025-03-04"])})
    assert write_csv(df).splitlines()[1:] == ['-5,-1.5,True,"2025-01-02"', '3,2.0,False,"2025-03-04"']


@pytest.mark.parametrize("inside", ["\r", "\n", "\r\n"])
def test_a_line_break_inside_a_cell_cannot_start_a_row_with_a_formula(inside):
    text = write_csv(pd.DataFrame({"note": [f"fine{inside}=HYPERLINK(\"http://evil\")", "next"]}))
    assert cells(text) == ["note", f"fine{inside}=HYPERLINK(\"http://evil\")", "next"]
    assert f'"fine{inside}=' in text


@pytest.mark.parametrize("dtype", ["object", "string", "category"])
def test_text_columns_of_every_pandas_dtype_are_neutralized(dtype):
    df = pd.DataFrame({"account": pd.Series(["=HYPERLINK(\"http://evil\")", "@SUM(1)", "ok"], dtype=dtype)})
    out = cells(write_csv(df))
    assert out == ["account", "'=HYPERLINK(\"http://evil\")", "'@SUM(1)", "ok"]


def test_neutralize_leaves_safe_values_and_non_text_alone():
    assert neutralize("Acme") == "Acme" and neutralize(-3) == -3 and neutralize(None) is None
    assert neutralize("\tx") == "'\tx" and neutralize("\rx") == "'\rx"


@pytest.fixture
def loaded(tmp_path):
    """A database with a roster and one deal, and a writer for test files."""
    con = db.connect(tmp_path / "h.duckdb")
    for kind, name, text in (("reps", "r.csv", ROSTER), ("crm", "c.csv", CRM)):
        (tmp_path / name).write_text(text)
        ingest_file(con, kind, tmp_path / name)
    yield con, tmp_path
    con.close()


def _hostile_files(tmp_path):
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("deals.csv", CRM)
    files = {
        "binary.csv": bytes(range(256)) * 64,
        "archive.csv": zbuf.getvalue(),
        "archive.csv.gz": gzip.compress(CRM.encode()),
        "one_line.csv": b"A" * (100 << 20),
        "empty.csv": b"",
        "report.pdf": b"%PDF-1.7\n" + os.urandom(2048),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("name", ["binary.csv", "archive.csv", "archive.csv.gz", "one_line.csv", "empty.csv",
                                  "report.pdf"])
def test_a_hostile_file_gets_a_clear_error_and_changes_nothing(loaded, name):
    con, tmp_path = loaded
    path = _hostile_files(tmp_path)[name]
    before = snapshot(con)
    for kind in ("crm", "quiz", "reps"):
        with pytest.raises(IngestError):
            ingest_file(con, kind, path)
    with pytest.raises(IngestError):
        upload_jobs.sniff(path)
    assert snapshot(con) == before


def test_a_record_longer_than_a_line_may_be_is_refused_not_dropped(loaded):
    # DuckDB 2.0.1 drops a record over ~64 MB without a reject, so such a file must be refused before reading.
    con, tmp_path = loaded
    path = tmp_path / "huge_field.csv"
    with path.open("wb") as fh:
        fh.write(CRM.encode() + b"2,")
        fh.write(b"B" * (80 << 20))
        fh.write(b",Closed Won,2025-01-01\n3,Ann Lee,Closed Lost,2025-01-02,1\n")
    before = snapshot(con)
    with pytest.raises(IngestError, match=r"line 3 is \d+ MB long"):
        upload_jobs.sniff(path)
    with pytest.raises(IngestError, match=r"line 3 is \d+ MB long"):
        ingest_file(con, "crm", path)
    assert snapshot(con) == before


def test_values_that_look_like_sql_are_stored_as_text_and_nothing_else_changes(loaded):
    con, tmp_path = loaded
    n_before = con.execute("SELECT count(*) FROM opportunities").fetchone()[0]
    text = (f'"Opportunity ID","Opportunity Owner","Stage","Close Date","Amount","{HOSTILE}"\n'
            f'"{HOSTILE}","{HOSTILE}","{HOSTILE}","2025-01-03","5","{HOSTILE}"\n')
    path = tmp_path / "hostile.csv"
    path.write_text(text)
    r = ingest_file(con, "crm", path, file_name=HOSTILE + ".csv", uploaded_by=HOSTILE,
                    stage_map={HOSTILE: "won"}, column_map={"product": HOSTILE})
    assert r.rows_inserted == 1
    row = con.execute("SELECT opportunity_id, owner_name, stage, outcome, product FROM opportunities "
                      "WHERE owner_name = $h", {"h": HOSTILE}).fetchone()
    assert row == (f"salesforce_report:{HOSTILE}", HOSTILE, HOSTILE, "won", HOSTILE)
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == n_before + 1
    assert con.execute("SELECT file_name, uploaded_by FROM uploads ORDER BY upload_id DESC LIMIT 1"
                       ).fetchone() == (HOSTILE + ".csv", HOSTILE)
    # The person it created can be inspected and linked without any of it reaching SQL text.
    people = health.unmatched_people(con)
    assert HOSTILE in set(people["name"])
    rep = con.execute("SELECT rep_id FROM reps WHERE in_roster").fetchone()[0]
    hostile_id = people.loc[people["name"] == HOSTILE, "rep_id"].iloc[0]
    health.link_person(con, hostile_id, rep, uploaded_by=HOSTILE)
    assert con.execute("SELECT count(DISTINCT rep_id) FROM opportunities").fetchone()[0] == 1


def test_hostile_identities_and_manager_names_are_bound_not_formatted(loaded, monkeypatch):
    con, _ = loaded
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    user = auth.resolve_user(None, HOSTILE, {HOSTILE.lower(): "manager:" + HOSTILE})
    assert user.role == "manager" and auth.visible_rep_ids(con, user) == ()
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 1


def test_hostile_file_names_are_never_used_as_paths(tmp_path):
    path = upload_jobs.save_upload(CRM.encode(), tmp_path / "uploads")
    assert path.parent == tmp_path / "uploads" and path.suffix == ".upload"
    assert list((tmp_path / "uploads").iterdir()) == [path]


def test_the_browser_upload_limit_and_safe_exports_are_configured():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 0 < config["server"]["maxUploadSize"] <= max_upload_bytes() >> 20
    # st.dataframe's own CSV export does not neutralize formulas, so it is switched off.
    assert config["client"]["disableDataExport"] is True
