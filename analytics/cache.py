"""The one Streamlit-aware module of the library: short-lived connections and results cached per data version.

The dashboard never keeps the database file open between runs, so the command line can ingest while the app is up;
cached results are keyed on the store's state (the file's, or the shared store's snapshot id), so an upload (from
the app, another replica or the CLI) invalidates them.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from . import db, stores
from .estimators.memory import MemoryModel

# A fitted model is an argument of many cached calls: hash it by its fingerprint, not value by value.
HASH_FUNCS = {MemoryModel: lambda model: model.fingerprint}


def db_path() -> Path:
    """The dashboard's database file: the configured one, else the default, else (first run) the demo."""
    return db.dashboard_path()


def store() -> stores.StoreConfig:
    """The store of $HUDDLE_STORE (the shared store), else the file of $HUDDLE_DB."""
    return stores.resolve(None, db_path())


def data_key() -> tuple:
    """Changes whenever the data changes (the lake's snapshot id; the file's and its log's size and time)."""
    return stores.version_key(store())


@contextmanager
def connection(wait_seconds: float = 20.0):
    """A connection for one cached call, at one committed state; closed afterwards so other processes can write."""
    with stores.reading(store(), wait_seconds=wait_seconds) as con:
        yield con


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
