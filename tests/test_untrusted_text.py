"""Uploaded text is data, never markup: every page, figure, download and CLI output of a world whose every free-text
field is hostile shows the text literally, and nothing from the data becomes a link, image, heading or escape."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest
from conftest import ROOT
from hostile_world import ANSI, MESSAGES, NOTE, UNESCAPED, visible
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from analytics import cli, db
from analytics.figures.style import plain
from analytics.safe_csv import cell, strip_controls, terminal_text
from pages import PAGES
from pages._ui import md

# Element types whose text Streamlit renders as markdown (their `body`), and the fields of widgets and metrics that do.
MARKDOWN_BODIES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                   "toast"}
# What a terminal could act on: C0 controls except tab and line feed (CR only inside CRLF), DEL and C1 controls.
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


# ------------------------------------------------------------------ the helpers

@pytest.mark.parametrize("char", list("\\`*{}[]()#+-!|<>~$:&=\"'/%?@^,;"))
def test_every_ascii_punctuation_character_is_escaped(char):
    assert md(f"a{char}b").replace("\u2060", "") == f"a\\{char}b"


def test_an_underscore_inside_a_word_and_a_dot_that_starts_no_list_stay_readable():
    assert md("new_deals.csv v1.2") == "new_deals.csv v1.2"
    assert md("__pwn__ _x x_") == "\\_\\_pwn\\_\\_ \\_x x\\_"
    assert md("1. item") == "1\\. item" and md("123456789. item") == "123456789\\. item"


def test_streamlit_text_rewrites_are_broken_by_an_invisible_joiner():
    shown = md(":smile: :streamlit: :material/warning: http://evil.example www.evil.example a@evil.example -> <= ~=")
    assert ":material/" not in shown and "://" not in shown.replace("\\", "")
    for trigger in (":smile", ":streamlit", "http:/", "www.", "@evil", "->", "<=", "~="):
        assert trigger not in shown.replace("\\", ""), trigger
    assert shown.replace("\\", "").replace("\u2060", "") == (":smile: :streamlit: :material/warning: "
                                                             "http://evil.example www.evil.example a@evil.example "
                                                             "-> <= ~=")


def test_line_breaks_and_control_characters_cannot_leave_the_line():
    assert md("a\n# b\r\n\n    c\x1b[31md\x07") == "a \\# b cd"
    assert md(None) == "" and md(3) == "3"


def test_plotly_text_is_html_escaped_and_control_free():
    assert plain('<a href="http://x">y</a><br>&amp;\x1b[31m') == '&lt;a href="http://x"&gt;y&lt;/a&gt;&lt;br&gt;&amp;amp;'
    assert plain(None) == "" and plain(float("nan")) == ""


def test_csv_cells_lose_escape_sequences_but_keep_line_breaks_and_the_formula_guard():
    assert cell("\x1b]2;pwned\x07\x1b[31m=SUM(A1)\x1b[0m") == "'=SUM(A1)"
    assert cell("line\r\nnext\tcol\x00\x7f\x85\x9b") == "line\r\nnext\tcol"
    assert strip_controls(7) == 7 and terminal_text("a\rb\r\n") == "ab\r\n"


# ------------------------------------------------------------------ the database keeps the exact text

def test_the_database_keeps_every_payload_exactly(hostile):
    con = db.connect(hostile["db"], read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT message_name FROM messages").fetchall()}
        teams = {r[0] for r in con.execute("SELECT DISTINCT team FROM reps").fetchall()}
        notes = {r[0] for r in con.execute("SELECT notes FROM feedback").fetchall()}
        files = {r[0] for r in con.execute("SELECT file_name FROM uploads").fetchall()}
    finally:
        con.close()
    assert set(MESSAGES.values()) <= names and set(hostile["values"]["team"]) == teams
    assert NOTE in notes and set(hostile["values"]["file"]) <= files
    assert all(ANSI in v for v in MESSAGES.values())


# ------------------------------------------------------------------ every page in AppTest

def texts(node, out: list[str]) -> list[str]:
    """Every text of the tree that Streamlit renders as markdown (bodies, labels, help, table cells)."""
    if isinstance(node, Block):
        if getattr(node, "label", None):
            out.append(node.label)
        for child in node.children.values():
            texts(child, out)
        return out
    proto = getattr(node, "proto", None)
    if node.type in MARKDOWN_BODIES:
        out.append(proto.body)
    elif node.type == "metric":
        out += [proto.label, proto.body, proto.delta, proto.help]
    elif node.type == "table":
        frame = node.value
        out += [str(v) for v in frame.to_numpy().ravel()] + [str(c) for c in frame.columns]
    elif proto is not None and hasattr(proto, "label"):
        out += [proto.label, getattr(proto, "help", "")]
    return out


def figure_strings(at) -> list[str]:
    """Every string inside the page's Plotly figures but legend group ids (never displayed)."""
    found: list[str] = []

    def walk(x):
        if isinstance(x, str):
            found.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                if k != "legendgroup":
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


def render(key: str, monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("HUDDLE_DB", str(db_path))
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "1")
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / PAGES[key].script), default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module")
def hostile_copy(hostile, tmp_path_factory):
    """One private copy of the hostile database for this module's page renders."""
    target = tmp_path_factory.mktemp("untrusted") / "hostile.duckdb"
    shutil.copy(hostile["db"], target)
    return target


# Per page: planted values whose escaped form must be on it (quotes are shortened by the page: a note's start).
EXPECTED = {"overview": [], "adoption": [], "retention": list(MESSAGES.values()), "scorecard": list(MESSAGES.values()),
            "impact": list(MESSAGES.values()), "feedback": [NOTE[:60]], "loaded": [], "data": [], "field": []}


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_shows_hostile_text_literally_and_makes_no_markup_from_it(key, hostile_copy, monkeypatch):
    at = render(key, monkeypatch, hostile_copy)
    shown = texts(at.main, []) + texts(at.sidebar, [])
    leaked = [t for t in shown if UNESCAPED.search(t)]
    assert not leaked, leaked[:3]
    body = "\n".join(shown)
    for value in EXPECTED[key]:
        assert md(value) in body, value
    strings = figure_strings(at)
    assert not [s for s in strings if "<b>html" in s or "<img" in s or "<a " in s or "\x1b" in s]
    if strings and key not in ("loaded", "data"):
        assert any(plain(v) in s for s in strings for v in MESSAGES.values())


def test_the_adoption_drill_down_titles_are_escaped(hostile_copy, hostile, monkeypatch):
    at = render("adoption", monkeypatch, hostile_copy)
    team = sorted(hostile["values"]["team"])[0]
    at.selectbox(key="adoption_group_team").set_value(team).run()
    assert any(m.value.startswith(f"**Reps of {md(team)}**") for m in at.markdown)
    at.selectbox(key="adoption_rep").select_index(0).run()
    assert not at.exception
    heading = at.subheader[-1].value
    assert heading in {md(r) for r in hostile["values"]["rep"]} and not UNESCAPED.search(heading)


def test_downloads_keep_the_text_but_lose_escape_sequences_and_formulas(hostile_copy, monkeypatch, downloads):
    at = render("scorecard", monkeypatch, hostile_copy)
    text = downloads(at.get("download_button")[0])
    assert not TERMINAL_CONTROLS.search(text.replace("\r\n", "\n"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Message"] for r in rows} == {cell(v) for v in MESSAGES.values()}
    assert any(r["Message"].startswith("'=HYPERLINK(") for r in rows)


# ------------------------------------------------------------------ the command line

@pytest.fixture(scope="module")
def cli_db(hostile, tmp_path_factory):
    target = tmp_path_factory.mktemp("untrusted_cli") / "hostile.duckdb"
    shutil.copy(hostile["db"], target)
    return target


CLI_RUNS = [["uploads"], ["uploads", "--json"], ["reps"], ["reps", "--json"], ["report"], ["report", "--json"],
            ["forecast", "--on", "2026-01-05"], ["forecast", "--on", "2026-01-05", "--format", "json"]]


@pytest.mark.parametrize("argv", CLI_RUNS, ids=" ".join)
def test_the_command_line_prints_no_control_characters(argv, cli_db, capsys, monkeypatch):
    monkeypatch.delenv("HUDDLE_STORE", raising=False)
    assert cli.main([*argv, "--db", str(cli_db)]) == 0
    out, err = capsys.readouterr()
    assert not TERMINAL_CONTROLS.search(out + err), repr(TERMINAL_CONTROLS.search(out + err))
    assert "Alpha Message" in out or "Rep 1" in out or "Uploader Name" in out


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_ingesting_a_hostile_file_prints_no_control_characters(as_json, hostile, cli_db, capsys, monkeypatch,
                                                                tmp_path):
    monkeypatch.delenv("HUDDLE_STORE", raising=False)
    source = next(p for p in hostile["dir"].iterdir() if p.name.endswith("field_feedback.csv"))
    target = tmp_path / ("\x1b]2;pwned\x07" + source.name)
    target.write_bytes(source.read_bytes().replace(b"Neutral", b"\x1b[31mNeutral\x1b[0m\r"))
    argv = ["ingest", "feedback", str(target), "--db", str(cli_db), "--dry-run",
            "--user", "\x1b]2;pwned\x07ops"] + (["--json"] if as_json else [])
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert not TERMINAL_CONTROLS.search(out + err), repr(TERMINAL_CONTROLS.search(out + err))
    assert "field_feedback.csv" in out


def test_visible_text_is_the_value_without_its_escapes():
    assert visible(MESSAGES["Security-First Value Prop"]).startswith("# Alpha Message [login alpha-message]")
    assert visible(ANSI + "x\n y") == "x y"
