"""Rep identity across files: email first, then CRM user id, then the normalized full name.

Strong keys (email, CRM user id) that appear together in one record belong to one person. A name joins the person
whose strong keys it was seen with, when that person is unique; two people sharing a name stay apart, and a name seen
with nobody's strong key is a person of its own. The roster supplies team, region, manager and hire date.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from .db import sql


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def resolve(people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People references -> (reps, aliases). Deterministic whatever the row order."""
    people = people.sort_values(["source", "email", "crm", "name"], na_position="last").reset_index(drop=True)
    uf = _UnionFind()
    name_groups: dict[str, set[str]] = {}
    for rec in people.itertuples(index=False):
        strong = [k for k in (_k("email", rec.email), _k("crm", rec.crm)) if k]
        for k in strong:
            uf.find(k)
        for a, b in zip(strong, strong[1:]):
            uf.union(a, b)
    for rec in people.itertuples(index=False):
        strong = [k for k in (_k("email", rec.email), _k("crm", rec.crm)) if k]
        if strong and isinstance(rec.name, str):
            name_groups.setdefault(rec.name, set()).add(uf.find(strong[0]))
    alias: dict[str, str] = {}
    for rec in people.itertuples(index=False):
        for k in (_k("email", rec.email), _k("crm", rec.crm)):
            if k:
                alias[k] = uf.find(k)
    for name, groups in name_groups.items():
        roots = {uf.find(g) for g in groups}
        if len(roots) == 1:
            alias["name:" + name] = roots.pop()
    for rec in people.itertuples(index=False):
        if isinstance(rec.name, str) and "name:" + rec.name not in alias and rec.name not in name_groups:
            alias["name:" + rec.name] = "name:" + rec.name
    # Group -> attributes, roster first (latest roster upload wins).
    people = people.assign(group=[_group_of(r, alias) for r in people.itertuples(index=False)])
    people = people[people["group"].notna()]
    reps = []
    for group, rows in people.groupby("group", sort=True):
        roster = rows[rows["source"] == "roster"].sort_values("upload_id", ascending=False)
        best = roster.iloc[0] if len(roster) else None
        names = rows["display"].dropna()
        emails = rows["email"].dropna()
        reps.append({
            "rep_id": "rep-" + hashlib.md5(group.encode()).hexdigest()[:10],
            "rep_name": (best["display"] if best is not None and isinstance(best["display"], str)
                         else (names.mode().sort_values().iloc[0] if len(names) else None)),
            "rep_email": (best["email"] if best is not None and isinstance(best["email"], str)
                          else (sorted(emails)[0] if len(emails) else None)),
            "team": None if best is None else best["team"],
            "region": None if best is None else best["region"],
            "manager": None if best is None else best["manager"],
            "hire_date": None if best is None else best["hire_date"],
            "in_roster": best is not None,
            "group": group,
        })
    reps_df = pd.DataFrame(reps, columns=["rep_id", "rep_name", "rep_email", "team", "region", "manager",
                                          "hire_date", "in_roster", "group"])
    gid = dict(zip(reps_df["group"], reps_df["rep_id"]))
    aliases = pd.DataFrame(sorted((k, gid[g]) for k, g in alias.items() if g in gid),
                           columns=["alias_key", "rep_id"])
    if reps_df["rep_name"].isna().any():
        reps_df["rep_name"] = reps_df["rep_name"].fillna(reps_df["rep_email"])
    return reps_df.drop(columns="group"), aliases


def _k(prefix: str, value) -> str | None:
    return f"{prefix}:{value}" if isinstance(value, str) and value else None


def _group_of(rec, alias: dict[str, str]) -> str | None:
    for k in (_k("email", rec.email), _k("crm", rec.crm), _k("name", rec.name)):
        if k and k in alias:
            return alias[k]
    return None


def rebuild_reps(con) -> None:
    """Rebuild reps and rep_aliases from every person reference in the active uploads."""
    people = con.execute(sql("build/people_seen.sql")).df()
    reps, aliases = resolve(people)
    con.execute("DELETE FROM rep_aliases")
    con.execute("DELETE FROM reps")
    if len(reps):
        reps["hire_date"] = pd.to_datetime(reps["hire_date"]).dt.date
        con.register("new_reps", reps)
        con.execute("INSERT INTO reps SELECT rep_id, rep_name, rep_email, team, region, manager, hire_date, "
                    "in_roster FROM new_reps")
        con.unregister("new_reps")
    if len(aliases):
        con.register("new_aliases", aliases)
        con.execute("INSERT INTO rep_aliases SELECT alias_key, rep_id FROM new_aliases")
        con.unregister("new_aliases")
