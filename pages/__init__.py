"""The dashboard's pages, one entry each: URL, script, title, icon, section, and what its common preamble needs.

Page scripts sit one folder down (pages/<section>/) and nothing but this file is a top-level pages/*.py: until
st.navigation is first called, Streamlit runs a `pages/` folder beside app.py in its legacy multipage mode, which
lists every top-level pages/*.py except `__init__.py` (names starting with `_` included) as a page that opens
without app.py's identity gate. With none to list, a first deep link runs app.py, which routes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page: `key` is its URL path and the name analytics.auth.can_open knows it by."""

    key: str
    script: str                 # relative to the repository root (app.py's folder)
    title: str
    icon: str
    needs_data: bool = True     # an empty database shows how to load data instead of the page
    filters: bool = True        # the shared sidebar filters apply
    intro: str = ""             # shown under the title, before anything else (also on an empty database)


SECTIONS: dict[str, tuple[PageSpec, ...]] = {
    "Leadership": (
        PageSpec("overview", "pages/leadership/overview.py", "Overview", ":material/dashboard:",
                 intro="**Huddle** tells you whether your new sales messaging is adopted by reps, sticks in their "
                       "memory and wins deals. Start with the messages that need attention below, then open the "
                       "**Message scorecard** to compare every message."),
        PageSpec("adoption", "pages/leadership/adoption.py", "Adoption", ":material/school:"),
    ),
    "Enablement": (
        PageSpec("retention", "pages/enablement/retention.py", "Retention", ":material/psychology:"),
    ),
    "Marketing": (
        PageSpec("scorecard", "pages/marketing/scorecard.py", "Message scorecard", ":material/leaderboard:"),
        PageSpec("impact", "pages/marketing/impact.py", "Win-rate impact", ":material/trending_up:"),
        PageSpec("feedback", "pages/marketing/feedback.py", "Field feedback", ":material/forum:"),
        PageSpec("field", "pages/marketing/field.py", "Field usage", ":material/record_voice_over:"),
    ),
    "Sales ops": (
        PageSpec("loaded", "pages/ops/loaded.py", "What's loaded", ":material/database:", filters=False),
        PageSpec("data", "pages/ops/data.py", "Data", ":material/upload_file:", needs_data=False,
                 filters=False),
    ),
}

PAGES: dict[str, PageSpec] = {page.key: page for pages in SECTIONS.values() for page in pages}
