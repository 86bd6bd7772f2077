"""Estimators by name: each takes frames (never a connection), learns `attr_` state in fit() and returns self.

Adding an estimator: one module here with a class (parameters in __init__, fit(...) -> self, tidy() -> DataFrame)
and one line in _WHERE; the views that fetch its input frames choose it by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

# name -> (module, class). A module is imported the first time its estimator is asked for: the command line and
# uploads other than activities and catalogs need neither scipy nor scikit-learn (a test checks the names).
_WHERE = {
    "imputation_lift": ("lift", "ImputationLift"),
    "robust_imputation": ("robust_lift", "RobustImputationLift"),
    "memory": ("memory", "MemoryModel"),
    "message_tracker": ("tracker", "MessageTracker"),
}


class _Registry(Mapping):
    """The estimator classes by name, each module imported on first use."""

    def __getitem__(self, name: str) -> type:
        module, cls = _WHERE[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


ESTIMATORS: Mapping[str, type] = _Registry()
