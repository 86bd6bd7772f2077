"""The one Streamlit-aware module of the library: short-lived connections and results cached per data version.

The dashboard never keeps the database file open between runs, so the command line can ingest while the app is up;
cached results are keyed on the database file's state, so an upload (from the app or the CLI) invalidates them.
"""

from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from . import db
from .estimators.half_life import HalfLifeRegression

# A fitted model is an argument of many cached calls: hash it by its fingerprint, not value by value.
HASH_FUNCS = {HalfLifeRegression: lambda model: model.fingerprint}


def db_path() -> Path:
    return db.resolve_path(None)


def data_key() -> tuple:
    """Changes whenever the database changes (file and write-ahead log size and time), without opening it."""
    out = []
    path = db_path()
    for p in (path, Path(str(path) + ".wal")):
        try:
            s = os.stat(p)
            out.append((s.st_mtime_ns, s.st_size))
        except FileNotFoundError:
            out.append(None)
    return (str(path), *out)


@contextmanager
def connection(wait_seconds: float = 20.0):
    """A connection for one script run; closed afterwards so other processes can write."""
    con = db.connect(db_path(), wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


def run(fn, *args, **kwargs):
    """fn(con, *args, **kwargs), cached until the data changes. Arguments must be hashable values."""
    return _run(fn.__module__, fn.__qualname__, data_key(), args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=1000, hash_funcs=HASH_FUNCS)
def _run(module: str, name: str, key: tuple, args: tuple, kwargs: tuple):
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    with connection() as con:
        return fn(con, *args, **dict(kwargs))


def derived(fn, *args):
    """fn(*args) of values (frames hashed by content), cached: e.g. a CSV of a frame, not formatted again per rerun."""
    return _derived(fn.__module__, fn.__qualname__, args)


@st.cache_data(show_spinner=False, max_entries=200, hash_funcs=HASH_FUNCS)
def _derived(module: str, name: str, args: tuple):
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn(*args)


def clear() -> None:
    """Forget every cached result (after an upload in this process)."""
    _run.clear()
    _derived.clear()
