"""Helpers for the browser tests (a module of its own: `conftest` is a name the parent test folder already uses)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script run is over (Streamlit's status widget gone) and no exception is shown."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def close_page_not_found(page) -> None:
    """Close Streamlit's "Page not found" dialog, drawn over a server's first deep link (its legacy pages/ folder
    check runs before app.py routes it; README, "The Overview, on first sight"; tests/e2e/test_bookmarks_browser.py)."""
    if page.get_by_text("Page not found").count():
        page.keyboard.press("Escape")


def open_tab(page, name: str, shows: str, tries: int = 4) -> None:
    """Open the tab `name` and wait until its panel visibly shows the text `shows`: a rerun that redraws the tabs
    can drop a click, or leave the run before's copy of the panel hidden in the page for a moment, so click again
    after the app is idle until the text is visible."""
    target = page.get_by_text(shows).filter(visible=True).first
    for attempt in range(tries):
        wait_idle(page)
        page.get_by_role("tab", name=name).filter(visible=True).first.click()
        try:
            target.wait_for(timeout=20_000)
            return
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
