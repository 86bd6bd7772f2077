"""Who is looking, and what they may see: roles from the deployment's identity, with no Streamlit import.

Identity comes from Streamlit's OIDC login (when `[auth]` is configured in secrets) or from a trusted header set by a
reverse proxy (`$HUDDLE_TRUSTED_HEADER`); roles are mapped from emails in configuration (`$HUDDLE_ROLES` or the
`[huddle.roles]` secrets table, `"*"` for everyone else). With neither source configured, Huddle runs in local
single-user mode as `admin`. When a source is configured, a person it does not identify, or one with no role, gets
no access at all: a missing header never falls back to local mode.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from analytics.db import sql
from analytics.settings import ALLOW_PUBLIC_HEADER_ENV, ROLES_ENV, TRUSTED_HEADER_ENV

ROLES = ("admin", "ops", "leadership", "marketing", "manager")
NO_ACCESS = "none"

# page key -> roles allowed; pages not listed are open to every role. Rep-level pages list the roles that see reps.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "data": ("admin", "ops"),
}

@dataclass(frozen=True)
class User:
    """The person using the dashboard."""

    email: str | None
    role: str
    mode: str                     # local | oidc | header
    manager_name: str | None = None

    @property
    def can_upload(self) -> bool:
        return self.role in ("admin", "ops")

    @property
    def sees_rep_detail(self) -> bool:
        """Marketing sees rep-level metrics only aggregated."""
        return self.role in ROLES and self.role != "marketing"

    @property
    def has_access(self) -> bool:
        return self.role in ROLES


def can_open(user: User, page_key: str) -> bool:
    """Whether a role may open a page (enforced on the page as well as by hiding it from navigation)."""
    return user.role in PAGE_ROLES.get(page_key, ROLES)


def _huddle_section(secrets: Mapping | None) -> Mapping:
    try:
        return (secrets or {}).get("huddle", {}) or {}
    except Exception:
        return {}


class RoleConfig(dict):
    """email -> role, remembering which identity source the deployment that supplied it requires."""

    source: str | None = None


def role_config(secrets: Mapping | None = None) -> RoleConfig:
    """email -> role (or 'manager:Name') from $HUDDLE_ROLES (JSON) or the [huddle.roles] secrets table."""
    raw = os.environ.get(ROLES_ENV)
    if raw:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("HUDDLE_ROLES must be a JSON object of email -> role")
    else:
        data = dict(_huddle_section(secrets).get("roles", {}) or {})
    config = RoleConfig({str(k).strip().lower(): str(v).strip() for k, v in data.items()})
    config.source = identity_source(secrets)
    return config


def identity_source(secrets: Mapping | None = None) -> str:
    """oidc when secrets hold an [auth] section, header when $HUDDLE_TRUSTED_HEADER is set, else local."""
    try:
        if secrets is not None and "auth" in secrets:
            return "oidc"
    except Exception:
        pass
    return "header" if os.environ.get(TRUSTED_HEADER_ENV) else "local"


def is_loopback(address: str | None) -> bool:
    """Whether a server address is reachable from this machine only (unset or 0.0.0.0 means every interface)."""
    host = (address or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False        # empty (every interface), a host name or a public address


def header_mode_refusal(source: str, address: str | None) -> str | None:
    """Why the dashboard must not serve pages, or None: trusted-header mode on an address others can reach.

    Anyone who reaches the port directly could send the header and be whoever they like, so the header is trusted
    only when Streamlit listens on loopback behind the proxy, or when the deployment says so explicitly
    ($HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER=1: a firewall lets only the proxy reach the port).
    """
    if source != "header" or is_loopback(address) or os.environ.get(ALLOW_PUBLIC_HEADER_ENV, "").strip() == "1":
        return None
    where = f"address {address}" if (address or "").strip() else "every network interface"
    return (f"Huddle is not serving pages: it trusts the {os.environ.get(TRUSTED_HEADER_ENV)} header for identity "
            f"but listens on {where}, so anyone who reaches the port could forge that header. Start it on "
            f"127.0.0.1 behind the sign-in proxy (`make run` does), or set {ALLOW_PUBLIC_HEADER_ENV}=1 if only the "
            "proxy can reach this port.")


def resolve_user(oidc_email: str | None, header_email: str | None, config: Mapping[str, str],
                 default_role: str = NO_ACCESS, source: str | None = None) -> User:
    """Map the deployment's identity to a role; people the configuration does not list get `"*"` or no access.

    source (local | header | oidc) says which identity the deployment requires; by default it is the one recorded
    by role_config (from the secrets and environment), so a page opened without the login or the proxy's header
    never falls back to local admin.
    """
    if source is None:
        source = getattr(config, "source", None) or ("oidc" if oidc_email else identity_source(None))
    if oidc_email and oidc_email.strip():
        email, mode = oidc_email.strip().lower(), "oidc"
    elif header_email and header_email.strip() and source == "header":
        email, mode = header_email.strip().lower(), "header"
    elif source == "local":
        return User(email=None, role="admin", mode="local")
    else:
        return User(email=None, role=NO_ACCESS, mode=source)
    spec = config.get(email, config.get("*", default_role))
    manager = None
    if spec.startswith("manager:"):
        spec, manager = "manager", spec.split(":", 1)[1].strip()
    if spec not in ROLES:
        spec = NO_ACCESS
    if spec == "manager" and not manager:
        spec = NO_ACCESS      # a manager without a team would see nothing; say so instead
    return User(email=email, role=spec, mode=mode, manager_name=manager)


def visible_rep_ids(con, user: User) -> tuple[str, ...] | None:
    """The reps a user may see at rep level: None = all; managers see only their own team."""
    if user.role != "manager":
        return None if user.has_access else ()
    rows = con.execute(sql("queries/visible_rep_ids.sql"), {"manager": user.manager_name or ""}).fetchall()
    return tuple(r[0] for r in rows)
