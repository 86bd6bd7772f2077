"""Writing the demo company as real-format exports: Salesforce report, HubSpot, Moodle, feedback log, catalog, a
conversation-intelligence call export, and one survey in a vocabulary no format knows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .truth import (
    DEAL_TYPES, DEFAULT_END, DEFAULT_START, LEAD_SOURCES, OPEN_PROBABILITY_SF, OPEN_STAGES_HS, OPEN_STAGES_SF,
    PRODUCTS)
from .world import World, build_world


def generate(out_dir: Path | str, seed: int = 7, n_reps: int = 150,
             start: date = DEFAULT_START, end: date = DEFAULT_END, salesforce_all_regions: bool = False) -> dict:
    """Write the eight demo CSV exports into out_dir and return the planted truth and row counts.

    salesforce_all_regions puts every region's deals in the Salesforce export (benchmarks use it for a
    one-million-row Salesforce file; the HubSpot file then repeats the EMEA deals).
    """
    world = build_world(seed, n_reps, start, end)
    files = write_exports(world, out_dir, start, end, salesforce_all_regions)
    return {**world.truth, "files": files}


def write_exports(world: World, out_dir: Path | str, start: date = DEFAULT_START,
                  end: date = DEFAULT_END, salesforce_all_regions: bool = False) -> dict[str, int]:
    """Write the world as real-format exports; returns data rows per file name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "messages.csv": _write_messages(world, out),
        "roster.csv": _write_roster(world, out, start),
        "salesforce_opportunities.csv": _write_salesforce(world, out, start, end, salesforce_all_regions),
        "hubspot_deals.csv": _write_hubspot(world, out, start),
        "lms_quiz_results.csv": _write_quiz(world, out, start),
        "field_feedback.csv": _write_feedback(world, out, start),
        "feedback_umfrage.csv": _write_survey(world, out, start),
        "calls.csv": _write_calls(world, out, start),
    }


# ---------------------------------------------------------------- formatting helpers (vectorized)

def _s(values) -> pd.Series:
    return pd.Series(np.asarray(values)).astype(str)


def _days(start: date, offsets) -> np.ndarray:
    return np.datetime64(start, "D") + np.asarray(offsets, dtype=np.int64).astype("timedelta64[D]")


def _iso(start: date, offsets) -> pd.Series:
    return pd.Series(_days(start, offsets).astype(str), dtype="str")


def _us(start: date, offsets) -> pd.Series:
    """M/D/YYYY without zero padding (Salesforce, US locale)."""
    d = _days(start, offsets)
    month_start = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (d - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return _s(month) + "/" + _s(day) + "/" + _s(year)


def _stamp(start: date, minutes) -> pd.Series:
    """'YYYY-MM-DD HH:MM' from minutes since start."""
    t = np.datetime64(start, "m") + np.asarray(minutes, dtype=np.int64).astype("timedelta64[m]")
    return pd.Series(t.astype(str), dtype="str").str.replace("T", " ", regex=False)


def _grouped(n: np.ndarray) -> pd.Series:
    """Non-negative integers with thousands separators: 1234567 -> '1,234,567'."""
    n = np.asarray(n, dtype=np.int64)
    g = [n % 1000, n // 1000 % 1000, n // 1_000_000 % 1000, n // 1_000_000_000]
    pad = [_s(x).str.zfill(3) for x in g[:3]]
    out = _s(g[0])
    out = out.where(n < 1000, _s(g[1]) + "," + pad[0])
    out = out.where(n < 1_000_000, _s(g[2]) + "," + pad[1] + "," + pad[0])
    return out.where(n < 1_000_000_000, _s(g[3]) + "," + pad[2] + "," + pad[1] + "," + pad[0])


def _money_us(amount: np.ndarray) -> pd.Series:
    """'$12,400.00'."""
    cents = np.round(np.asarray(amount) * 100).astype(np.int64)
    return "$" + _grouped(cents // 100) + "." + _s(cents % 100).str.zfill(2)


def _money_plain(amount: np.ndarray) -> pd.Series:
    """Shortest plain decimal: 12400, 12400.5, 12400.25."""
    cents = np.round(np.asarray(amount) * 100).astype(np.int64)
    whole, frac = _s(cents // 100), cents % 100
    out = whole.where(frac == 0, whole + "." + _s(frac // 10))
    return out.where(frac % 10 == 0, whole + "." + _s(frac).str.zfill(2))


def _quote_all(df: pd.DataFrame) -> str:
    """CSV text with every field quoted (csv.QUOTE_ALL), built column-wise: pandas' writer is slow at this."""
    def q(col: pd.Series) -> pd.Series:
        return '"' + col.astype(str).str.replace('"', '""', regex=False) + '"'
    line = q(df.iloc[:, 0])
    for name in df.columns[1:]:
        line = line + "," + q(df[name])
    header = ",".join('"' + c.replace('"', '""') + '"' for c in df.columns)
    return header + "\n" + "".join(line + "\n")


def _opportunity_names(world: World, deals: pd.DataFrame) -> pd.Series:
    seq = deals["name_seq"].to_numpy()
    name = (pd.Series(world.accounts[deals["account"].to_numpy()], dtype="str") + " - "
            + pd.Series(np.array(PRODUCTS)[deals["product"].to_numpy()], dtype="str"))
    name = name.where(deals["deal_type"].to_numpy() == DEAL_TYPES[0], name + " Renewal")
    return name.where(seq == 0, name + " (" + _s(seq + 1) + ")")


# ---------------------------------------------------------------- the six files

def _write_messages(world: World, out: Path) -> int:
    m = world.messages
    df = pd.DataFrame({
        "Message": m["name"], "Launch Date": [d.isoformat() for d in m["launch_date"]],
        "Target Segment": m["target_segment"].fillna(""), "Owner": m["owner"], "Description": m["description"],
        "Adoption Target": [f"{round(a * 100)}%" for a in m["adoption_target"]],
        "Target Date": [d.isoformat() for d in m["target_date"]],
        "Key Phrases": m["key_phrases"],
    })
    df.to_csv(out / "messages.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _write_roster(world: World, out: Path, start: date) -> int:
    r = world.reps
    df = pd.DataFrame({"Name": r["name"], "Email": r["email"], "Team": r["team"], "Region": r["region"],
                       "Manager": r["manager"], "Hire Date": _iso(start, r["hire_day"])})
    df.to_csv(out / "roster.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _stage_sf(d: pd.DataFrame) -> pd.Series:
    open_stage = np.array(OPEN_STAGES_SF)[d["open_stage"].to_numpy()]
    return pd.Series(np.where(d["is_open"], open_stage, np.where(d["is_won"], "Closed Won", "Closed Lost")),
                     dtype="str")


def _write_salesforce(world: World, out: Path, start: date, end: date, all_regions: bool = False) -> int:
    d = world.deals if all_regions else world.deals[world.deals["region"] != "EMEA"]
    d = d.reset_index(drop=True)
    owner = world.reps["name"].to_numpy()[d["rep"].to_numpy()]
    close = _days(start, d["close_day"])
    quarter = (close.astype("datetime64[M]").astype(np.int64) % 12) // 3 + 1
    year = close.astype("datetime64[Y]").astype(np.int64) + 1970
    prob = np.where(d["is_open"], np.array(OPEN_PROBABILITY_SF)[d["open_stage"].to_numpy()],
                    np.where(d["is_won"], "100", "0"))
    df = pd.DataFrame({
        "Opportunity Owner": pd.Series(owner, dtype="str"),
        "Account Name": pd.Series(world.accounts[d["account"].to_numpy()], dtype="str"),
        "Opportunity Name": _opportunity_names(world, d),
        "Type": pd.Series(d["deal_type"].to_numpy(), dtype="str"),
        "Lead Source": pd.Series(np.array(LEAD_SOURCES)[d["lead_source"].to_numpy()], dtype="str"),
        "Amount": _money_us(d["amount"].to_numpy()),
        "Close Date": _us(start, d["close_day"]),
        "Created Date": _us(start, d["created_day"]),
        "Stage": _stage_sf(d),
        "Probability (%)": pd.Series(prob, dtype="str"),
        "Segment": pd.Series(d["segment"].to_numpy(), dtype="str"),
        "Fiscal Period": "Q" + _s(quarter) + "-" + _s(year),
        "_close": d["close_day"].to_numpy(),
    })
    df = df.sort_values(["Opportunity Owner", "_close", "Opportunity Name"], kind="stable").drop(columns="_close")
    end_us = f"{end.month}/{end.day}/{end.year}"
    with open(out / "salesforce_opportunities.csv", "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(_quote_all(df))
        fh.write(f'\n"Huddle Demo Opportunities"\n"Grand Totals ({len(df)} records)"\n\n'
                 f'"Copyright (c) 2000-{end.year} salesforce.com, inc. All rights reserved."\n'
                 '"Confidential Information - Do Not Distribute"\n'
                 f'"Generated By: Dana Ops {end_us} 9:14 AM"\n"Huddle Demo Inc."\n')
    return len(df)


def _hubspot_ids(world: World) -> np.ndarray:
    """HubSpot Record IDs of the EMEA deals, in deal order (the HubSpot export and the call export share them)."""
    n = int((world.deals["region"] == "EMEA").sum())
    rng = np.random.default_rng(int(world.truth["seed"]) + 1)
    return 15_000_000_000 + np.cumsum(rng.integers(1, 5000, n))


def _write_hubspot(world: World, out: Path, start: date) -> int:
    d = world.deals[world.deals["region"] == "EMEA"].reset_index(drop=True)
    record_id = _hubspot_ids(world)
    open_stage = np.array(OPEN_STAGES_HS)[d["open_stage"].to_numpy()]
    stage = np.where(d["is_open"], open_stage, np.where(d["is_won"], "closedwon", "closedlost"))
    df = pd.DataFrame({
        "Record ID": record_id,
        "Deal Name": _opportunity_names(world, d),
        "Deal Stage": stage,
        "Close Date": _stamp(start, d["close_day"].to_numpy() * 1440 + d["close_minute"].to_numpy()),
        "Deal owner": world.reps["name"].to_numpy()[d["rep"].to_numpy()],
        "Amount": _money_plain(d["amount"].to_numpy()),
        "Pipeline": "Sales Pipeline",
        "Create Date": _stamp(start, d["created_day"].to_numpy() * 1440 + d["created_minute"].to_numpy()),
        "Deal Type": np.where(d["deal_type"] == DEAL_TYPES[0], "newbusiness", "existingbusiness"),
        "Associated Company": world.accounts[d["account"].to_numpy()],
        "Segment": d["segment"].to_numpy(),
    })
    df.to_csv(out / "hubspot_deals.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _write_quiz(world: World, out: Path, start: date) -> int:
    a, r = world.attempts, world.reps
    rep = a["rep"].to_numpy()
    mixed = np.array([f"{e.split('@')[0].title()}@Huddle-Demo.com" for e in r["email"]], dtype=object)
    rng = np.random.default_rng(int(world.truth["seed"]) + 2)
    email = np.where(rng.random(len(a)) < 0.15, mixed[rep], r["email"].to_numpy()[rep])
    grade_centi = np.round(a["score"].to_numpy() * 1000)
    graded = ~np.isnan(grade_centi)
    g = np.nan_to_num(grade_centi).astype(np.int64)
    grade = (_s(g // 100) + "." + _s(g % 100).str.zfill(2)).where(graded, "-")
    quiz = a["kind"].astype(str) + ": " + pd.Series(world.messages["name"].to_numpy()[a["msg"].to_numpy()],
                                                     dtype="str")
    df = pd.DataFrame({
        "First name": r["first"].to_numpy()[rep], "Last name": r["last"].to_numpy()[rep],
        "Email address": email, "Quiz": quiz,
        "Started on": _stamp(start, a["at_minute"]),
        "Completed": _stamp(start, a["at_minute"] + a["duration_min"]),
        "Grade/10.00": grade,
    })
    average = g[graded].sum() / max(graded.sum(), 1) / 100
    with open(out / "lms_quiz_results.csv", "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
        fh.write(f"Overall average,,,,,,{average:.2f}\n")
    return len(df)


def _message_variants(name: str) -> list[str]:
    words = name.split(" ")
    return [name, name.lower(), " ".join(words[:2]) + "  " + " ".join(words[2:]), f" {name} ", name.upper()]


def _feedback_frame(world: World, start: date) -> pd.DataFrame:
    """The field log's rows as it writes them (day-first dates, reps by email or name, message variants)."""
    f, r = world.feedback, world.reps
    rep = f["rep"].to_numpy()
    variants = np.array([_message_variants(n) for n in world.messages["name"]], dtype=object)
    iso = _iso(start, f["day"])
    who = np.where(f["as_name"], r["name"].to_numpy()[rep], r["email"].to_numpy()[rep])
    df = pd.DataFrame({
        "Date": iso.str.slice(8, 10) + "." + iso.str.slice(5, 7) + "." + iso.str.slice(0, 4),
        "Rep": who, "Message": variants[f["msg"].to_numpy(), f["msg_variant"].to_numpy()],
        "Rating": f["rating"].to_numpy(), "Outcome": f["outcome"].to_numpy(), "Notes": f["notes"].to_numpy(),
    })
    return df


def _write_feedback(world: World, out: Path, start: date) -> int:
    df = _feedback_frame(world, start)
    df.to_csv(out / "field_feedback.csv", index=False, sep=";", lineterminator="\n", encoding="utf-8")
    return len(df)


# A German survey export (Microsoft Forms style) in a vocabulary no format knows: the rep and message columns are
# found by their values (roster names, catalog messages). It repeats the field log's entries logged by name, so
# loading it changes nothing; the first run of the demo exercises column inference on it.
SURVEY_COLUMNS = {"Date": "Datum", "Rep": "Vertriebsmitarbeiter", "Message": "Besprochene Botschaft",
                  "Rating": "Wie kam sie an? (1-5)", "Outcome": "Ergebnis", "Notes": "Kommentar"}


def _write_survey(world: World, out: Path, start: date) -> int:
    df = _feedback_frame(world, start)[world.feedback["as_name"].to_numpy()].reset_index(drop=True)
    df["Date"] = df["Date"].str.slice(6, 10) + "-" + df["Date"].str.slice(3, 5) + "-" + df["Date"].str.slice(0, 2)
    df = df.rename(columns=SURVEY_COLUMNS)
    df.insert(0, "ID", np.arange(1, len(df) + 1))
    df.to_csv(out / "feedback_umfrage.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


# A conversation-intelligence call export (Gong-style): one row per recorded call, its transcript as speaker turns
# ("Name: text" lines) in one quoted field. EMEA deals are linked by their HubSpot Record ID; the Salesforce report
# has no ids, so Salesforce deals are linked by Opportunity Name only (unique in the demo).
CALL_COLUMNS = ("Call ID", "Call Date", "Rep Email", "Title", "Opportunity ID", "Opportunity Name", "Duration",
                "Transcript")


def _duration(seconds: np.ndarray) -> pd.Series:
    """'H:MM:SS'."""
    s = np.asarray(seconds, dtype=np.int64)
    return _s(s // 3600) + ":" + _s(s // 60 % 60).str.zfill(2) + ":" + _s(s % 60).str.zfill(2)


def _write_calls(world: World, out: Path, start: date) -> int:
    c, r, d = world.calls, world.reps, world.deals
    deal = c["deal"].to_numpy()
    emea = (d["region"] == "EMEA").to_numpy()
    record = np.zeros(len(d), dtype=np.int64)
    record[emea] = _hubspot_ids(world)
    opp_id = pd.Series(record[deal], dtype="str").where(emea[deal], "")
    rep = c["rep"].to_numpy()
    mixed = np.array([f"{e.split('@')[0].title()}@Huddle-Demo.com" for e in r["email"]], dtype=object)
    rng = np.random.default_rng(int(world.truth["seed"]) + 4)
    email = np.where(rng.random(len(c)) < world.truth["calls"]["mixed_case_email"], mixed[rep],
                     r["email"].to_numpy()[rep])
    df = pd.DataFrame(dict(zip(CALL_COLUMNS, (
        "gong-" + _s(np.arange(1, len(c) + 1) + 48_200), _stamp(start, c["minute"]), email, c["title"], opp_id,
        _opportunity_names(world, d).to_numpy()[deal], _duration(c["duration_s"]), c["transcript"]))))
    df.to_csv(out / "calls.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)
