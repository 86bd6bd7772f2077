"""Helpers for the browser tests (a module of its own: `conftest` is a name the parent test folder already uses)."""

from __future__ import annotations

from pathlib import Path

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
