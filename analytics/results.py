"""Stored results: a function marked `@stored()` reads its result from the `precomputed` table when there is one.

Results are keyed by the function, its arguments and the data version (analytics.db.data_version); without one the
function computes as usual. An upload bumps the data version, so a stale result is never read. A stored result is
the function's own output, encoded losslessly (JSON, data frames as Parquet): identical to computing on demand.
What is stored after each upload is decided by analytics.refresh; filtered views compute on demand and are cached
per process by analytics.cache.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import importlib
import inspect
import io
import json
import math
import time
from collections.abc import Callable
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd

from analytics import db

TABLE = "precomputed"
MISSING = object()
STORED: dict[str, Callable] = {}          # name -> the wrapped function, for refresh and tests


# ------------------------------------------------------------------------------------------ keys

def canonical(value):
    """A JSON-ready, order-stable form of an argument (dates, tuples, dataclasses, fitted models, frames)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return {"ts": value.isoformat()}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
        return {"sha256": _digest(value)}
    if getattr(type(value), "fingerprint", None) is not None:       # e.g. a fitted MemoryModel
        return {"class": type(value).__qualname__, "fingerprint": value.fingerprint}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"class": type(value).__qualname__, **fields}
    raise TypeError(f"cannot key a stored result on a {type(value).__name__}")


def args_key(arguments: dict) -> str:
    """sha256 of the canonical arguments."""
    text = json.dumps(canonical(arguments), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(value) -> str:
    if isinstance(value, np.ndarray):
        value = pd.Series(value.ravel())
    hashed = pd.util.hash_pandas_object(value, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes() + repr(list(getattr(value, "columns", []))).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ encoding

def encode(value) -> str:
    """The result as text: JSON, data frames as base64 Parquet, fitted models by their fields."""
    return json.dumps(_encode(value), allow_nan=True)


def decode(text: str):
    """The inverse of encode."""
    return _decode(json.loads(text))


def _encode(value):
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.DataFrame):
        buf = io.BytesIO()
        value.to_parquet(buf, index=True)
        lists = [c for c in value.columns if value[c].dtype == object
                 and any(isinstance(v, list) for v in value[c].head(50))]
        objects = [c for c in value.columns if isinstance(c, str) and value[c].dtype == object and c not in lists]
        return {"__frame__": base64.b64encode(buf.getvalue()).decode(), "lists": lists, "objects": objects}
    if isinstance(value, pd.Series):
        return {"__series__": _encode(value.to_frame(name="value"))}
    if isinstance(value, np.ndarray):          # e.g. a fitted model's parameters (JSON floats round-trip exactly)
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, pd.Timestamp):
        return {"__ts__": value.isoformat()}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def _decode(value):
    if not isinstance(value, (dict, list)):
        return value
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if "__frame__" in value:
        frame = pd.read_parquet(io.BytesIO(base64.b64decode(value["__frame__"])))
        for column in value["lists"]:
            frame[column] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[column]]
        for column in value.get("objects", ()):     # text read back as pandas' string dtype: object, as stored
            if frame[column].dtype != object:
                frame[column] = frame[column].astype(object)
        return frame
    if "__series__" in value:
        return _decode(value["__series__"])["value"].rename(None)
    if "__array__" in value:
        return np.array(value["__array__"], dtype=np.dtype(value["dtype"]))
    if "__ts__" in value:
        return pd.Timestamp(value["__ts__"])
    if "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    if "__date__" in value:
        return date.fromisoformat(value["__date__"])
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if "__dataclass__" in value:
        return _dataclass(value["__dataclass__"])(**{k: _decode(v) for k, v in value["fields"].items()})
    raise ValueError(f"unknown stored value: {sorted(value)}")


def _dataclass(path: str):
    """Only Huddle's own dataclasses are rebuilt from the database."""
    module, name = path.split(":")
    if not module.startswith("analytics."):
        raise ValueError(f"refusing to rebuild {path}")
    cls = importlib.import_module(module)
    for part in name.split("."):
        cls = getattr(cls, part)
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"{path} is not a dataclass")
    return cls


# ------------------------------------------------------------------------------------------ the store

def has_table(con) -> bool:
    """Whether the database has the precomputed table (a read-only copy of an old file may not)."""
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND schema_name = 'main'",
                       {"t": TABLE}).fetchall()[0][0] > 0


def load(con, name: str, key: str):
    """The stored result for the current data version, or MISSING."""
    if not has_table(con):
        return MISSING
    row = con.execute(f"""SELECT payload FROM {TABLE}
                          WHERE name = $name AND args_key = $key
                            AND data_version = (SELECT coalesce(max(version), 0) FROM data_version)
                          LIMIT 1""", {"name": name, "key": key}).fetchall()     # all: no unfinished result
    return MISSING if not row else decode(row[0][0])


def save(con, name: str, key: str, value, seconds: float | None = None) -> None:
    """Store a result for the current data version (replacing the one stored for these arguments)."""
    con.execute(f"DELETE FROM {TABLE} WHERE name = $name AND args_key = $key", {"name": name, "key": key})
    con.execute(f"INSERT INTO {TABLE} VALUES ($name, $key, $version, $at, $seconds, $payload)",
                {"name": name, "key": key, "version": db.data_version(con), "seconds": seconds,
                 "at": datetime.now(timezone.utc).replace(tzinfo=None), "payload": encode(value)})


def stored(key: Callable | None = None):
    """Mark `fn(con, ...)` as precomputable: its stored result when there is one for the call's key, else computed."""
    # `key(con, arguments) -> dict` may normalize the arguments so that argument sets that provably give the same
    # answer (an as-of date after the last closed deal) share one key. fn.compute is the plain computation and
    # fn.key(con, *args, **kwargs) the key of a call.
    def wrap(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        signature = inspect.signature(fn)

        def key_of(con, *args, **kwargs) -> str:
            bound = signature.bind(con, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(list(bound.arguments.items())[1:])
            return args_key(key(con, arguments) if key is not None else arguments)

        @functools.wraps(fn)
        def wrapper(con, *args, **kwargs):
            found = load(con, name, key_of(con, *args, **kwargs))
            return fn(con, *args, **kwargs) if found is MISSING else found

        wrapper.compute = fn
        wrapper.key = key_of
        wrapper.stored_name = name
        STORED[name] = wrapper
        return wrapper
    return wrap


def store_call(con, fn, *args, **kwargs):
    """Compute fn(con, ...) (a `@stored` function) afresh, store it under its key and return it."""
    started = time.perf_counter()
    value = fn.compute(con, *args, **kwargs)
    save(con, fn.stored_name, fn.key(con, *args, **kwargs), value, time.perf_counter() - started)
    return value


def status(con) -> pd.DataFrame:
    """What is stored for the current data version: one row per result, with the seconds it took."""
    if not has_table(con):
        return pd.DataFrame(columns=["name", "n_results", "seconds"])
    return con.execute(f"""SELECT name, count(*) AS n_results, sum(seconds) AS seconds FROM {TABLE}
                           WHERE data_version = (SELECT coalesce(max(version), 0) FROM data_version)
                           GROUP BY name ORDER BY name""").df()
