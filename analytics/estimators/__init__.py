"""Estimators by name: each takes frames (never a connection), learns `attr_` state in fit() and returns self.

Adding an estimator: one module here with a class (parameters in __init__, fit(...) -> self, tidy() -> DataFrame)
and one line in ESTIMATORS; the views that fetch its input frames choose it by name.
"""

from __future__ import annotations

from analytics.estimators.lift import ImputationLift
from analytics.estimators.memory import MemoryModel
from analytics.estimators.robust_lift import RobustImputationLift
from analytics.estimators.tracker import MessageTracker

ESTIMATORS = {cls.name: cls for cls in (ImputationLift, RobustImputationLift, MemoryModel, MessageTracker)}
