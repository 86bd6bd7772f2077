"""The seeded demo world: real export formats, determinism, scaling, and the planted truths measured from the files."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics import demo

FILES = ("messages.csv", "roster.csv", "salesforce_opportunities.csv", "hubspot_deals.csv",
         "lms_quiz_results.csv", "field_feedback.csv", "calls.csv")
SF_HEADER = ('"Opportunity Owner","Account Name","Opportunity Name","Type","Lead Source","Amount","Close Date",'
             '"Created Date","Stage","Probability (%)","Segment","Fiscal Period"')


@pytest.fixture(scope="module")
def company():
    """The default demo company (150 reps, seed 7) in memory, latent truths included, drawn once for this module."""
    return demo.build_world(seed=7, n_reps=150)


@pytest.fixture(scope="module")
def world150(company, tmp_path_factory):
    """The default demo company's exports and planted truth, as demo.generate writes them, once for this module."""
    out = tmp_path_factory.mktemp("demo150")
    return out, {**company.truth, "files": demo.write_exports(company, out)}


def read_salesforce(path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8-sig")
    body = text.split("\n\n", 1)[0]
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


def read_deals(out) -> pd.DataFrame:
    """Both CRM exports as one frame: owner, close/created date, outcome, segment, type, amount."""
    sf = read_salesforce(out / "salesforce_opportunities.csv")
    hs = pd.read_csv(out / "hubspot_deals.csv", dtype=str, keep_default_na=False)
    sf_outcome = sf["Stage"].map({"Closed Won": "won", "Closed Lost": "lost"}).fillna("open")
    hs_outcome = hs["Deal Stage"].map({"closedwon": "won", "closedlost": "lost"}).fillna("open")
    return pd.concat([
        pd.DataFrame({"owner": sf["Opportunity Owner"], "outcome": sf_outcome, "segment": sf["Segment"],
                      "close": pd.to_datetime(sf["Close Date"], format="%m/%d/%Y"),
                      "created": pd.to_datetime(sf["Created Date"], format="%m/%d/%Y"),
                      "existing": sf["Type"] == "Existing Business",
                      "amount": sf["Amount"].str.replace(r"[$,]", "", regex=True).astype(float)}),
        pd.DataFrame({"owner": hs["Deal owner"], "outcome": hs_outcome, "segment": hs["Segment"],
                      "close": pd.to_datetime(hs["Close Date"]).dt.normalize(),
                      "created": pd.to_datetime(hs["Create Date"]).dt.normalize(),
                      "existing": hs["Deal Type"] == "existingbusiness",
                      "amount": hs["Amount"].astype(float)}),
    ], ignore_index=True)


def read_quiz(out) -> pd.DataFrame:
    q = pd.read_csv(out / "lms_quiz_results.csv", dtype=str, keep_default_na=False)
    q = q[q["First name"] != "Overall average"].copy()
    q["email"] = q["Email address"].str.lower()
    q["kind"] = q["Quiz"].str.split(": ", n=1).str[0]
    q["message"] = q["Quiz"].str.split(": ", n=1).str[1]
    q["at"] = pd.to_datetime(q["Started on"], format="%Y-%m-%d %H:%M")
    q["score"] = pd.to_numeric(q["Grade/10.00"], errors="coerce") / 10
    return q


def certified_dates(out) -> pd.DataFrame:
    """First passed certification per (rep e-mail, message), from the LMS file."""
    q = read_quiz(out)
    passed = q[(q["kind"] == "Certification") & (q["score"] >= 0.8)]
    return passed.groupby(["email", "message"], as_index=False)["at"].min().assign(
        cert_date=lambda d: d["at"].dt.normalize())


def deals_with_email(out) -> pd.DataFrame:
    roster = pd.read_csv(out / "roster.csv", dtype=str, keep_default_na=False)
    deals = read_deals(out).merge(roster[["Name", "Email"]], left_on="owner", right_on="Name", how="left")
    return deals.rename(columns={"Email": "email"})


def test_same_seed_writes_byte_identical_files(tmp_path):
    demo.generate(tmp_path / "a", seed=3, n_reps=30)
    demo.generate(tmp_path / "b", seed=3, n_reps=30)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_different_seed_writes_different_files(tmp_path):
    demo.generate(tmp_path / "a", seed=3, n_reps=30)
    demo.generate(tmp_path / "b", seed=4, n_reps=30)
    for name in ("roster.csv", "salesforce_opportunities.csv", "lms_quiz_results.csv", "field_feedback.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_the_catalog_constant_plants_one_negative_effect_after_a_pre_launch_period():
    assert len(demo.MESSAGES) == 4
    effects = [m.effect_pp for m in demo.MESSAGES]
    assert sum(e < 0 for e in effects) == 1 and len(set(effects)) == 4
    assert min(m.launch_date for m in demo.MESSAGES) >= date(2025, 3, 25)     # ~4 months after the start
    assert [m.name for m in demo.MESSAGES if m.effect_pp < 0] == [demo.NEGATIVE_MESSAGE]
    assert {m.target_segment for m in demo.MESSAGES} == {None, "Enterprise"}
    assert all((m.target_date - m.launch_date).days == 90 for m in demo.MESSAGES)


def test_the_truth_is_json_and_its_counts_match_the_files(world150):
    out, truth = world150
    assert json.loads(json.dumps(truth)) == truth
    assert truth["effects_pp"] == {m.name: m.effect_pp for m in demo.MESSAGES}
    assert truth["disliked_message"] == demo.DISLIKED_MESSAGE
    lines = {name: (out / name).read_text(encoding="utf-8-sig").count("\n") for name in FILES}
    assert truth["files"]["roster.csv"] == lines["roster.csv"] - 1 == 150
    assert truth["files"]["messages.csv"] == 4
    assert truth["files"]["salesforce_opportunities.csv"] == len(read_salesforce(out / "salesforce_opportunities.csv"))
    assert truth["files"]["lms_quiz_results.csv"] == len(read_quiz(out))
    n_deals = truth["files"]["salesforce_opportunities.csv"] + truth["files"]["hubspot_deals.csv"]
    assert 25_000 <= n_deals <= 35_000
    assert 5_000 <= truth["files"]["lms_quiz_results.csv"] <= 7_000
    assert 1_500 <= truth["files"]["field_feedback.csv"] <= 2_200
    assert 0.8 * n_deals <= truth["files"]["calls.csv"] <= 1.3 * n_deals


def test_the_salesforce_export_is_a_quoted_details_only_report_with_the_classic_footer(world150):
    out, truth = world150
    raw = (out / "salesforce_opportunities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\n")
    assert lines[0] == SF_HEADER and "ID" not in lines[0]
    n = truth["files"]["salesforce_opportunities.csv"]
    assert all(line.startswith('"') and line.endswith('"') and line.count('","') == 11 for line in lines[1:n + 1])
    assert lines[n + 1:] == ["", '"Huddle Demo Opportunities"', f'"Grand Totals ({n} records)"', "",
                             '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
                             '"Confidential Information - Do Not Distribute"',
                             '"Generated By: Dana Ops 11/27/2026 9:14 AM"', '"Huddle Demo Inc."', ""]
    sf = read_salesforce(out / "salesforce_opportunities.csv")
    assert sf["Amount"].str.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}").all()
    assert sf["Close Date"].str.fullmatch(r"[1-9]\d?/[1-9]\d?/20\d\d").all()
    assert set(sf["Stage"]) == {"Closed Won", "Closed Lost", "Prospecting", "Qualification", "Negotiation/Review"}
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    regions = sf["Opportunity Owner"].map(roster.set_index("Name")["Region"])
    assert set(regions) == {"North America", "APAC"}


def test_the_hubspot_export_holds_the_emea_deals_with_internal_stage_ids(world150):
    out, _ = world150
    hs = pd.read_csv(out / "hubspot_deals.csv", dtype=str, keep_default_na=False)
    assert list(hs.columns) == ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Deal owner", "Amount",
                                "Pipeline", "Create Date", "Deal Type", "Associated Company", "Segment"]
    assert hs["Record ID"].is_unique
    assert set(hs["Deal Stage"]) == {"closedwon", "closedlost", "appointmentscheduled", "qualifiedtobuy",
                                     "contractsent"}
    assert hs["Close Date"].str.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d").all()
    assert hs["Amount"].str.fullmatch(r"\d+(\.\d{1,2})?").all() and not hs["Amount"].str.endswith(".0").any()
    assert set(hs["Deal Type"]) == {"newbusiness", "existingbusiness"} and set(hs["Pipeline"]) == {"Sales Pipeline"}
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    assert set(hs["Deal owner"].map(roster.set_index("Name")["Region"])) == {"EMEA"}


def test_opportunity_names_are_unique_per_account_and_created_date(world150):
    out, _ = world150
    sf = read_salesforce(out / "salesforce_opportunities.csv")
    hs = pd.read_csv(out / "hubspot_deals.csv", dtype=str)
    assert not sf.duplicated(["Account Name", "Opportunity Name", "Created Date"]).any()
    assert not hs.duplicated(["Associated Company", "Deal Name", "Create Date"]).any()


def test_about_eight_percent_of_deals_are_still_open_with_open_stages(world150):
    out, truth = world150
    deals = read_deals(out)
    is_open = deals["outcome"] == "open"
    assert 0.06 <= is_open.mean() <= 0.10
    assert (deals.loc[~is_open, "close"] <= pd.Timestamp(truth["end"])).all()
    assert ((deals["close"] - deals["created"]).dt.days.between(30, 120)).all()


def test_the_roster_has_accented_and_apostrophe_names_and_unique_lower_case_emails(world150):
    out, _ = world150
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    assert {"José García", "Zoë Müller"} <= set(roster["Name"])
    assert roster["Name"].str.contains("'").any()
    assert roster["Email"].is_unique and roster["Name"].is_unique
    assert roster["Email"].str.fullmatch(r"[a-z0-9]+(\.[a-z0-9]+)+@huddle-demo\.com").all()
    assert roster.groupby("Team")["Manager"].nunique().eq(1).all() and roster["Team"].nunique() == 6
    assert set(roster["Region"]) == {"North America", "EMEA", "APAC"}


def test_the_quiz_export_ends_with_the_real_overall_average(world150):
    out, _ = world150
    text = (out / "lms_quiz_results.csv").read_text(encoding="utf-8")
    last = text.rstrip("\n").split("\n")[-1]
    assert last.startswith("Overall average,,,,,,")
    q = read_quiz(out)
    assert float(last.rsplit(",", 1)[1]) == pytest.approx(round(q["score"].mean() * 10, 2), abs=0.005)
    assert (q["Grade/10.00"] == "-").any() and q["Grade/10.00"].str.fullmatch(r"-|\d{1,2}\.\d\d").all()
    assert (q["Email address"] != q["email"]).any()                       # some mixed-case e-mails
    assert q["Quiz"].str.fullmatch(r"(Certification|Practice): .+").all()
    assert set(q["message"]) == {m.name for m in demo.MESSAGES}


def test_the_feedback_export_round_trips_multiline_notes_names_and_message_variants(world150):
    out, truth = world150
    fb = pd.read_csv(out / "field_feedback.csv", sep=";", dtype=str, keep_default_na=False)
    assert list(fb.columns) == ["Date", "Rep", "Message", "Rating", "Outcome", "Notes"]
    assert len(fb) == truth["files"]["field_feedback.csv"]
    assert fb["Date"].str.fullmatch(r"\d\d\.\d\d\.20\d\d").all()
    assert set(fb["Rating"]) <= set("12345") and set(fb["Outcome"]) <= set(demo.OUTCOMES)
    notes = fb["Notes"]
    assert notes.str.contains("\n").mean() > 0.05 and notes.str.contains('"').any()
    assert notes.str.contains(",").any() and notes.str.contains(";").any()
    assert 0.6 < fb["Rep"].str.contains("@").mean() < 0.95
    canonical = {m.name for m in demo.MESSAGES}
    assert 0.1 < (~fb["Message"].isin(canonical)).mean() < 0.35
    assert set(fb["Message"].str.split().str.join(" ").str.lower()) == {n.lower() for n in canonical}


def test_better_reps_win_more_before_launch_and_certify_sooner(world150):
    out, truth = world150
    first = demo.MESSAGES[0]
    deals = deals_with_email(out)
    pre = deals[(deals["outcome"] != "open") & (deals["close"] < pd.Timestamp(first.launch_date))]
    win_rate = pre.assign(won=pre["outcome"] == "won").groupby("email")["won"].mean()
    cert = certified_dates(out)
    cert = cert[cert["message"] == first.name].set_index("email")["cert_date"]
    days = (cert - pd.Timestamp(first.launch_date)).dt.days
    both = pd.concat({"win_rate": win_rate, "days": days}, axis=1).dropna()
    assert len(both) > 80
    assert both.corr(method="spearman").iloc[0, 1] < -0.15


def test_low_ability_reps_are_the_ones_who_never_certify(world150):
    out, truth = world150
    ability = pd.Series(truth["rep_ability"])
    certified = set(certified_dates(out).query("message == @demo.MESSAGES[0].name")["email"])
    never = ability[~ability.index.isin(certified)]
    assert len(never) >= 10
    assert never.mean() < ability[ability.index.isin(certified)].mean() - 0.5


def test_the_disliked_message_has_clearly_the_lowest_rating_and_its_own_themes(world150):
    out, truth = world150
    fb = pd.read_csv(out / "field_feedback.csv", sep=";", dtype=str, keep_default_na=False)
    fb["message"] = fb["Message"].str.split().str.join(" ").str.lower()
    fb["rating"] = fb["Rating"].astype(int)
    means = fb.groupby("message")["rating"].mean()
    disliked = truth["disliked_message"].lower()
    assert means.idxmin() == disliked
    assert means[disliked] == pytest.approx(2.2, abs=0.3)
    assert (means.drop(disliked) > 3.6).all()
    themes = "|".join(truth["disliked_themes"])
    mentions = fb["Notes"].str.lower().str.contains(themes).groupby(fb["message"]).mean()
    assert mentions[disliked] > 0.5 and (mentions.drop(disliked) == 0).all()


def test_one_team_rarely_sends_feedback(world150):
    out, truth = world150
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    fb = pd.read_csv(out / "field_feedback.csv", sep=";", dtype=str, keep_default_na=False)
    by_email = roster.set_index("Email")["Team"]
    by_name = roster.set_index("Name")["Team"]
    team = fb["Rep"].map(by_email).fillna(fb["Rep"].map(by_name))
    assert team.notna().all()
    per_rep = team.value_counts() / roster["Team"].value_counts()
    assert per_rep.idxmin() == truth["quiet_team"]
    assert per_rep[truth["quiet_team"]] < 0.25 * per_rep.drop(truth["quiet_team"]).min()


def test_the_naive_certified_gap_for_the_negative_message_is_biased_upward(world150):
    out, truth = world150
    name = truth["negative_message"]
    msg = next(m for m in truth["messages"] if m["name"] == name)
    deals = deals_with_email(out)
    scope = deals[(deals["outcome"] != "open") & (deals["close"] >= pd.Timestamp(msg["launch_date"]))]
    cert = certified_dates(out)
    cert = cert[cert["message"] == name].set_index("email")["cert_date"]
    adopted = scope["email"].map(cert) <= scope["close"]
    won = scope["outcome"] == "won"
    naive_pp = 100 * (won[adopted].mean() - won[~adopted].mean())
    assert truth["effects_pp"][name] < 0
    assert naive_pp > truth["effects_pp"][name] + 5          # looks harmless or even helpful


def test_a_rep_fixed_effect_regression_on_the_files_recovers_the_planted_effects(world150):
    out, truth = world150
    deals = deals_with_email(out)
    closed = deals[deals["outcome"] != "open"].reset_index(drop=True)
    cert = certified_dates(out)
    cols = {"rep_" + e: (closed["email"] == e).astype(float) for e in sorted(closed["email"].unique())}
    cols["mid_market"] = (closed["segment"] == "Mid-Market").astype(float)
    cols["enterprise"] = (closed["segment"] == "Enterprise").astype(float)
    cols["existing"] = closed["existing"].astype(float)
    cols["time"] = (closed["close"] - pd.Timestamp(truth["start"])).dt.days / 365.0
    cols["log_amount"] = np.log(closed["amount"])
    for m in truth["messages"]:
        in_scope = closed["close"] >= pd.Timestamp(m["launch_date"])
        if m["target_segment"]:
            in_scope &= closed["segment"] == m["target_segment"]
        when = cert[cert["message"] == m["name"]].set_index("email")["cert_date"]
        cols[m["name"]] = (in_scope & (closed["email"].map(when) <= closed["close"])).astype(float)
    x = pd.DataFrame(cols)
    beta, *_ = np.linalg.lstsq(x.to_numpy(), (closed["outcome"] == "won").to_numpy(float), rcond=None)
    estimates = dict(zip(x.columns[-4:], 100 * beta[-4:]))
    for name, effect in truth["effects_pp"].items():
        assert estimates[name] == pytest.approx(effect, abs=3.0), name


def test_expected_score_loses_half_the_remembered_part_per_half_life_and_doubles_it_per_success():
    f = demo.FORGETTING
    remembered = lambda s: (s - f["floor"]) / f["scale"]
    assert demo.expected_score(0, 0) == pytest.approx(1.0)
    assert remembered(demo.expected_score(f["h0_days"], 0)) == pytest.approx(0.5)
    assert remembered(demo.expected_score(2 * f["h0_days"], 1)) == pytest.approx(0.5)
    assert remembered(demo.expected_score(f["h0_days"], 0, difficulty=2.0)) == pytest.approx(0.25)
    assert demo.expected_score(30, 0, ability=1.0) > demo.expected_score(30, 0, ability=-1.0)
    gaps = np.array([1.0, 10.0, 100.0])
    assert np.all(np.diff(demo.expected_score(gaps, 2)) < 0)


def test_practice_scores_in_the_file_follow_the_documented_forgetting_law(world150):
    out, truth = world150
    q = read_quiz(out)
    graded = q[q["score"].notna()].sort_values(["email", "message", "at"], kind="stable")
    key = [graded["email"], graded["message"]]
    graded["gap_days"] = graded.groupby(key)["at"].diff().dt.total_seconds() / 86400
    success = ((graded["kind"] == "Practice") & (graded["score"] >= 0.8)).astype(int)
    graded["n_successes"] = success.groupby(key).cumsum() - success
    practice = graded[graded["kind"] == "Practice"]
    difficulty = practice["message"].map(truth["forgetting"]["difficulty"])
    ability = practice["email"].map(truth["rep_ability"])
    expected = demo.expected_score(practice["gap_days"], practice["n_successes"], ability, difficulty)
    unclipped = expected < 0.85                                  # far from the 1.0 ceiling
    residual = (practice["score"] - expected)[unclipped]
    assert len(residual) > 1000
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(truth["forgetting"]["noise_sd"], abs=0.005)
    assert 0.65 < q["score"].mean() < 0.9


def test_size_scales_roughly_linearly_with_the_number_of_reps(tmp_path):
    small = demo.generate(tmp_path / "s", seed=11, n_reps=30)["files"]
    large = demo.generate(tmp_path / "l", seed=11, n_reps=90)["files"]
    deals = lambda f: f["salesforce_opportunities.csv"] + f["hubspot_deals.csv"]
    assert 2.5 < deals(large) / deals(small) < 3.5
    assert 2.4 < large["lms_quiz_results.csv"] / small["lms_quiz_results.csv"] < 3.6
    assert 2.0 < large["field_feedback.csv"] / small["field_feedback.csv"] < 4.0
    assert 2.4 < large["calls.csv"] / small["calls.csv"] < 3.6
    assert small["roster.csv"] == 30 and large["roster.csv"] == 90


def test_a_custom_window_moves_the_launches_with_it(tmp_path):
    truth = demo.generate(tmp_path, seed=1, n_reps=12, start=date(2023, 1, 1), end=date(2024, 6, 30))
    catalog = pd.read_csv(tmp_path / "messages.csv", dtype=str, keep_default_na=False)
    launches = pd.to_datetime(catalog["Launch Date"])
    assert launches.is_monotonic_increasing
    assert launches.min() > pd.Timestamp("2023-03-15") and launches.max() < pd.Timestamp("2024-06-30")
    assert catalog["Adoption Target"].str.fullmatch(r"\d+%").all()
    assert catalog["Target Segment"].tolist() == ["", "Enterprise", "", ""]
    assert [m["launch_date"] for m in truth["messages"]] == catalog["Launch Date"].tolist()
    deals = read_deals(tmp_path)
    assert deals["created"].min() >= pd.Timestamp("2023-01-01")


# ---------------------------------------------------------------- calls

def read_calls(out) -> pd.DataFrame:
    return pd.read_csv(out / "calls.csv", dtype=str, keep_default_na=False)


def turns(transcript: str) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for line in transcript.split("\n")]


def said_in_file(calls: pd.DataFrame, message: str) -> np.ndarray:
    """Whether the rep (calls["rep_name"]) says one of the message's talk-track sentences in the file's transcript."""
    sentences = [t for pool in demo.TALK_TRACKS[message].values() for t in pool]
    pattern = re.compile("|".join(re.escape(t).replace(re.escape("{n}"), r"\d+") for t in sentences))
    return np.array([any(who == owner and pattern.search(text) for who, text in turns(t))
                     for t, owner in zip(calls["Transcript"], calls["rep_name"])])


def test_the_call_export_is_a_call_recorder_export_with_one_row_per_call(world150):
    out, truth = world150
    raw = (out / "calls.csv").read_text(encoding="utf-8")
    assert raw.split("\n", 1)[0] == ",".join(demo.CALL_COLUMNS)
    calls = read_calls(out)
    assert len(calls) == truth["files"]["calls.csv"] and calls["Call ID"].is_unique
    assert calls["Call Date"].str.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d").all()
    assert calls["Call Date"].is_monotonic_increasing
    assert calls["Duration"].str.fullmatch(r"0:[1-5]\d:\d\d|1:00:00").all()
    assert (calls["Rep Email"] != calls["Rep Email"].str.lower()).mean() == pytest.approx(0.10, abs=0.02)
    assert calls["Title"].str.len().gt(5).all() and calls["Transcript"].str.contains("\n").all()


def test_every_call_is_on_a_deal_of_the_crm_files_between_its_creation_and_its_close(world150):
    out, _ = world150
    calls = read_calls(out)
    sf = read_salesforce(out / "salesforce_opportunities.csv")
    hs = pd.read_csv(out / "hubspot_deals.csv", dtype=str, keep_default_na=False)
    deals = pd.concat([
        pd.DataFrame({"name": sf["Opportunity Name"], "id": "", "owner": sf["Opportunity Owner"],
                      "created": pd.to_datetime(sf["Created Date"], format="%m/%d/%Y"),
                      "close": pd.to_datetime(sf["Close Date"], format="%m/%d/%Y")}),
        pd.DataFrame({"name": hs["Deal Name"], "id": hs["Record ID"], "owner": hs["Deal owner"],
                      "created": pd.to_datetime(hs["Create Date"]).dt.normalize(),
                      "close": pd.to_datetime(hs["Close Date"]).dt.normalize()})], ignore_index=True)
    folded = deals["name"].str.lower().str.replace(r"[\W_]+", "", regex=True)
    assert folded.is_unique               # so the Salesforce deals can be linked by name, punctuation aside
    linked = calls.merge(deals, left_on="Opportunity Name", right_on="name", how="left", validate="many_to_one")
    assert linked["name"].notna().all()
    assert (linked["Opportunity ID"] == linked["id"]).all()      # HubSpot deals by Record ID, the others by name
    assert linked["Opportunity ID"].ne("").mean() == pytest.approx(1 / 3, abs=0.05)
    day = pd.to_datetime(linked["Call Date"]).dt.normalize()
    assert ((day >= linked["created"]) & (day <= linked["close"])).all()
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    owner_email = linked["owner"].map(roster.set_index("Name")["Email"])
    assert (owner_email == linked["Rep Email"].str.lower()).all()
    head = linked["Opportunity Name"].str.split(" ").str[0]          # the account's first word names it in the title
    assert all(h in t for h, t in zip(head, linked["Title"]))


def test_transcripts_are_turns_between_the_rep_and_one_contact_of_80_to_250_words(world150):
    out, _ = world150
    calls = read_calls(out)
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    name_of, reps = roster.set_index("Email")["Name"].to_dict(), set(roster["Name"])
    sample = calls.sample(1000, random_state=0)
    for transcript, email in zip(sample["Transcript"], sample["Rep Email"]):
        spoken = turns(transcript)
        assert all(len(t) == 2 and t[1] for t in spoken), transcript
        speakers = list(dict.fromkeys(who for who, _ in spoken))
        assert speakers[0] == name_of[email.lower()] and len(speakers) == 2
        assert speakers[1] not in reps
        assert [who for who, _ in spoken[:2]] == speakers               # the rep opens, the prospect answers
        words = sum(len(text.split()) for _, text in spoken)
        assert 80 <= words <= 260, (words, transcript)
    words = calls["Transcript"].str.split().str.len()
    assert 150 < words.median() < 230


def test_no_transcript_names_a_person_outside_the_roster_and_the_account_contacts(company):
    calls, roster = company.calls, set(company.reps["name"])
    contacts = set(company.contacts.ravel())
    first_names = set(demo.FIRST_NAMES)
    speakers = calls["transcript"].str.findall(r"(?m)^([^:\n]+): ").explode()
    assert set(speakers) <= roster | contacts
    assert not set(speakers) & (contacts & roster)
    account = company.deals["account"].to_numpy()[calls["deal"]]
    assert (company.contacts[account] == calls["contact"].to_numpy()[:, None]).any(axis=1).all()
    rep_first = company.reps["name"].str.split(" ").str[0].to_numpy()[calls["rep"]]
    word = re.compile(r"[^\W\d_]+")
    for text, rep, contact in zip(calls["transcript"].iloc[::20], rep_first[::20], calls["contact"].iloc[::20]):
        spoken = " ".join(line.split(": ", 1)[1] for line in text.split("\n"))
        named = set(word.findall(spoken)) & first_names
        assert named <= {rep, contact.split(" ")[0]}, (named, text)


def test_the_said_flags_match_the_talk_tracks_in_the_file(world150, company):
    out, _ = world150
    calls = read_calls(out).iloc[:3000].copy()
    calls["rep_name"] = company.reps["name"].to_numpy()[company.calls["rep"].to_numpy()[:3000]]
    for i, name in enumerate(company.messages["name"]):
        assert (said_in_file(calls, name) == company.calls[f"said_{i}"].to_numpy()[:3000]).all(), name


def test_certified_reps_say_a_message_more_and_say_it_less_as_they_forget(company):
    calls = company.calls
    for i, name in enumerate(company.messages["name"]):
        scope, cert = calls[f"in_scope_{i}"], calls[f"certified_{i}"]
        said = calls[f"said_{i}"]
        assert said[scope & cert].mean() > 2.5 * said[scope & ~cert].mean(), name
        assert said[~scope].mean() < 0.03, name                     # before launch or outside its segment
        if name == demo.TRANSFER_GAP_MESSAGE:
            continue
        recall = calls.loc[scope & cert, f"recall_{i}"]
        fresh, faded = said[scope & cert][recall > 0.6], said[scope & cert][recall < 0.2]
        assert len(fresh) > 200 and len(faded) > 200, name
        assert fresh.mean() > faded.mean() + 0.25, (name, fresh.mean(), faded.mean())


def test_one_message_is_certified_widely_but_rarely_said_in_calls(company):
    calls, truth = company.calls, company.truth
    gap = truth["transfer_gap_message"]
    names = list(company.messages["name"])
    rate = {n: calls[f"said_{i}"][calls[f"in_scope_{i}"] & calls[f"certified_{i}"]].mean()
            for i, n in enumerate(names)}
    assert truth["n_certified"][gap] >= 0.75 * truth["n_reps"]
    assert rate[gap] < 0.1 and all(rate[gap] < rate[n] / 4 for n in names if n != gap), rate


def test_talk_tracks_hold_key_phrases_the_catalog_lists_and_hard_negatives_reuse_the_words(world150):
    out, _ = world150
    catalog = pd.read_csv(out / "messages.csv", dtype=str, keep_default_na=False).set_index("Message")
    for name, track in demo.TALK_TRACKS.items():
        phrases = [p.strip().lower().replace("-", " ") for p in catalog.loc[name, "Key Phrases"].split(";")]
        assert len(phrases) >= 3
        has = lambda t: any(p in t.lower().replace("-", " ") for p in phrases)
        assert all(has(t) for t in track["phrase"]), name
        assert not any(has(t) for t in track["paraphrase"]), name
        negatives = demo.PROSPECT_NEGATIVES[name] + demo.REP_NEGATIVES[name]
        assert sum(has(t) for t in negatives) >= 2, name


def test_the_win_model_adds_the_planted_usage_effect_and_keeps_the_certification_effect(company):
    deals, truth = company.deals, company.truth
    closed = deals[~deals["is_open"]]
    part = np.zeros(len(closed))
    for i, name in enumerate(company.messages["name"]):
        usage, direct = truth["usage_effects_pp"][name], truth["usage"][name]["direct_pp"]
        adopted, used = closed[f"adopted_{i}"].to_numpy(), closed[f"used_{i}"].to_numpy()
        scope = closed[f"in_scope_{i}"].to_numpy()
        assert not (used & ~scope).any()
        through_use = usage * (used[adopted].mean() - used[scope & ~adopted].mean())
        assert direct + through_use == pytest.approx(truth["effects_pp"][name], abs=0.01), name
        assert abs(direct) < abs(truth["effects_pp"][name]), name      # most of it goes through saying it
        part += (adopted * direct + used * usage) / 100
    assert np.allclose(closed["p_win"] - closed["p_base"], part, atol=1e-4)       # direct_pp is rounded
    assert (closed["is_won"] == (closed["u_win"] < closed["p_win"])).all()
