"""The real app in headless Chromium: ops uploads a Salesforce export, marketing is kept out, downloads are safe."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlparse

import pytest

from analytics.views.scorecard import HEADERS
from .e2e_helpers import open_tab, shot, wait_idle

pytestmark = pytest.mark.browser

N_NEW = 12


def salesforce_export(roster_csv) -> bytes:
    """A 'Details Only' Salesforce report: BOM, every field quoted, US dates, money, footers, one bad row."""
    with open(roster_csv, encoding="utf-8") as fh:
        owners = [row["Name"] for row in csv.DictReader(fh)][:4]
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(["Opportunity Owner", "Account Name", "Opportunity Name", "Type", "Amount", "Close Date",
                "Created Date", "Stage", "Segment"])
    for i in range(N_NEW):
        stage = ("Closed Won", "Closed Lost", "Negotiation")[i % 3]
        account = '=HYPERLINK("http://evil.example","Browser Test Co")' if i == 0 else f"Browser Test Co {i}"
        w.writerow([owners[i % 4], account, f"Browser Test Co {i} - Renewal", "New Business",
                    f"${1000 + i:,}.00", f"11/{(i % 20) + 1}/2026", "10/01/2026", stage, "SMB"])
    w.writerow([owners[0], "=cmd|' /C calc'!A0", "Broken Date Deal", "New Business", "$5.00", "someday",
                "10/01/2026", "Closed Won", "SMB"])
    text = buf.getvalue() + '\n"Browser test report"\n"Grand Totals (13 records)"\n\n' \
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    return "\ufeff".encode() + text.encode("utf-8")


def metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return int(re.sub(r"[^0-9]", "", box.locator('[data-testid="stMetricValue"]').inner_text()))


def scorecard_closed_deals(page, url: str, name: str) -> int | None:
    """Closed deals counted across the scorecard's messages (from its CSV download), or None if not routed."""
    page.goto(url + "/loaded")
    wait_idle(page)
    if page.locator('[data-testid="stSidebarNav"] a[href$="/scorecard"]').count() == 0:
        return None
    page.goto(url + "/scorecard")
    page.get_by_role("heading", name="Message scorecard").wait_for()
    wait_idle(page, timeout=180_000)
    button = page.get_by_role("button", name="Download the scorecard (CSV)")
    button.wait_for(timeout=180_000)
    shot(page, name)
    with page.expect_download() as info:
        button.click()
    with open(info.value.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    adopted, other = HEADERS["closed_deals_adopted"], HEADERS["closed_deals_not_adopted"]   # human headers
    return sum(int(float(r[adopted] or 0)) + int(float(r[other] or 0)) for r in rows)


def rejected_rows_download_is_formula_safe(page) -> None:
    """On the Data page after the upload: its rejected row (a formula in a cell) downloads with the formula
    neutralized, and the Data health tab opens."""
    open_tab(page, "Upload history", "Download rejected rows (CSV)")
    button = page.get_by_role("button", name="Download rejected rows (CSV)").filter(visible=True).first
    shot(page, "05-data-upload-history")
    with page.expect_download() as info:
        button.click()
    text = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert any(c.startswith("'=cmd") for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    open_tab(page, "Data health", "People who match no roster rep")
    shot(page, "06-data-health")


def test_ops_previews_and_confirms_a_salesforce_export_downloads_its_rejected_rows_safely_and_sees_the_counts_change(
        open_as, app_server, demo_world, tmp_path):
    page = open_as("ops@example.com")
    page.goto(app_server["url"] + "/data")
    page.get_by_role("heading", name="Data").wait_for()
    scorecard_before = scorecard_closed_deals(page, app_server["url"], "00-scorecard-before-upload")
    page.goto(app_server["url"] + "/loaded")
    wait_idle(page)
    page.get_by_text("Opportunities").first.wait_for()
    before = metric(page, "Opportunities")
    shot(page, "01-whats-loaded-before-upload")

    export = tmp_path / "salesforce_report.csv"
    export.write_bytes(salesforce_export(demo_world["dir"] / "roster.csv"))
    page.goto(app_server["url"] + "/data")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
    page.get_by_text("Preview: nothing has been written yet").wait_for(timeout=90_000)
    wait_idle(page)
    assert metric(page, "Would insert") == N_NEW
    assert metric(page, "Rejected") == 1
    assert page.get_by_text("salesforce_report", exact=False).count() > 0
    assert page.get_by_text("cannot read 'someday'", exact=False).count() > 0   # the rejected row
    assert page.get_by_text("Close Date: every date is ambiguous; read as M/D/YYYY").count() == 1   # US order
    shot(page, "02-data-upload-preview")

    page.get_by_role("button", name=re.compile("Confirm: load 1 file")).click()
    page.get_by_text(re.compile(r"Upload \d+: salesforce_report.csv loaded")).wait_for(timeout=90_000)
    wait_idle(page)
    shot(page, "03-data-upload-confirmed")
    rejected_rows_download_is_formula_safe(page)

    page.goto(app_server["url"] + "/loaded")
    wait_idle(page)
    page.get_by_text("Opportunities").first.wait_for()
    assert metric(page, "Opportunities") == before + N_NEW
    shot(page, "04-whats-loaded-after-upload")
    scorecard_after = scorecard_closed_deals(page, app_server["url"], "04b-scorecard-after-upload")
    if scorecard_before is not None:       # the scorecard is routed in app.py: its deal counts moved too
        assert scorecard_after > scorecard_before


def test_a_marketing_user_cannot_reach_the_data_page(open_as, app_server):
    page = open_as("mkt@example.com")
    page.goto(app_server["url"] + "/data")          # by URL, possibly the first request since the server started
    page.get_by_text("Signed in as mkt@example.com (marketing)").wait_for()
    wait_idle(page)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.get_by_text("You do not have access to this page").wait_for()     # said, not "Page not found"
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.locator('a[href$="/data"]').count() == 0
    assert nav.count() == 0 or "What's loaded" in nav.inner_text()
    shot(page, "07-marketing-opens-data-url")


def test_without_the_proxy_header_nothing_is_shown(open_as, app_server):
    page = open_as(None)
    page.goto(app_server["url"] + "/data")
    page.get_by_text("No identity reached Huddle").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    shot(page, "08-no-identity")


def test_every_page_opens_without_an_error_and_is_saved_as_a_screenshot(open_as, app_server):
    page = open_as("ops@example.com")
    page.goto(app_server["url"] + "/loaded")
    page.get_by_text("Signed in as ops@example.com (ops)").wait_for()
    wait_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    paths = [urlparse(links.nth(i).get_attribute("href")).path.strip("/") for i in range(links.count())]
    assert "data" in paths and "loaded" in paths
    for i, path in enumerate(paths):
        page.goto(f"{app_server['url']}/{path}")
        page.get_by_text("Signed in as ops@example.com (ops)").wait_for()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        wait_idle(page, timeout=180_000)   # the run that drew the title may still be drawing the rest
        assert page.locator('[data-testid="stMain"] h1').count() >= 1
        shot(page, f"page-{i:02d}-{path or 'home'}")
