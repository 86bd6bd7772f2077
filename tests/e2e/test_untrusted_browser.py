"""The real app in headless Chromium on the hostile world: no link, image, heading, bold or request from data."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from hostile_world import EVIL, MESSAGES, NOTE, visible

from .e2e_helpers import shot, wait_idle

pytestmark = pytest.mark.browser

# Every href / src / xlink:href in the document, SVG (Plotly) included.
LINKS_JS = """() => [...document.querySelectorAll('*')].flatMap(e =>
    ['href', 'src', 'xlink:href', 'srcset', 'action'].map(a => e.getAttribute(a)).filter(Boolean))"""
# Text of every element that markup from data would create.
MARKUP_JS = """() => ({
    headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(e => e.textContent),
    emphasis: [...document.querySelectorAll('strong,b,em,i,del')].map(e => e.textContent.trim()),
    katex: document.querySelectorAll('.katex').length,
    colored: document.querySelectorAll('.stMarkdownColoredText,.stMarkdownColoredBackground,.stMarkdownBadge').length,
    lists: document.querySelectorAll('[data-testid="stMarkdownContainer"] :is(ol, li li, blockquote blockquote)').length,
    svg: [...document.querySelectorAll('svg text')].map(e => e.textContent).join('\\n'),
    text: document.body.innerText.replaceAll('\\u2060', ''),
})"""
# Two pages' worth of time: the Overview's attention list and chart, the Field feedback page's alert, quotes and charts
# (every other page is rendered with AppTest in tests/test_untrusted_text.py).
PAGES = {"overview": [], "feedback": [NOTE[:60], *MESSAGES.values()]}
WORDS = ("Alpha", "Bravo", "Charlie", "Delta", "Team ", "Rep ", "Note Text", "Segment", "login")


def test_pages_of_hostile_text_show_it_literally_and_fetch_nothing_else(open_as, hostile_server):
    page = open_as("ops@example.com")
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname) if r.url.startswith(("http", "ws")) else None)
    for key in PAGES:
        page.goto(hostile_server["url"] + "/" + key)
        wait_idle(page, timeout=120_000)
        page.wait_for_timeout(1000)               # images and charts have fetched what they fetch
        shot(page, f"untrusted-{key}")
        check(page, key)
    assert hosts == {"127.0.0.1"}


def check(page, key: str) -> None:
    """Nothing on the page is markup made from data, and the planted values read literally."""
    assert not [link for link in page.evaluate(LINKS_JS) if EVIL in link]
    seen = page.evaluate(MARKUP_JS)
    assert not [h for h in seen["headings"] if any(w in h for w in WORDS)], seen["headings"]
    assert not {"bold", "html", "pwn", "f"} & set(seen["emphasis"])
    assert seen["katex"] == 0 and seen["colored"] == 0
    assert seen["lists"] == 0                       # "1. " / "- " / "> " leads stay text
    for value in PAGES[key]:
        assert visible(value) in seen["text"], visible(value)
    assert any(visible(v) in seen["text"] for v in MESSAGES.values())
    if key != "overview":
        assert "<b>html</b>" in seen["svg"]          # Plotly labels show the markup as text too
