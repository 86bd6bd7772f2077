"""Every grain model in sql/marts/ has a unique key on the demo company's data (dbt-style unique tests)."""

import shutil
from pathlib import Path

import pytest

from analytics import db
from analytics.db import sql

MARTS = Path(__file__).resolve().parents[1] / "sql" / "marts"
# model -> the columns whose values identify one row (its grain, stated on the model's first line)
KEYS = {
    "dim_messages": ("message_id",),
    "dim_retention_pairs": ("rep_id", "message_id"),
    "fct_last_uploads": ("kind",),
    "fct_loaded": ("kind",),
    "fct_retention_attempts": ("attempt_id",),
    "fct_unknown_messages": ("message_id",),
    "fct_unmatched_people": ("rep_id", "name"),
}


def test_every_grain_model_has_a_declared_key_and_no_parameters():
    models = {p.stem for p in MARTS.glob("*.sql")}
    assert models == set(KEYS)
    for name in models:
        text = sql(f"marts/{name}.sql")
        assert text.startswith("-- One row per"), name
        assert "$" not in text, name          # parameterized queries live in sql/queries/


@pytest.fixture(scope="module")
def marts_con(demo_world, tmp_path_factory):
    """The demo database plus what the demo lacks: messages missing from the catalog, people matching no roster rep."""
    path = tmp_path_factory.mktemp("marts") / "demo.duckdb"
    shutil.copy(demo_world["db"], path)
    con = db.connect(path)
    con.execute("INSERT INTO messages (message_id, message_name, in_catalog) VALUES "
                "('unknown-a', 'Unknown A', false), ('unknown-b', 'Unknown B', false)")
    con.execute("INSERT INTO reps (rep_id, rep_name, in_roster) VALUES ('ghost-1', 'Ghost One', false), "
                "('ghost-2', 'Ghost Two', false)")
    con.execute("INSERT INTO opportunities (opportunity_id, rep_id, owner_name, outcome) VALUES "
                "('g1', 'ghost-1', 'Ghost One', 'open'), ('g2', 'ghost-2', 'Ghost Two', 'open'), "
                "('g3', NULL, 'Shared Name', 'open'), ('g4', NULL, 'Shared Name', 'open')")
    yield con
    con.close()


@pytest.mark.parametrize("name", sorted(KEYS))
def test_the_grain_models_key_is_unique(marts_con, name):
    key = ", ".join(KEYS[name])
    rows, distinct = marts_con.execute(
        f"SELECT count(*), count(DISTINCT ({key})) FROM ({sql(f'marts/{name}.sql')}) AS model").fetchone()
    assert rows > 0, name
    assert rows == distinct, name
