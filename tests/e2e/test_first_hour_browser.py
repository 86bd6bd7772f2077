"""First-hour journeys in headless Chromium: the demo's landing page, marketing reading the scorecard's answer, ops on
a new empty database (first upload, then a corrected re-upload in place), enablement's reinforcement list, and one
page in the light and the dark theme. (A role-refused page saying so: tests/e2e/test_browser.py.)"""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest

from analytics.figures import style
from analytics.views.scorecard import ANSWER_COLUMNS, HEADERS
from .conftest import new_page, serve_app
from .e2e_helpers import close_page_not_found, shot, wait_idle

pytestmark = pytest.mark.browser

# A feedback log whose "Internal note" column is easily mistaken for the notes
FEEDBACK = ("Date,Rep Email,Message,Rating,Notes,Internal note\n"
            "2026-01-05,ann@x.com,Value Prop,4,Loved the ROI story,call back\n"
            "2026-01-06,bo@x.com,Value Prop,2,Pricing pushback,escalate\n"
            "2026-01-07,ann@x.com,Security First,5,CISO nodded,none\n")


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """The app on a database file that does not exist yet (HUDDLE_DB names a new file)."""
    yield from serve_app(None, tmp_path_factory.mktemp("e2e_empty"))


@pytest.fixture
def open_empty(browser, empty_server):
    """open_empty(email, **context options) -> a fresh page on the empty database's server."""
    contexts = []
    yield lambda email, **options: new_page(browser, contexts, email, **options)
    for ctx in contexts:
        ctx.close()


def metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return int(re.sub(r"[^0-9]", "", box.locator('[data-testid="stMetricValue"]').inner_text()))


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (again if a rerun closed the list before the click)."""
    for attempt in range(3):
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=15_000)
            return
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)


def upload(page, path, notes_column: str) -> None:
    """Put the file in the Data page's uploader with its notes read from `notes_column`, up to the preview."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Preview: nothing has been written yet").wait_for(timeout=90_000)
    wait_idle(page)
    page.get_by_text(re.compile(r"^Columns")).first.click()
    choose(page, "notes", notes_column)
    wait_idle(page)
    page.get_by_text("Preview: nothing has been written yet").wait_for(timeout=90_000)
    wait_idle(page)


def confirm(page, file_name: str) -> None:
    page.get_by_role("button", name=re.compile("Confirm: load 1 file")).click()
    page.get_by_text(re.compile(rf"Upload \d+: {re.escape(file_name)} loaded")).wait_for(timeout=90_000)
    wait_idle(page)


def loaded_notes(page, url: str) -> int:
    page.goto(url + "/loaded")
    page.get_by_text("Feedback notes").first.wait_for()
    wait_idle(page)
    return metric(page, "Feedback notes")


def test_the_demo_first_run_says_what_huddle_is_with_readable_tiles(open_as, app_server):
    page = open_as("lead@example.com")
    page.goto(app_server["url"] + "/overview")
    page.get_by_role("heading", name="Overview").wait_for()
    wait_idle(page, timeout=180_000)
    assert page.get_by_text("tells you whether your new sales messaging is adopted", exact=False).count() == 1
    assert page.get_by_text("Tiles compare Q", exact=False).count() == 1          # the last full quarter
    labels = page.locator('[data-testid="stMetricLabel"]')
    assert labels.count() == 5
    for i in range(labels.count()):           # no label is cut off with an ellipsis at 1400 px
        label = labels.nth(i)
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label.inner_text()
    shot(page, "first-hour-overview")
    close_page_not_found(page)
    with page.expect_download(timeout=240_000) as info:        # built on click: the week's lift is fitted then
        page.get_by_role("button", name="Download the digest (HTML)").click()
    with open(info.value.path(), encoding="utf-8") as fh:
        digest = fh.read()
    assert digest.startswith("<!doctype html>") and "<h2>ROI Calculator Talk Track</h2>" in digest


def test_marketing_reads_the_harmful_message_from_the_scorecards_first_columns(open_as, app_server):
    page = open_as("mkt@example.com")
    page.goto(app_server["url"] + "/scorecard")
    page.get_by_role("heading", name="Message scorecard").wait_for()
    wait_idle(page, timeout=180_000)
    shot(page, "first-hour-scorecard")
    button = page.get_by_role("button", name="Download the scorecard (CSV)")
    with page.expect_download() as info:
        button.click()
    with open(info.value.path(), encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames[:len(ANSWER_COLUMNS)] == [HEADERS[c] for c in ANSWER_COLUMNS]
    reading = {r["Message"]: r["Reading"] for r in rows}
    assert reading["ROI Calculator Talk Track"] == "Lowers win rates"
    assert list(reading.values()).count("Lowers win rates") == 1


def test_ops_on_a_new_database_sees_it_empty_until_the_first_upload_and_a_corrected_reupload_updates_in_place(
        open_empty, empty_server, tmp_path):
    url = empty_server["url"]
    page = open_empty("ops@example.com")
    page.goto(url + "/overview")
    page.get_by_text("No data loaded yet").wait_for(timeout=120_000)
    wait_idle(page)
    assert page.get_by_text("Demo data").count() == 0 and page.get_by_text("the demo company").count() == 0
    shot(page, "first-hour-empty-overview")
    page.goto(url + "/loaded")
    page.get_by_text("No data loaded yet").wait_for()
    wait_idle(page)
    assert page.locator('[data-testid="stMetric"]').count() == 0

    log = tmp_path / "field_notes.csv"
    log.write_text(FEEDBACK, encoding="utf-8")
    page.goto(url + "/data")
    page.get_by_role("heading", name="Data").wait_for()
    wait_idle(page)
    upload(page, log, "Internal note")                 # the wrong column first
    assert metric(page, "Would insert") == 3 and metric(page, "Rejected") == 0
    shot(page, "first-hour-empty-first-preview")
    confirm(page, "field_notes.csv")
    assert loaded_notes(page, url) == 3                 # the first upload shows its rows
    shot(page, "first-hour-empty-first-upload-loaded")

    page.goto(url + "/data")
    page.get_by_role("heading", name="Data").wait_for()
    wait_idle(page)
    upload(page, log, "Notes")                         # the same file, its notes column corrected
    assert metric(page, "Would insert") == 0 and metric(page, "Would update") == 3
    page.get_by_text(re.compile(r"Already loaded as upload \d+: with these columns it would update 3 records in "
                                r"place")).wait_for()
    page.get_by_text("What the updates change, for the first records (of 3):").wait_for()   # a sample diff
    shot(page, "first-hour-corrected-reupload-preview")
    confirm(page, "field_notes.csv")
    assert loaded_notes(page, url) == 3                 # updated in place: no duplicates
    shot(page, "first-hour-corrected-reupload-loaded")


def test_the_reinforcement_list_holds_only_due_and_ranked_overdue_rows(open_as, app_server):
    page = open_as("lead@example.com")
    page.goto(app_server["url"] + "/retention")
    page.get_by_role("heading", name="Reinforcement list: due this week, then overdue").wait_for(timeout=180_000)
    wait_idle(page, timeout=180_000)
    shot(page, "first-hour-reinforcement-list")
    close_page_not_found(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the reinforcement list (CSV)").click()
    with open(info.value.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "the demo has reps to reinforce"
    statuses = [r["status"] for r in rows]
    assert set(statuses) <= {"due this week", "overdue"}
    n_due = statuses.count("due this week")
    assert statuses == ["due this week"] * n_due + ["overdue"] * (len(rows) - n_due)     # due first
    days = [int(float(r["days_left"])) for r in rows]
    assert all(0 <= d <= 7 for d in days[:n_due]) and days[:n_due] == sorted(days[:n_due])  # soonest first
    assert all(d < 0 for d in days[n_due:])
    assert all(date.fromisoformat(r["reinforce_by"][:10]).year < date.today().year + 2 for r in rows)

    def stake(r):       # live message, rep in the message's segment, then open pipeline: most at stake first
        return (r["is_message_live"] == "True", r["is_rep_in_scope"] == "True", float(r["open_pipeline"] or 0))
    overdue = [stake(r) for r in rows[n_due:]]
    assert overdue == sorted(overdue, reverse=True)


def trace_colours(page) -> set[str]:
    """Every colour a chart's traces are drawn with on the page (line strokes, marker and bar fills), as #rrggbb."""
    rgb = page.evaluate("""() => [...document.querySelectorAll(
        '.js-plotly-plot .scatterlayer path.js-line, .js-plotly-plot .scatterlayer .point, '
        + '.js-plotly-plot .barlayer .point path')]
        .flatMap(e => [getComputedStyle(e).stroke, getComputedStyle(e).fill])""")
    out = set()
    for value in rgb:
        m = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", value or "")
        if m and (m.group(4) is None or float(m.group(4)) > 0.5):
            out.add("#%02x%02x%02x" % tuple(int(m.group(i)) for i in (1, 2, 3)))
    return out


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_page_in_the_light_and_the_dark_theme_draws_every_trace_legibly(open_as, app_server, theme):
    page = open_as("lead@example.com", color_scheme=theme)      # "System" follows the browser's scheme
    page.goto(app_server["url"] + "/adoption")
    page.locator(".js-plotly-plot").first.wait_for(timeout=180_000)
    wait_idle(page, timeout=180_000)
    page.wait_for_function("""() => !document.querySelector('[data-testid="stSkeleton"]') && document.querySelector(
        '[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'""", timeout=180_000)
    background = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    assert background == "rgb(%d, %d, %d)" % tuple(int(style.BACKGROUNDS[theme][i:i + 2], 16) for i in (1, 3, 5))
    colours = trace_colours(page)
    assert len(colours & set(style.PALETTE)) >= 2                      # the message colours are what is drawn
    lum = [style.contrast(c, style.BACKGROUNDS[theme]) for c in colours if c in style.PALETTE]
    assert min(lum) >= style.CONTRAST_FLOOR
    close_page_not_found(page)
    page.get_by_text("Page not found").wait_for(state="hidden")
    shot(page, f"theme-{theme}-adoption")
