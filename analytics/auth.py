"""Who is looking, and what they may see: roles from the deployment's identity, with no Streamlit import.

Identity comes from Streamlit's OIDC login (when configured) or a trusted header set by a reverse proxy; roles are
mapped from emails in configuration. With neither, Huddle runs in local single-user mode as `admin`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

ROLES = ("admin", "ops", "leadership", "marketing", "manager")

# page key -> roles allowed; pages not listed are open to every role.
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
        return self.role != "marketing"


def can_open(user: User, page_key: str) -> bool:
    """Whether a role may open a page (enforced on the page as well as by hiding it from navigation)."""
    return user.role in PAGE_ROLES.get(page_key, ROLES)


def role_config(secrets: dict | None = None) -> dict[str, str]:
    """email -> role (or 'manager:Name') from $HUDDLE_ROLES (JSON) or the [huddle.roles] secrets table."""
    raw = os.environ.get("HUDDLE_ROLES")
    if raw:
        data = json.loads(raw)
    else:
        data = dict(((secrets or {}).get("huddle", {}) or {}).get("roles", {}) or {})
    return {str(k).strip().lower(): str(v).strip() for k, v in data.items()}


def resolve_user(oidc_email: str | None, header_email: str | None, config: dict[str, str],
                 default_role: str = "leadership") -> User:
    """Map the deployment's identity to a role; unknown people get the read-only default role."""
    if oidc_email:
        email, mode = oidc_email.strip().lower(), "oidc"
    elif header_email:
        email, mode = header_email.strip().lower(), "header"
    else:
        return User(email=None, role="admin", mode="local")
    spec = config.get(email, default_role)
    manager = None
    if spec.startswith("manager:"):
        spec, manager = "manager", spec.split(":", 1)[1].strip()
    if spec not in ROLES:
        spec = default_role
    return User(email=email, role=spec, mode=mode, manager_name=manager)


def visible_rep_ids(con, user: User) -> tuple[str, ...] | None:
    """The reps a user may see at rep level: None = all; managers see only their own team."""
    if user.role != "manager":
        return None
    rows = con.execute("SELECT rep_id FROM reps WHERE lower(manager) = lower($m) ORDER BY rep_id",
                       {"m": user.manager_name or ""}).fetchall()
    return tuple(r[0] for r in rows)
