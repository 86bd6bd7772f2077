"""Drawing the demo company's calls: when they happen, which messages the rep says (tied to certification and the
forgetting law), and their transcripts as speaker turns built from the sentence pools of talk.py."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..settings import PASS_MARK
from .names import ACCOUNT_TAILS, FIRST_NAMES, LAST_NAMES
from .talk import (
    CALL_TYPES, COMPETITORS, PROSPECT_BODY, PROSPECT_CLOSE, PROSPECT_NEGATIVES, PROSPECT_OPEN, REP_AGENDA, REP_BODY,
    REP_BYE, REP_NEGATIVES, REP_NEXT, REP_OPEN, REP_REPLY, TALK_TRACKS, TITLES, WEEKDAYS)
from .truth import CALLS, FORGETTING, PRODUCTS, expected_score

CONTACTS_PER_ACCOUNT = 2


def short_account(name: str) -> str:
    """How people say an account's name on a call: without its legal suffix (Inc., GmbH, ...)."""
    for tail in sorted(ACCOUNT_TAILS, key=len, reverse=True):
        if name.endswith(tail):
            return name[:-len(tail)]
    return name


def draw_contacts(rng: np.random.Generator, rep_names, n_accounts: int) -> np.ndarray:
    """(n_accounts, CONTACTS_PER_ACCOUNT) prospect names, from the name pools but never a rep's name."""
    taken = set(rep_names)
    names = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    if len(names) - len(taken) < 1000:        # a large company has used up the pairs: add middle initials
        names += [f"{f} {m}. {l}" for f in FIRST_NAMES for m in "ABCDEFGHJKLMNPRSTW" for l in LAST_NAMES]
    pool = np.array([name for name in names if name not in taken], dtype=object)
    return pool[rng.integers(0, len(pool), (n_accounts, CONTACTS_PER_ACCOUNT))]


def _recall_at(attempts: pd.DataFrame, rep, msg_ix: int, minute, ability, difficulty, big: int):
    """Remembered share (0..1) of the forgetting law at each call, from the pair's last graded attempt before it."""
    g = attempts[attempts["score"].notna() & (attempts["msg"] == msg_ix)]
    key = g["rep"].to_numpy(np.int64) * big + g["at_minute"].to_numpy(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    at = g["at_minute"].to_numpy(np.int64)[order]
    passed = ((g["kind"] == "Practice") & (g["score"] >= PASS_MARK)).to_numpy()[order]
    n_after = np.maximum(g["n_successes"].to_numpy()[order], 0) + passed
    q = rep.astype(np.int64) * big + minute
    ix = np.searchsorted(key, q, side="right") - 1
    ok = (ix >= 0) & (key[np.maximum(ix, 0)] // big == rep)
    ix = np.maximum(ix, 0)
    gap = np.where(ok, (minute - at[ix]) / 1440.0, 1e9)          # no attempt yet: nothing remembered
    f = FORGETTING
    score = expected_score(gap, np.where(ok, n_after[ix], 0), ability, difficulty)
    return np.where(ok, (score - f["floor"]) / f["scale"], 0.0)


def draw_calls(rng: np.random.Generator, reps: pd.DataFrame, msgs: pd.DataFrame, deals: pd.DataFrame,
               attempts: pd.DataFrame, launch: np.ndarray, span: int, accounts: np.ndarray,
               contacts: np.ndarray) -> pd.DataFrame:
    """Calls per deal with, per message i, whether the rep says it (said_i), is certified (certified_i), the call is
    in its scope (in_scope_i) and the rep's recall at the call (recall_i); hard negatives and transcripts."""
    c = CALLS
    m = len(deals)
    n_calls = rng.choice(len(c["per_deal_p"]), m, p=c["per_deal_p"])
    deal = np.repeat(np.arange(m), n_calls)
    created = deals["created_day"].to_numpy()[deal]
    close = deals["close_day"].to_numpy()[deal]
    last = np.minimum(close, span)
    day = created + np.floor(rng.random(len(deal)) * (last - created + 1)).astype(np.int64)
    minute = day * 1440 + rng.integers(8 * 60, 18 * 60, len(deal))
    keep = day <= span
    deal, day, minute, created, close = deal[keep], day[keep], minute[keep], created[keep], close[keep]
    order = np.lexsort((deal, minute))
    deal, day, minute, created, close = deal[order], day[order], minute[order], created[order], close[order]
    n = len(deal)
    life = (day - created) / np.maximum(close - created, 1)
    ctype = np.searchsorted(np.array(c["type_cuts"]), life, side="right")
    rep = deals["rep"].to_numpy()[deal]
    ability = reps["ability"].to_numpy()[rep]
    segment = deals["segment"].to_numpy()[deal]

    # Which messages the rep says: certification and the forgetting law at the call.
    n_msg, big = len(msgs), (span + 3) * 1440
    cert = attempts[(attempts["kind"] == "Certification") & (attempts["score"] >= PASS_MARK)]
    cert_min = np.full((len(reps), n_msg), np.inf)
    first = cert.groupby(["rep", "msg"])["at_minute"].min()
    cert_min[first.index.get_level_values(0), first.index.get_level_values(1)] = first.to_numpy()
    us = c["uncertified_share"]
    says_it = rng.random((len(reps), n_msg)) < msgs["use_share"].to_numpy()     # per rep: says it at all
    said, certified_at, in_scope, remembered = {}, {}, {}, {}
    for i, msg in msgs.iterrows():
        scope = minute >= launch[i] * 1440
        if pd.notna(msg["target_segment"]):
            scope &= segment == msg["target_segment"]
        is_cert = minute >= cert_min[rep, i]
        recall = _recall_at(attempts, rep, i, minute, ability, msg["difficulty"], big)
        p = np.where(is_cert, msg["use_max"] * (us + (1 - us) * recall), us * msg["use_max"])
        p = np.where(scope, np.where(says_it[rep, i], p, 0.0), c["organic"])
        said[i] = rng.random(n) < p
        certified_at[i] = is_cert
        in_scope[i] = scope
        remembered[i] = np.where(is_cert, recall, np.nan)
    phrase_p = np.where(np.column_stack([certified_at[i] for i in range(n_msg)]),
                        c["phrase_share"]["certified"], c["phrase_share"]["uncertified"])
    use_phrase = rng.random((n, n_msg)) < phrase_p
    two = rng.random((n, n_msg)) < c["two_sentences"]
    pros_neg = np.where(rng.random(n) < c["prospect_negative"], rng.integers(0, n_msg, n), -1)
    rep_neg = np.where(rng.random(n) < c["rep_negative"], rng.integers(0, n_msg, n), -1)

    account = deals["account"].to_numpy()[deal]
    contact = contacts[account, rng.integers(0, contacts.shape[1], n)]
    lo = np.array([c["minutes"][t][0] for t in CALL_TYPES])[ctype]
    hi = np.array([c["minutes"][t][1] for t in CALL_TYPES])[ctype]
    duration_s = (lo * 60 + np.floor(rng.random(n) * (hi - lo) * 60)).astype(np.int64)
    target = rng.integers(c["words"][0], c["words"][1] + 1, n)
    ints = rng.integers(0, 1 << 30, (n, 80))
    short = np.array([short_account(a) for a in accounts], dtype=object)
    names = reps["name"].to_numpy()
    said_m = np.column_stack([said[i] for i in range(n_msg)])
    transcripts, titles = _transcripts(
        names[rep], contact, short[account], ctype, target, ints, said_m, use_phrase, two, pros_neg, rep_neg,
        list(msgs["name"]))
    return pd.DataFrame({
        "deal": deal, "rep": rep, "day": day, "minute": minute, "call_type": np.array(CALL_TYPES)[ctype],
        "contact": contact, "duration_s": duration_s, "title": titles, "transcript": transcripts,
        "prospect_negative": pros_neg, "rep_negative": rep_neg,
        **{f"said_{i}": said[i] for i in range(n_msg)},
        **{f"certified_{i}": certified_at[i] for i in range(n_msg)},
        **{f"in_scope_{i}": in_scope[i] for i in range(n_msg)},
        **{f"recall_{i}": remembered[i] for i in range(n_msg)},
    })


def _pool(sentences) -> list[tuple[str, int]]:
    """A sentence pool as (text, words) pairs, words counted once (slots count as one word)."""
    return [(t, len(t.split())) for t in sentences]


def _transcripts(rep_names, contacts, accounts, ctype, target, ints, said, use_phrase, two, pros_neg, rep_neg,
                 message_names):
    """Speaker-turn transcripts ("Name: text" lines) and call titles, one Python pass over the calls.

    Body sentences are taken in turn from a random start in their pool (no sentence twice before the pool is
    used up); talk-track sentences and hard negatives join random body turns of their speaker.
    """
    tracks = [{k: _pool(v) for k, v in TALK_TRACKS[name].items()} for name in message_names]
    pnegs = [_pool(PROSPECT_NEGATIVES[name]) for name in message_names]
    rnegs = [_pool(REP_NEGATIVES[name]) for name in message_names]
    opens, popen, pclose = _pool(REP_OPEN), _pool(PROSPECT_OPEN), _pool(PROSPECT_CLOSE)
    nexts, byes, replies = _pool(REP_NEXT), _pool(REP_BYE), _pool(REP_REPLY)
    agenda = [_pool(REP_AGENDA[t]) for t in CALL_TYPES]
    rbody = [_pool(REP_BODY[t]) for t in CALL_TYPES]
    pbody = [_pool(PROSPECT_BODY[t]) for t in CALL_TYPES]
    titles_t = [TITLES[t] for t in CALL_TYPES]
    ctype, target, ints = ctype.tolist(), target.tolist(), ints.tolist()
    rows, cols = np.nonzero(said)                                  # per call, the messages the rep says
    said_ix = [[] for _ in range(len(ctype))]
    for r, c in zip(rows.tolist(), cols.tolist()):
        said_ix[r].append(c)
    use_phrase, two = use_phrase.tolist(), two.tolist()
    pros_neg, rep_neg = pros_neg.tolist(), rep_neg.tolist()
    rep_names, contacts, accounts = list(rep_names), list(contacts), list(accounts)
    out, titles = [], []
    for k in range(len(ctype)):
        draw = itertools.cycle(ints[k])      # 80 draws cover all but the longest calls
        t = ctype[k]
        rep, contact = rep_names[k], contacts[k]
        slots = {"p": contact.split(" ")[0], "r": rep.split(" ")[0], "acct": accounts[k],
                 "comp": COMPETITORS[next(draw) % len(COMPETITORS)], "prod": PRODUCTS[next(draw) % len(PRODUCTS)],
                 "n": 4 + next(draw) % 36, "wd": WEEKDAYS[next(draw) % len(WEEKDAYS)]}
        tt = titles_t[t]
        titles.append(tt[next(draw) % len(tt)].format(**slots))
        rep_extra, pro_extra = [], []
        for i in said_ix[k]:
            pool = tracks[i]["phrase" if use_phrase[k][i] else "paraphrase"]
            j = next(draw)
            rep_extra.append(pool[j % len(pool)])
            if two[k][i]:
                rep_extra.append(pool[(j + 1) % len(pool)])
        if rep_neg[k] >= 0:
            pool = rnegs[rep_neg[k]]
            rep_extra.append(pool[next(draw) % len(pool)])
        if pros_neg[k] >= 0:
            pool = pnegs[pros_neg[k]]
            pro_extra.append(pool[next(draw) % len(pool)])
        head = [(0, opens[next(draw) % len(opens)]), (1, popen[next(draw) % len(popen)]),
                (0, agenda[t][next(draw) % len(agenda[t])])]
        tail = [(0, nexts[next(draw) % len(nexts)]), (1, pclose[next(draw) % len(pclose)]),
                (0, byes[next(draw) % len(byes)])]
        words = sum(w for _, (_, w) in head + tail) + sum(w for _, w in rep_extra + pro_extra)
        rb, pb = rbody[t], pbody[t]
        r0, p0 = next(draw), next(draw)
        body = []
        j = 0
        while words < target[k] or j < 1:
            rs, ps = rb[(r0 + j) % len(rb)], pb[(p0 + j) % len(pb)]
            if j and next(draw) % 3 == 0:
                reply = replies[next(draw) % len(replies)]
                rep_extra.append(reply)
                words += reply[1]
            body += [[0, [rs]], [1, [ps]]]
            words += rs[1] + ps[1]
            j += 1
        for s in rep_extra:             # a talk-track sentence (or a reply) joins one of the rep's body turns
            turn = body[2 * (next(draw) % j)][1]
            turn.append(s) if next(draw) % 2 else turn.insert(0, s)
        for s in pro_extra:
            body[2 * (next(draw) % j) + 1][1].insert(0, s)
        who = (rep + ": ", contact + ": ")
        parts = []
        for w, (x, _) in head:
            parts.append(who[w] + x)
        for w, ss in body:
            parts.append(who[w] + " ".join([x for x, _ in ss]))
        for w, (x, _) in tail:
            parts.append(who[w] + x)
        text = "\n".join(parts)
        out.append(text.format(**slots) if "{" in text else text)
    return out, titles
