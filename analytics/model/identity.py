"""Rep identity across files: email first, then CRM user id, then the normalized full name.

Strong keys (email, CRM user id) that appear together in one record belong to one person. A name joins the person
whose strong keys it was seen with, when that person is unique; two people sharing a name stay apart, and a name seen
with nobody's strong key is a person of its own. The roster supplies team, region, manager and hire date.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from ..db import sql


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
    people = people.sort_values(["source", "email", "crm", "name", "display"], na_position="last")
    records = [{k: (None if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else v)
                for k, v in rec.items()} for rec in people.to_dict("records")]
    uf = _UnionFind()
    for rec in records:
        strong = [k for k in (_k("email", rec["email"]), _k("crm", rec["crm"])) if k]
        for k in strong:
            uf.find(k)
        for a, b in zip(strong, strong[1:]):
            uf.union(a, b)
    name_groups: dict[str, set[str]] = {}
    for rec in records:
        strong = [k for k in (_k("email", rec["email"]), _k("crm", rec["crm"])) if k]
        if strong and isinstance(rec["name"], str):
            name_groups.setdefault(rec["name"], set()).add(uf.find(strong[0]))
    alias: dict[str, str] = {}
    for rec in records:
        for k in (_k("email", rec["email"]), _k("crm", rec["crm"])):
            if k:
                alias[k] = uf.find(k)
    for name, groups in name_groups.items():
        roots = {uf.find(g) for g in groups}
        if len(roots) == 1:
            alias["name:" + name] = roots.pop()
    for rec in records:
        name = rec["name"]
        if isinstance(name, str) and "name:" + name not in alias and name not in name_groups:
            alias["name:" + name] = "name:" + name
    # Group -> attributes; the roster row from the latest upload wins, else the most frequent spelling.
    groups: dict[str, list[dict]] = {}
    for rec in records:
        g = _group_of(rec, alias)
        if g is not None:
            groups.setdefault(g, []).append(rec)
    reps, gid = [], {}
    for group in sorted(groups):
        rows = groups[group]
        roster = sorted((r for r in rows if r["source"] == "roster"), key=lambda r: -(r["upload_id"] or 0))
        best = roster[0] if roster else None
        names = sorted(r["display"] for r in rows if isinstance(r["display"], str))
        emails = sorted(r["email"] for r in rows if isinstance(r["email"], str))
        name = best["display"] if best and best["display"] else (
            max(sorted(set(names)), key=names.count) if names else None)
        email = best["email"] if best and best["email"] else (emails[0] if emails else None)
        rep_id = "rep-" + hashlib.md5(group.encode()).hexdigest()[:10]
        gid[group] = rep_id
        reps.append({"rep_id": rep_id, "rep_name": name or email, "rep_email": email,
                     "team": best and best["team"], "region": best and best["region"],
                     "manager": best and best["manager"], "hire_date": best and best["hire_date"],
                     "in_roster": best is not None})
    reps_df = pd.DataFrame(reps, columns=["rep_id", "rep_name", "rep_email", "team", "region", "manager",
                                          "hire_date", "in_roster"])
    aliases = pd.DataFrame(sorted((k, gid[g]) for k, g in alias.items() if g in gid), columns=["alias_key", "rep_id"])
    return reps_df, aliases


def _k(prefix: str, value) -> str | None:
    return f"{prefix}:{value}" if isinstance(value, str) and value else None


def _group_of(rec: dict, alias: dict[str, str]) -> str | None:
    for k in (_k("email", rec["email"]), _k("crm", rec["crm"]), _k("name", rec["name"])):
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
