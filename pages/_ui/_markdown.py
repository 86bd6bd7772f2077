"""Untrusted values (anything read from an upload or the database) shown as literal text inside Streamlit markdown.

Streamlit 1.67 renders markdown in st.markdown / caption / subheader / the alerts / toast, in widget, metric, expander,
tab and button labels, in help tooltips, in st.table cells and in radio / segmented-control / pills options (not in
selectbox or multiselect options, nor in dataframe cells). Two kinds of markup have to be defused there:

- Syntax (links, images, emphasis, headings, lists, tables, HTML, `$` LaTeX, `:red[...]` directives): every ASCII
  punctuation character is backslash-escaped, which CommonMark allows for all of them, except two that are markup
  only elsewhere: `_` between two letters or digits (never emphasis there: `new_deals.csv` stays readable) and `.`
  unless it ends a leading number (`1.` starts a list). This also hides `:material/x:` from the rewrite Streamlit
  applies to the source before parsing (it looks for `:material/`).
- Rewrites Streamlit and GFM apply to the parsed text, after escapes are resolved, so no backslash stops them: bare
  URLs, `www.` and e-mail addresses become links (mdast-util-gfm-autolink-literal), `:name:` an emoji or the
  Streamlit logo, ` -> ` / ` <= ` / ` -- ` arrows and dashes. An invisible word joiner (U+2060) inside each trigger
  breaks the pattern and leaves the text as it reads.

Line breaks and runs of white space become one space (a line break would end the sentence's markup and could start
a block), and control characters are dropped.
"""

from __future__ import annotations

import re

from analytics.safe_csv import strip_controls

JOINER = "\u2060"
PUNCTUATION = re.compile(r"([!-\-/:-@\[-^`{-~]|(?<![^\W_])_|_(?![^\W_]))")    # all but `.` and intraword `_`
LIST_NUMBER = re.compile(r"^(\d+)\.")
TRIGGERS = re.compile(r"(?<=:)(?=[\w+/-])"            # :smile:, :streamlit:, http://
                      r"|(?<=www)(?=\.)"              # www.example
                      r"|(?<=@)"                       # a@example.com
                      r"|(?<=[<>~-])(?=[>=-])",        # -> <- <-> -- >= <= ~=
                      re.IGNORECASE)


def md(value) -> str:
    """The value as markdown source that Streamlit displays as exactly its text (one line); None shows as ''."""
    if value is None:
        return ""
    text = " ".join(strip_controls(str(value)).split())
    return LIST_NUMBER.sub(r"\1\\.", PUNCTUATION.sub(r"\\\1", TRIGGERS.sub(JOINER, text)))


def md_join(values, sep: str = ", ") -> str:
    """Several untrusted values, each escaped, joined by a separator of the page's own."""
    return sep.join(md(v) for v in values)
