"""Access control: identity sources, roles, the manager's rep scope in SQL, small-group suppression, app gating."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics import auth, db, upload_jobs
from analytics.filters import REP_PREDICATE, Filters

CONFIG = {"ops@acme.com": "ops", "cmo@acme.com": "marketing", "vp@acme.com": "leadership",
          "rachel@acme.com": "manager:Rachel Adams", "boss@acme.com": "admin"}


@pytest.fixture(autouse=True)
def no_identity_env(monkeypatch):
    for name in ("HUDDLE_TRUSTED_HEADER", "HUDDLE_ROLES"):
        monkeypatch.delenv(name, raising=False)


def test_without_any_identity_source_huddle_runs_as_the_local_admin():
    user = auth.resolve_user(None, None, auth.role_config({}))
    assert (user.role, user.mode, user.email) == ("admin", "local", None)


def test_a_missing_proxy_header_never_falls_back_to_local_admin(monkeypatch):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    user = auth.resolve_user(None, None, auth.role_config({}))
    assert user.role == auth.NO_ACCESS and not user.has_access
    assert not any(auth.can_open(user, page) for page in ("loaded", "data", "anything"))


def test_roles_come_from_configured_emails_whatever_their_case(monkeypatch):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    monkeypatch.setenv("HUDDLE_ROLES", json.dumps(CONFIG))
    config = auth.role_config({})
    assert auth.resolve_user(None, " Ops@ACME.com ", config).role == "ops"
    rachel = auth.resolve_user(None, "rachel@acme.com", config)
    assert (rachel.role, rachel.manager_name, rachel.mode) == ("manager", "Rachel Adams", "header")


def test_unknown_people_get_no_access_unless_everyone_else_has_a_role(monkeypatch):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    assert auth.resolve_user(None, "stranger@gmail.com", CONFIG).role == auth.NO_ACCESS
    assert auth.resolve_user(None, "stranger@gmail.com", {**CONFIG, "*": "marketing"}).role == "marketing"
    assert auth.resolve_user(None, "x@acme.com", {"x@acme.com": "superuser"}).role == auth.NO_ACCESS
    assert auth.resolve_user(None, "x@acme.com", {"x@acme.com": "manager"}).role == auth.NO_ACCESS


def test_roles_can_live_in_the_secrets_and_oidc_ignores_a_forged_header():
    secrets = {"auth": {"client_id": "x"}, "huddle": {"roles": {"CMO@acme.com": "marketing"}}}
    config = auth.role_config(secrets)
    assert config == {"cmo@acme.com": "marketing"} and config.source == "oidc"
    assert auth.resolve_user(None, "boss@acme.com", config).role == auth.NO_ACCESS
    assert auth.resolve_user("cmo@acme.com", None, config).role == "marketing"


def test_only_ops_and_admin_may_open_the_data_page_and_upload():
    allowed = {role for role in auth.ROLES if auth.can_open(auth.User("a@b", role, "header", "M"), "data")}
    assert allowed == {"admin", "ops"}
    assert {r for r in auth.ROLES if auth.User("a@b", r, "header").can_upload} == {"admin", "ops"}
    assert all(auth.can_open(auth.User("a@b", r, "header", "M"), "loaded") for r in auth.ROLES)


def test_read_only_roles_are_refused_by_the_library_not_only_the_page(tmp_path):
    for role in ("leadership", "marketing", "manager"):
        user = auth.User("x@acme.com", role, "header", "Rachel Adams")
        with pytest.raises(PermissionError):
            upload_jobs.UploadJob(tmp_path / "h.duckdb", [], dry_run=True, user=user)
        with pytest.raises(PermissionError):
            upload_jobs.undo_upload(tmp_path / "h.duckdb", 1, user)
        with pytest.raises(PermissionError):
            upload_jobs.link_person(tmp_path / "h.duckdb", "a", "b", user)


@pytest.fixture
def two_teams():
    con = db.connect(":memory:")
    con.execute("""INSERT INTO reps VALUES
        ('r1', 'Ann', 'ann@acme.com', 'East', 'NA', 'Rachel Adams', NULL, true),
        ('r2', 'Bo', 'bo@acme.com', 'East', 'NA', 'Rachel Adams', NULL, true),
        ('r3', 'Cy', 'cy@acme.com', 'West', 'NA', 'Tom Lee', NULL, true)""")
    for i, rep in enumerate(["r1", "r2", "r3", "r3", None]):
        con.execute("INSERT INTO opportunities (opportunity_id, rep_id, outcome, amount) VALUES ($i, $r, 'won', 1)",
                    {"i": f"o{i}", "r": rep})
    yield con
    con.close()


def _deal_reps(con, filters: Filters) -> list[str]:
    sql = f"SELECT DISTINCT r.rep_id FROM opportunities o JOIN reps r USING (rep_id) WHERE {REP_PREDICATE} ORDER BY 1"
    params = {k: v for k, v in filters.params().items() if k in ("teams", "regions", "managers", "rep_ids")}
    return [r[0] for r in con.execute(sql, params).fetchall()]


def scoped(con, user, filters: Filters | None = None) -> Filters:
    """The sidebar's filters with the user's rep scope, as pages/_ui composes them."""
    return replace(filters or Filters(), rep_ids=auth.visible_rep_ids(con, user))


def test_a_manager_gets_only_their_own_teams_reps_from_the_sql(two_teams):
    rachel = auth.User("rachel@acme.com", "manager", "header", "rachel adams")
    assert _deal_reps(two_teams, scoped(two_teams, rachel)) == ["r1", "r2"]
    # Asking for another team cannot widen the scope.
    assert _deal_reps(two_teams, scoped(two_teams, rachel, Filters(teams=("West",)))) == []
    lead = auth.User("vp@acme.com", "leadership", "header")
    assert _deal_reps(two_teams, scoped(two_teams, lead)) == ["r1", "r2", "r3"]


def test_a_manager_whose_name_matches_no_team_sees_nobody(two_teams):
    ghost = auth.User("g@acme.com", "manager", "header", "Nobody Here")
    assert auth.visible_rep_ids(two_teams, ghost) == ()
    assert _deal_reps(two_teams, scoped(two_teams, ghost)) == []


def test_the_app_asks_for_a_login_when_oidc_is_configured_and_shows_nothing_else(demo_copy):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s",
                          "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "https://example.com/.well-known/openid-configuration"}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric and not at.file_uploader


def test_the_app_behind_a_proxy_without_the_header_shows_nothing(demo_copy, monkeypatch):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("No identity reached Huddle" in e.value for e in at.error)
    assert not at.metric


def test_a_signed_in_marketing_user_has_no_data_page_even_by_url(demo_copy, monkeypatch):
    monkeypatch.setenv("HUDDLE_ROLES", json.dumps({"cmo@acme.com": "marketing"}))
    at = AppTest.from_file(str(ROOT / "pages" / "ops" / "data.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "cmo@acme.com"}
    at.run()
    assert not at.exception
    assert any("do not have access" in e.value for e in at.error)
    assert not at.file_uploader and not at.tabs
