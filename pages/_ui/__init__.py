"""Shared page furniture: page_context (every page's preamble), the signed-in user, sidebar filters, formatting.

A package rather than pages/_ui.py: Streamlit's legacy multipage scan would list a top-level pages/_ui.py as a page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import streamlit as st

from analytics import auth, cache, db, refresh_worker, settings
from analytics.figures.style import message_colors
from analytics.filters import Filters, options
from analytics.ingest.loaded import is_empty
from analytics.metrics.periods import Period, default_period, period_of
from analytics.views.queries import message_names
from pages import PAGES
from pages._ui import _links
from pages._ui._markdown import md, md_join

ACCESS_DENIED = "You do not have access to this page."
FILTER_KEYS = ("f_dates", "f_teams", "f_regions", "f_managers", "f_segments", "f_messages")


@dataclass
class PageContext:
    """What a page starts from: who is looking, the sidebar filters and the dates they imply."""

    user: auth.User
    filters: Filters
    today: date
    first_day: date | None = None   # the data's first date (the sidebar's earliest choice)
    dates_chosen: bool = False      # the sidebar dates differ from their default (the whole data range)

    @cached_property
    def period(self) -> Period:
        """The sidebar dates, ending no later than today; .previous() is the period just before."""
        return period_of(self.filters, self.today)

    @cached_property
    def landing_period(self) -> Period:
        """The Overview's period: the sidebar dates if chosen, else the last full quarter the data covers."""
        if self.dates_chosen:
            return self.period
        return default_period(self.today, self.first_day) or self.period

    @property
    def as_of(self) -> date:
        """The end of the selected period: figures are 'as of' this date."""
        return self.period.end

    @cached_property
    def colors(self) -> dict:
        """One color per message, the same on every page."""
        return message_colors(cache.run(message_names))


def page_context(key: str) -> PageContext:
    """The top of every page: refuse a role that may not open it, title, first-run state, sidebar filters."""
    spec = PAGES[key]
    user = current_user()
    if not auth.can_open(user, key):
        st.error(ACCESS_DENIED)
        st.stop()
    st.title(spec.title)
    if spec.intro:
        st.markdown(spec.intro)
    demo_banner()
    refresh_notice()
    if spec.needs_data:
        require_data()
    filters = sidebar_filters(user) if spec.filters else Filters()
    lo, hi = cache.run(options)["date_range"] if spec.filters else (None, None)
    chosen = bool(lo and hi) and tuple(st.session_state.get("f_dates", ())) != default_dates(lo, hi, date.today())
    return PageContext(user=user, filters=filters, today=date.today(), first_day=lo, dates_chosen=chosen)


def current_user() -> auth.User:
    """The user from OIDC (st.user), a trusted proxy header, or local single-user mode."""
    oidc_email = None
    try:
        if st.user.is_logged_in:
            oidc_email = st.user.get("email")
    except Exception:
        oidc_email = None
    header_name = os.environ.get(settings.TRUSTED_HEADER_ENV)
    header_email = None
    if header_name:
        try:
            header_email = st.context.headers.get(header_name)
        except Exception:
            header_email = None
    try:
        secrets = dict(st.secrets)
    except Exception:
        secrets = {}
    return auth.resolve_user(oidc_email, header_email, auth.role_config(secrets))


DEMO_BANNER = (":orange-badge[:material/science: Demo data] You are looking at **the demo company**, made-up data "
               "for trying Huddle out, not your team's. To work with your own exports, start Huddle on a database of "
               "your own (README, \"Your own data\"); it stays empty until you upload.")


def demo_banner() -> None:
    """Say plainly, on every page, when the figures are the demo company's."""
    try:
        demo = cache.run(db.is_demo)
    except db.DatabaseBusy:     # the page itself says the database is busy; the banner waits for the next run
        return
    if demo:
        st.markdown(DEMO_BANNER)


REFRESHING = ("The precomputed default view is being refreshed after the latest upload; meanwhile figures are "
              "computed from the committed data, so a first view may take a little longer.")
REFRESH_FAILED = ("The precomputed default view could not be refreshed for the latest data (the upload itself is "
                  "saved); pages compute on demand instead, which makes first views slower. The next upload tries "
                  "again, or run `python -m analytics.refresh_worker`.")


def refresh_notice() -> None:
    """While the default view is refreshed after an upload, say so: pages still answer from the committed data."""
    status = refresh_state()
    if status and status["state"] in ("refreshing", "pending"):
        st.caption(f":material/sync: {REFRESHING}")


def refresh_state() -> dict | None:
    """The default view's refresh status, or None while another process is committing (pages say so and retry)."""
    try:
        return cache.run(refresh_worker.refresh_status)
    except db.DatabaseBusy:
        return None


def retry_soon(seconds: float = 2.0) -> None:
    """After a busy moment (another process is committing): run the whole page again by itself shortly."""
    @st.fragment(run_every=seconds)
    def _retry():
        if st.session_state.pop("_busy_retry", False):
            st.rerun(scope="app")
        st.session_state["_busy_retry"] = True
    _retry()


PENDING = "Working this out for the selection"


def after_paint(token, draw, what: str) -> None:
    """draw() now if this session drew it for `token` before, else right after the page's run, in a fragment with a
    spinner: a filter change shows the cheap figures at once and the slow part (a refit) when it is ready."""
    done = st.session_state.setdefault("_after_paint_done", set())
    if token in done:
        draw()
        return
    armed = st.session_state.setdefault("_after_paint_armed", set())
    armed.discard(token)                    # the page's run only shows the notice; the fragment's next tick draws

    @st.fragment(run_every=0.2)
    def _later():
        if token in armed:
            with st.spinner(f"{PENDING}: {what}..."):
                draw()
            done.add(token)
            st.rerun(scope="app")           # the next run draws it inline (cached) and so stops this timer
        armed.add(token)
        st.caption(f":material/hourglass_top: {PENDING}: {what}...")
    _later()


def require_data() -> None:
    """The friendly first-run state: explain how to load data instead of failing."""
    if cache.run(is_empty):
        st.info("No data loaded yet. Upload CRM exports, quiz results, feedback logs, the message catalog and the "
                "roster on the **Data** page, or from the command line: `python -m analytics ingest crm FILE`. "
                "To look around first, `make run` with no database configured opens a demo company in a file "
                "of its own.")
        st.stop()


def sidebar_filters(user: auth.User | None = None) -> Filters:
    """The shared filters; widget keys live in session state so they survive page switches."""
    opts = cache.run(options)
    lo, hi = opts["date_range"]
    names = dict(opts["messages"])
    today_range = default_dates(lo, hi, date.today()) if lo and hi else None
    # A shared link (the URL's query parameters) sets the filters on a session's first run.
    _links.restore_filters({"f_teams": opts["teams"], "f_regions": opts["regions"], "f_managers": opts["managers"],
                            "f_segments": opts["segments"], "f_messages": list(names)},
                           lo, today_range[1] if today_range else None)
    # Streamlit forgets a widget's value when a page without it runs; re-assigning keeps it across page switches.
    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    with st.sidebar:
        st.caption("Filters apply to every page")
        dates = None
        if lo and hi:
            # Figures are what is known today: the widget offers no day after it.
            st.session_state.setdefault("f_dates", today_range)
            dates = st.date_input("Date range", min_value=lo, max_value=max(lo, min(hi, date.today())),
                                  key="f_dates", help="Every page counts what happened in these dates. Left at "
                                  "the whole range, the Overview compares the last full quarter with the one "
                                  "before.")
        teams = st.multiselect("Team", opts["teams"], key="f_teams")
        regions = st.multiselect("Region", opts["regions"], key="f_regions")
        managers = st.multiselect("Manager", opts["managers"], key="f_managers")
        segments = st.multiselect("Segment", opts["segments"], key="f_segments")
        msgs = st.multiselect("Message", list(names), format_func=lambda m: names.get(m, m), key="f_messages")
    _links.publish_filters(today_range)
    start = end = None
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        start, end = dates
    elif isinstance(dates, date):
        start = dates
    rep_ids = None
    if user is not None and user.role == "manager":
        rep_ids = cache.run(auth.visible_rep_ids, user)
    return Filters(start=start, end=end, teams=tuple(teams), regions=tuple(regions), managers=tuple(managers),
                   segments=tuple(segments), messages=tuple(msgs), rep_ids=rep_ids)


def default_dates(lo: date, hi: date, today: date) -> tuple[date, date]:
    """The sidebar's first dates: the data's whole range, up to today."""
    return lo, max(lo, min(hi, today))


def hr_note() -> None:
    """The note shown next to every rep-level figure."""
    st.info(settings.HR_NOTE, icon=":material/info:")


def pct(x) -> str:
    return "–" if x is None or x != x else f"{x:.0%}"


def pp(x) -> str:
    return "–" if x is None or x != x else f"{x:+.1f} pp"
