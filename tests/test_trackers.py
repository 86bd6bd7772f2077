"""Message trackers: planted phrase and similarity matches, fixture accuracy, and tracking in a store."""

from __future__ import annotations

import json
import shutil
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from analytics import cli, db
from analytics.estimators import tracker as tr
from analytics.ingest import tracking
from analytics.ingest.errors import IngestError
from analytics.ingest.load import ingest_file, undo

PRECISION_FLOOR, RECALL_FLOOR = 0.8, 0.7
# Measured on the held-out split (README "Message trackers"): these trackers fall short of a floor. Lexical TF-IDF
# cannot see a paraphrase that shares no word with the message's text or phrases (the most recall any such method
# can reach is in brackets), and one shared word is often the same word in another sense. Strict: a tracker that
# starts meeting its floor makes the test fail, so it is removed.
SHORT_OF_PRECISION = {"AI Copilot Positioning": "precision 5/7 = 0.71 ('live demo' of another module; 'AI' as a "
                                                 "buzzword)"}
SHORT_OF_RECALL = {
    "AI Copilot Positioning": "recall 5/12 = 0.42 (3 of 12 share no word with the message: at most 0.75)",
    "Platform Consolidation Story": "recall 6/12 = 0.50 (5 of 12 share no word with the message: at most 0.58)",
    "ROI Calculator Talk Track": "recall 6/13 = 0.46 (1 of 13 shares no word with the message: at most 0.92)",
    "Security-First Value Prop": "recall 6/13 = 0.46 (4 of 13 share no word with the message: at most 0.69)",
}

CATALOG = pd.DataFrame({
    "message_id": ["security", "roi"],
    "message_name": ["Security-First Value Prop", "ROI Calculator Talk Track"],
    "description": ["Lead with risk reduction: SOC 2, data residency and audit trails, then value.",
                    "Walk the buyer through the ROI calculator: payback in months, three-year savings."],
    "key_phrases": ["SOC 2; data residency; audit trail", "ROI calculator; migration plan"],
})


def turns(*rows) -> pd.DataFrame:
    """Turns of one activity per row: (text,) or (text, role)."""
    return pd.DataFrame([{"activity_id": f"a{i}", "turn_no": 1, "speaker": None,
                          "speaker_role": r[1] if len(r) > 1 else "rep", "text": r[0]} for i, r in enumerate(rows)])


def matched(text: str, role: str = "rep", tracker: tr.MessageTracker | None = None) -> dict[str, str]:
    """message_id -> method of each match of one turn."""
    m = (tracker or tr.MessageTracker().fit(CATALOG)).best_matches(turns((text, role)))
    return dict(zip(m["message_id"], m["method"]))


# --- planted matches --------------------------------------------------------------------------------------------
def test_a_key_phrase_said_by_the_rep_is_a_phrase_match_scoring_one():
    m = tr.MessageTracker().fit(CATALOG).best_matches(turns(("Let me open our ROI calculator for you.",)))
    assert list(m["message_id"]) == ["roi"] and list(m["method"]) == ["phrase"] and list(m["score"]) == [1.0]
    assert m["snippet"][0] == "Let me open our ROI calculator for you"


def test_phrases_match_across_case_accents_plurals_and_a_missing_space():
    assert matched("Every export lands in AUDIT TRAILS.")["security"] == "phrase"
    assert matched("Our data résidency options cover the EU.")["security"] == "phrase"
    assert matched("We passed our SOC2 audit.")["security"] == "phrase"


def test_one_inserted_word_still_matches_a_phrase_but_two_or_a_comma_do_not():
    assert matched("Here is the migration project plan.").get("roi") == "phrase"
    assert matched("Here is the migration of the plan.").get("roi") != "phrase"
    assert matched("After the migration, plan a review.").get("roi") != "phrase"


def test_off_topic_small_talk_matches_nothing():
    assert matched("How was your weekend? The weather here was lovely.") == {}


def test_a_competitors_claim_is_no_match():
    assert matched("Gong's ROI calculator assumes you'll double your win rate.") == {}
    assert matched("They will tell you their audit trail is free.") == {}


def test_a_sentence_opening_with_their_is_someone_elses_claim():
    assert matched("Their audit trail is a CSV export.") == {}
    assert matched("The audit trail is a CSV export.") == {"security": "phrase"}


def test_a_reps_question_asks_about_a_message_and_is_no_match():
    assert matched("Can you send me the audit trail of which slides we changed?") == {}
    assert matched("I can send you the audit trail of which slides we changed.") == {"security": "phrase"}


def test_a_product_name_sharing_a_word_with_a_message_is_not_scored_for_it():
    fitted = tr.MessageTracker().fit(CATALOG)
    assert fitted.score(turns(("Today I'll show you Security Suite, and leave time for questions.",))).empty
    lower = fitted.score(turns(("Today I'll show you the security suite, and leave time for questions.",)))
    assert lower["message_id"].tolist() == ["security"] and lower["method"].tolist() == ["similarity"]


def test_a_prospect_only_mention_is_found_but_is_not_the_rep_using_it():
    m = tr.MessageTracker().fit(CATALOG).best_matches(turns(("Can you send the ROI calculator?", "prospect")))
    assert list(m["speaker_role"]) == ["prospect"]
    s = pd.DataFrame({"phrase_hit": [True], "similarity": [0.0], "speaker_role": ["prospect"]})
    assert not tr.predicted_used(s, tr.SIMILARITY_THRESHOLD)[0]


def test_the_reps_match_is_kept_before_the_prospects_in_the_same_activity():
    t = pd.DataFrame({"activity_id": ["a", "a"], "turn_no": [1, 2], "speaker": ["Sam", "Ana"],
                      "speaker_role": ["prospect", "rep"],
                      "text": ["We need an audit trail and SOC 2.", "Every change lands in the audit trail."]})
    m = tr.MessageTracker().fit(CATALOG).best_matches(t)
    row = m[m["message_id"] == "security"].iloc[0]
    assert (row["speaker_role"], row["turn_no"], row["method"]) == ("rep", 2, "phrase")


def test_a_similarity_match_needs_its_score_at_the_threshold():
    text = "We keep payback short: most customers see it within months."
    fitted = tr.MessageTracker().fit(CATALOG.assign(key_phrases=None))
    s = fitted.score(turns((text,)))
    score = s.loc[s["message_id"] == "roi", "score"].max()
    assert 0 < score < 1
    above = tr.MessageTracker(threshold=score - 1e-9).fit(CATALOG.assign(key_phrases=None))
    below = tr.MessageTracker(threshold=score + 1e-9).fit(CATALOG.assign(key_phrases=None))
    assert matched(text, tracker=above).get("roi") == "similarity"
    assert "roi" not in matched(text, tracker=below)


def test_a_long_unpunctuated_turn_is_cut_into_windows_and_snippets_are_short():
    filler = " ".join(["so we talked about the rollout and the team"] * 12)
    m = tr.MessageTracker().fit(CATALOG).best_matches(turns((filler + " and the ROI calculator " + filler,)))
    assert m["method"].tolist() == ["phrase"]
    assert "ROI calculator" in m["snippet"][0] and len(m["snippet"][0]) <= tr.SNIPPET_CHARS


def test_bulk_tfidf_rows_equal_scikit_learns_transform():
    fitted = tr.MessageTracker().fit(CATALOG)
    texts = ["Our audit trails and SOC 2 report.", "Payback in months with the ROI calculator, three-year savings."]
    tk = tr.Tokens(texts)
    words = tk.words
    stop = np.array([w in tr.STOP_WORDS for w in words.to_pylist()])[tk.word_idx]
    x_word, x_char, *_ = fitted._tfidf(words, tk.word_idx[~stop], tk.win[~stop], np.arange(tk.n_windows),
                                       tk.n_windows)
    content = [" ".join(w for w in ws if w not in tr.STOP_WORDS) for ws in tr.analyze(texts)]
    np.testing.assert_allclose(x_word.toarray(), fitted.word_vectorizer_.transform(content).toarray())
    np.testing.assert_allclose(x_char.toarray(), fitted.char_vectorizer_.transform(content).toarray())


def test_the_version_changes_with_the_phrases_but_not_with_the_chunk_size():
    v = tr.MessageTracker().fit(CATALOG).version()
    assert tr.MessageTracker(chunk_size=7).fit(CATALOG).version() == v
    assert tr.MessageTracker().fit(CATALOG.assign(key_phrases="payback")).version() != v


def test_chunked_scoring_finds_what_one_chunk_finds():
    rows = [("Our SOC 2 report is ready.",), ("Small talk about the weather.",),
            ("Payback comes in months with the ROI calculator.",), ("We need data residency.", "prospect")] * 5
    one = tr.MessageTracker().fit(CATALOG).best_matches(turns(*rows))
    many = tr.MessageTracker(chunk_size=3).fit(CATALOG).best_matches(turns(*rows))
    pd.testing.assert_frame_equal(one, many)


# --- the labelled fixture ---------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def holdout() -> pd.DataFrame:
    return tr.evaluate_fixture("holdout")


def test_the_fixture_has_200_labelled_snippets_with_hard_negatives_in_both_splits():
    snippets, catalog = tr.fixture()
    assert len(snippets) >= 200
    assert list(snippets.columns) == ["snippet", "speaker_role", "message", "label", "split", "note"]
    assert set(snippets["message"]) == set(catalog["message_name"])
    for split in ("calibration", "holdout"):
        part = snippets[snippets["split"] == split]
        for note in ("same words, other sense", "competitor's claim", "prospect says it", "small talk", "paraphrase",
                     "generic sales talk"):
            assert part["note"].eq(note).groupby(part["message"]).sum().min() >= 1, (split, note)
    assert snippets.loc[snippets["speaker_role"] == "prospect", "label"].eq(0).all()


def test_calibration_still_chooses_the_stored_parameters():
    assert tr.calibrate() == (tr.MIN_SHARED_TERMS, tr.SIMILARITY_THRESHOLD)


def test_holdout_accuracy_comes_with_counts_and_wilson_intervals():
    h = holdout()
    assert (h["n_snippets"] == h[["tp", "fp", "fn", "tn"]].sum(axis=1)).all() and h["n_snippets"].sum() >= 90
    eps = 1e-9
    assert ((h["precision_low"] <= h["precision"] + eps) & (h["precision"] <= h["precision_high"] + eps)).all()
    assert ((h["recall_low"] <= h["recall"] + eps) & (h["recall"] <= h["recall_high"] + eps)).all()
    assert (h["threshold"] == tr.SIMILARITY_THRESHOLD).all()


def _floor_params(short: dict[str, str]):
    names = sorted(tr.fixture()[1]["message_name"])
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=f"measured short of the floor: {short[n]}"))
            if n in short else n for n in names]


@pytest.mark.parametrize("message", _floor_params(SHORT_OF_PRECISION))
def test_each_tracker_meets_the_precision_floor_on_the_holdout(message):
    assert holdout().set_index("message").loc[message, "precision"] >= PRECISION_FLOOR


@pytest.mark.parametrize("message", _floor_params(SHORT_OF_RECALL))
def test_each_tracker_meets_the_recall_floor_on_the_holdout(message):
    assert holdout().set_index("message").loc[message, "recall"] >= RECALL_FLOOR


def test_pooled_holdout_accuracy_does_not_fall_below_what_was_measured():
    h = holdout()[["tp", "fp", "fn"]].sum()
    assert h["tp"] / (h["tp"] + h["fp"]) >= 0.85 and h["tp"] / (h["tp"] + h["fn"]) >= 0.46


# --- tracking in a store ----------------------------------------------------------------------------------------
CALLS_HEADER = "Call ID,Call Date,Rep Email,Title,Duration,Transcript\n"


def call(i: int, rep_line: str, prospect_line: str = "Sounds good.") -> str:
    """One row of a call export: the rep's line, then the prospect's."""
    transcript = f"Ana Lopez: {rep_line}\nSam Carter: {prospect_line}"
    return f'c{i},2026-01-{(i % 27) + 1:02d} 10:00,ana@x.com,Call {i},0:30:00,"{transcript}"\n'


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    """A store with the fixture's catalog, one rep and three calls (built once, copied by each test)."""
    tmp = tmp_path_factory.mktemp("trackers")
    tr.fixture()[1].drop(columns="message_id").to_csv(tmp / "catalog.csv", index=False)
    (tmp / "reps.csv").write_text("Name,Email,Team\nAna Lopez,ana@x.com,East\n")
    (tmp / "calls.csv").write_text(CALLS_HEADER + call(1, "Every change is logged in an audit trail.")
                                   + call(2, "The weekend was lovely.", "Can you send the ROI calculator?")
                                   + call(3, "Nice to meet you."))
    con = db.connect(tmp / "h.duckdb")
    for kind, name in (("reps", "reps.csv"), ("messages", "catalog.csv"), ("activity", "calls.csv")):
        ingest_file(con, kind, tmp / name)
    con.close()
    return tmp


@pytest.fixture
def store(base_store, tmp_path):
    for name in ("h.duckdb", "catalog.csv"):
        shutil.copy(base_store / name, tmp_path / name)
    con = db.connect(tmp_path / "h.duckdb")
    yield con, tmp_path
    con.close()


def mentions(con) -> dict:
    return {(a.split(":")[-1], m): r for a, m, r in con.execute(
        "SELECT activity_id, message_id, speaker_role FROM message_mentions").fetchall()}


def test_an_activity_upload_scores_its_calls_and_the_next_upload_only_the_new_ones(store):
    con, tmp = store
    assert mentions(con) == {("c1", "security-first-value-prop"): "rep",
                             ("c2", "roi-calculator-talk-track"): "prospect"}
    first = dict(con.execute("SELECT activity_id, tracked_at FROM tracked_activities").fetchall())
    assert len(first) == 3
    (tmp / "more.csv").write_text(CALLS_HEADER + call(4, "Let me show you the ROI calculator."))
    ingest_file(con, "activity", tmp / "more.csv")
    now = dict(con.execute("SELECT activity_id, tracked_at FROM tracked_activities").fetchall())
    assert len(now) == 4 and all(now[a] == t for a, t in first.items())
    assert mentions(con)[("c4", "roi-calculator-talk-track")] == "rep"
    assert tracking.track_activities(con)["activities_scored"] == 0
    undone = con.execute("SELECT max(upload_id) FROM uploads").fetchone()[0]
    undo(con, undone)
    assert ("c4", "roi-calculator-talk-track") not in mentions(con)
    assert con.execute("SELECT count(*) FROM tracked_activities").fetchone()[0] == 3


def test_edited_key_phrases_rescore_everything_survive_the_same_catalog_and_undo(store):
    con, tmp = store
    out = tracking.set_key_phrases(con, "ai-copilot-positioning", ["weekend", "nice to meet you"], "pmm")
    assert out["activities_scored"] == 3
    assert mentions(con)[("c2", "ai-copilot-positioning")] == "rep"
    ingest_file(con, "messages", tmp / "catalog.csv")          # the same catalog again: the edit stays
    assert con.execute("SELECT key_phrases, key_phrases_source FROM messages WHERE message_id = "
                       "'ai-copilot-positioning'").fetchone() == ("weekend; nice to meet you", "edit")
    assert tracking.key_phrase_history(con)["state"].tolist() == ["in force"]
    tracking.undo_key_phrase_edit(con, out["edit_id"], "pmm")
    assert ("c2", "ai-copilot-positioning") not in mentions(con)
    assert tracking.key_phrase_history(con)["state"].tolist() == ["undone"]
    with pytest.raises(IngestError, match="already undone"):
        tracking.undo_key_phrase_edit(con, out["edit_id"], "pmm")
    with pytest.raises(IngestError, match="no message"):
        tracking.set_key_phrases(con, "no-such-message", "x", "pmm")


def test_a_catalog_with_other_phrases_supersedes_an_edit(store):
    con, tmp = store
    tracking.set_key_phrases(con, "ai-copilot-positioning", "weekend", "pmm")
    catalog = pd.read_csv(tmp / "catalog.csv")
    catalog.loc[catalog["message_name"] == "AI Copilot Positioning", "key_phrases"] = "copilot; meet you"
    catalog.to_csv(tmp / "catalog2.csv", index=False)
    ingest_file(con, "messages", tmp / "catalog2.csv")
    assert con.execute("SELECT key_phrases, key_phrases_source FROM messages WHERE message_id = "
                       "'ai-copilot-positioning'").fetchone() == ("copilot; meet you", "catalog")
    assert tracking.key_phrase_history(con)["state"].tolist() == ["superseded by a catalog upload"]
    assert ("c3", "ai-copilot-positioning") in mentions(con) and ("c2", "ai-copilot-positioning") not in mentions(con)


def test_without_kept_transcripts_text_goes_after_tracking_and_old_matches_stay(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_KEEP_TRANSCRIPTS", "false")
    catalog = tr.fixture()[1].drop(columns="message_id")
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    (tmp_path / "calls.csv").write_text(CALLS_HEADER + call(1, "Every change is logged in an audit trail."))
    con = db.connect(tmp_path / "h.duckdb")
    ingest_file(con, "messages", tmp_path / "catalog.csv")
    ingest_file(con, "activity", tmp_path / "calls.csv")
    assert con.execute("SELECT count(*) FROM activity_turns WHERE text IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(body) FROM activities").fetchone()[0] == 0
    assert con.execute("SELECT count(body) FROM activity_versions").fetchone()[0] == 0
    snippet = con.execute("SELECT snippet FROM message_mentions").fetchone()[0]
    assert "audit trail" in snippet
    out = tracking.set_key_phrases(con, "security-first-value-prop", "something else", "pmm")
    assert out["kept_without_text"] == 1 and out["activities_scored"] == 0
    assert con.execute("SELECT snippet FROM message_mentions").fetchone()[0] == snippet
    con.close()


def test_the_command_line_tracks_and_prints_counts(store, capsys):
    con, tmp = store
    con.close()
    assert cli.main(["track", "--all", "--json", "--db", str(tmp / "h.duckdb"), "--refresh", "skip"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["activities_scored"] == 3 and out["mentions"] == 2 and out["messages"] == 4


def test_a_catalog_names_key_phrases_under_its_own_header_and_separators(tmp_path):
    (tmp_path / "catalog.csv").write_text('Message,Launch Date,Talk track phrases\n'
                                          'ROI Calculator,2026-01-05,"ROI calculator, payback ,three-year savings"\n'
                                          'Security First,2026-02-01,SOC 2 | data residency\n')
    con = db.connect(tmp_path / "h.duckdb")
    result = ingest_file(con, "messages", tmp_path / "catalog.csv")
    assert result.columns["key_phrases"] == "Talk track phrases"
    assert dict(con.execute("SELECT message_id, key_phrases FROM messages").fetchall()) == {
        "roi-calculator": "ROI calculator; payback; three-year savings", "security-first": "SOC 2; data residency"}
    con.close()
