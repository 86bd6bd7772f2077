"""Shareable links: the sidebar filters and a page's selected message live in the URL's query parameters.

Read once, on a session's first run (a link someone sent), written on every run, so the address bar always
reproduces the view. Values from a URL are untrusted: only values the widget offers are taken, the rest dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import streamlit as st

# widget key -> query parameter (part of the public URL: add only, never rename)
LISTS = {"f_teams": "team", "f_regions": "region", "f_managers": "manager", "f_segments": "segment",
         "f_messages": "message"}
DATES = ("from", "to")
READ = "_links_read"


def _first_run(flag: str) -> bool:
    """True once per session and flag: the run that opened a link."""
    if st.session_state.get(flag):
        return False
    st.session_state[flag] = True
    return True


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def restore_filters(allowed: dict[str, Iterable[str]], lo: date | None, hi: date | None) -> None:
    """On a session's first run, set the sidebar widgets from the URL (values the widgets offer only)."""
    if not _first_run(READ):
        return
    for key, name in LISTS.items():
        offered = set(allowed.get(key, ()))
        chosen = list(dict.fromkeys(v for v in st.query_params.get_all(name) if v in offered))
        if chosen:
            st.session_state[key] = chosen
    start, end = (_day(st.query_params.get(name)) for name in DATES)
    if lo and hi and start and end and lo <= start <= end <= hi:
        st.session_state["f_dates"] = (start, end)


def publish_filters(default_dates: tuple[date, date] | None) -> None:
    """Write the sidebar's current values into the URL; defaults are left out so a plain link stays plain."""
    for key, name in LISTS.items():
        values = [str(v) for v in st.session_state.get(key) or ()]
        _put(name, values)
    dates = tuple(st.session_state.get("f_dates") or ())
    chosen = len(dates) == 2 and default_dates is not None and dates != tuple(default_dates)
    _put(DATES[0], [dates[0].isoformat()] if chosen else [])
    _put(DATES[1], [dates[1].isoformat()] if chosen else [])


def linked_choice(key: str, name: str, offered: Iterable[str]) -> None:
    """Before a page's selectbox `key`: take its value from the URL parameter `name` on the first run."""
    offered = list(offered)
    if _first_run(f"_links_read_{key}"):
        wanted = st.query_params.get(name)
        if wanted in offered:
            st.session_state[key] = wanted


def publish_choice(key: str, name: str) -> None:
    """After the selectbox `key`: its value into the URL parameter `name`."""
    value = st.session_state.get(key)
    _put(name, [str(value)] if value is not None else [])


def _put(name: str, values: list[str]) -> None:
    if values:
        if st.query_params.get_all(name) != values:
            st.query_params[name] = values
    elif name in st.query_params:
        del st.query_params[name]
