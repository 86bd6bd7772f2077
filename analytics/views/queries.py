"""The queries several views share: running a sql/ file with only the parameters it uses, the catalog, rep x message.

Every view applies the shared sidebar `Filters` in SQL, including the reps a manager may see (`Filters.rep_ids`).
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from analytics import results
from analytics.db import sql
from analytics.filters import Filters
from analytics.results import stored

PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


def run(con, name: str, params: dict) -> pd.DataFrame:
    """Run sql/<name>.sql binding the parameters its text uses (from `params`; a missing one is an error)."""
    text = sql(f"{name}.sql")
    names = set(PARAMETER.findall(text))
    missing = names - set(params)
    if missing:
        raise KeyError(f"{name}: no value for {sorted(missing)}")
    return con.execute(text, {k: params[k] for k in names}).df()


def catalog(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Messages of the launch plan in launch order (dim_messages), restricted to the message filter."""
    out = con.execute(sql("marts/dim_messages.sql")).df()
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)].reset_index(drop=True)
    return out


def message_names(con) -> list[str]:
    """Every message name in launch order: the order that fixes each message's chart color."""
    return catalog(con)["message_name"].tolist()


def _rep_message_key(con, arguments: dict) -> dict:
    """rep_message's arguments without the date range, which rep_message.sql does not use (same rows, one key)."""
    filters = arguments["filters"]
    return {"filters": Filters(teams=filters.teams, regions=filters.regions, managers=filters.managers,
                               segments=filters.segments, messages=filters.messages, rep_ids=filters.rep_ids),
            "as_of": arguments["as_of"]}


@stored(key=_rep_message_key)
def rep_message(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """One row per rep x message (sql/queries/rep_message.sql) for the reps and messages the filters keep."""
    # A team, region, manager, rep or message filter only selects rows: selected from the every-rep rows stored
    # for that date when there are some (analytics.refresh), else queried.
    every = stored_every_rep_message(con, filters, as_of)
    selected = None if every is None else select_rep_message(con, every, filters)
    if selected is None or selected.empty:          # an empty answer queried: the query's own empty frame
        return run(con, "queries/rep_message", {**filters.params(), "as_of": as_of})
    return selected


def stored_every_rep_message(con, filters: Filters, as_of: date | None) -> pd.DataFrame | None:
    """The stored unfiltered rep x message rows of `as_of` when `filters` only select among them, else None."""
    if filters.segments or _rep_message_key(con, {"filters": filters, "as_of": as_of})["filters"] == Filters():
        return None
    found = results.load(con, rep_message.stored_name, rep_message.key(con, Filters(), as_of))
    return None if found is results.MISSING else found


def select_rep_message(con, every: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of the unfiltered rep_message frame that a rep and message filter keeps
    (sql/queries/rep_message_selected.sql: the rep scope macro the query itself applies)."""
    names = {"team", "region", "manager", "rep_id", "message_id"}
    keys = every[sorted(names)].assign(row_number=range(len(every)))
    con.register("every_rep_message", keys)
    try:
        rows = run(con, "queries/rep_message_selected", filters.params())["row_number"].to_numpy()
    finally:
        con.unregister("every_rep_message")
    return every.iloc[rows].reset_index(drop=True)
