"""Feedback themes on generated notes with planted themes: naming, shares, quotes, distinctive terms."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

import analytics.db as db
from analytics.filters import Filters
from analytics.metrics import themes
from analytics.views import feedback
from test_lift import insert

PLANTED = {
    "bad": {"too long": ["The deck is too long, we lost the room halfway.",
                         "Way too long for a first call, the demo came after 25 minutes.",
                         "Too long: {n} slides before anything concrete."],
            "confused": ["Prospects confused about which tools we replace.",
                         "{account} asked if this is one product or five, prospects confused."],
            "pricing claims": ["Pricing claims challenged by procurement at {account}.",
                               "The 40% savings line backfired, pricing claims need backup."]},
    "good": {"compliance": ["Security team at {account} loved the compliance angle.",
                            "The compliance angle opened the door with legal."],
             "payback": ["CFO engaged with the payback math.", "Payback of {n} months caught the buyer's eye."]},
    "other": {"demo": ["Live copilot demo got a wow at {account}.", "Copilot demo made ops ask for a trial."]},
}
GENERIC = ["Used it with {account} and it landed well.", "Good opener for discovery calls."]
ACCOUNTS = ["Acme Corp", "Globex GmbH", "Initech Ltd", "Umbrella Group", "Stark Labs", "Wayne Foods"]


def feedback_world(con, n_per_message=120, seed=0, with_messages=True):
    """Notes of one to two sentences: the message's planted themes, sometimes a generic sentence."""
    rng = np.random.default_rng(seed)
    rows = []
    for message, pool in PLANTED.items():
        sentences = [s for phrasings in pool.values() for s in phrasings]
        for i in range(n_per_message):
            parts = [sentences[rng.integers(len(sentences))]]
            if rng.random() < 0.3:
                parts.append(GENERIC[rng.integers(len(GENERIC))])
            text = ("\n" if rng.random() < 0.2 else " ").join(parts)
            text = text.format(account=ACCOUNTS[rng.integers(len(ACCOUNTS))], n=int(rng.integers(10, 60)))
            rows.append((f"{message}-{i:04d}", message, date(2024, 1, 1) + timedelta(days=i),
                         float(np.clip(round(rng.normal(2.0 if message == "bad" else 4.0, 0.7)), 1, 5)), text))
    if with_messages:
        insert(con, "messages", pd.DataFrame({"message_id": list(PLANTED), "message_name": list(PLANTED),
                                              "in_catalog": True}))
    insert(con, "feedback", pd.DataFrame(rows, columns=["feedback_id", "message_id", "feedback_date", "rating",
                                                        "notes"]))
    return con


@pytest.fixture(scope="module")
def con():
    con = feedback_world(db.connect(":memory:"))
    yield con
    con.close()


def test_top_themes_of_a_poorly_received_message_name_its_planted_complaints(con):
    labels = feedback.top_themes(con, "bad", k=3)
    assert len(labels) == 3
    for planted in PLANTED["bad"]:
        assert any(planted in label for label in labels), (planted, labels)


def test_every_planted_theme_of_every_message_is_found(con):
    found = feedback.note_themes(con)
    for message, pool in PLANTED.items():
        labels = " | ".join(found.loc[found["message_id"] == message, "label"])
        for planted in pool:
            assert planted.split()[-1] in labels, (message, planted, labels)


def test_themes_carry_shares_ratings_and_quotes_from_their_own_notes(con):
    found = feedback.note_themes(con, Filters(), "bad", quotes=2)
    assert found["share"].sum() == pytest.approx(1.0)
    assert (found["avg_rating"] < 3).all()
    for row in found.itertuples():
        assert 1 <= len(row.quotes) <= 2
        assert all(any(t.split()[-1] in q.lower() for t in row.terms) for q in row.quotes), row
        assert all("\n" not in q for q in row.quotes)


def test_themes_are_deterministic(con):
    pd.testing.assert_frame_equal(feedback.note_themes(con), feedback.note_themes(con))


def test_distinctive_terms_set_the_poorly_received_message_apart(con):
    terms = feedback.distinctive_terms(con, Filters(), "bad", n=6)
    assert {"too long", "prospects confused", "pricing claims"} <= set(terms["term"])
    assert (terms["share_elsewhere"] == 0).all()
    generic = feedback.distinctive_terms(con, Filters(), "bad", n=500)
    assert "landed" not in set(generic["term"].head(20))


def test_feedback_counts_and_ratings_per_message_respect_as_of(con):
    summary = feedback.feedback_by_message(con).set_index("message_id")
    assert summary["feedback_count"].to_dict() == {"bad": 120, "good": 120, "other": 120}
    assert summary.loc["bad", "avg_rating"] < 3 < summary.loc["good", "avg_rating"]
    early = feedback.feedback_by_message(con, as_of=date(2024, 1, 10)).set_index("message_id")
    assert early["feedback_count"].to_dict() == {"bad": 10, "good": 10, "other": 10}


def test_messages_with_few_blank_or_no_notes_do_not_crash():
    con = db.connect(":memory:")
    assert feedback.top_themes(con, "nothing") == []
    insert(con, "feedback", pd.DataFrame({"feedback_id": ["a", "b", "c", "d"], "message_id": ["m", "m", "m", None],
                                          "rating": [3.0, None, 4.0, 5.0], "notes": [None, "   \n ", "ok", "x"]}))
    assert feedback.top_themes(con, "m") == []
    assert feedback.distinctive_terms(con, Filters(), "m").empty
    insert(con, "feedback", pd.DataFrame({"feedback_id": ["e", "f"], "message_id": ["m", "m"], "rating": [2.0, 1.0],
                                          "notes": ["Pricing claims challenged.", "Pricing claims again!"]}))
    found = feedback.note_themes(con, Filters(), "m")
    assert found["label"].iloc[0].startswith("pricing claims")


def test_distinctive_terms_of_all_messages_at_once_equal_each_message_alone(con):
    notes = feedback.entries(con)
    ids = sorted(notes["message_id"].dropna().unique()) + ["no-such-message"]
    together = themes.distinctive_terms(notes, ids)
    for message_id in ids:
        pd.testing.assert_frame_equal(together[message_id], themes.distinctive_terms(notes, [message_id])[message_id])
    assert together["no-such-message"].empty


def test_themes_of_one_message_are_its_rows_of_every_messages_themes(con):
    notes = feedback.entries(con)
    every = themes.themes_from_notes(notes)
    for message_id in notes["message_id"].dropna().unique():
        one = themes.themes_from_notes(notes, message_id)
        pd.testing.assert_frame_equal(every[every["message_id"] == message_id].reset_index(drop=True), one)
