"""What counts as a missing value in every metric and sentence: None, NaN, infinity, NaT and pandas' NA."""

from __future__ import annotations

import numpy as np
import pandas as pd


def missing(x) -> bool:
    """True for None, NaN, +-inf, NaT and pd.NA; False for text and every finite number."""
    if x is None:
        return True
    if isinstance(x, str):
        return False
    if isinstance(x, (float, np.floating)):
        return not np.isfinite(x)
    return bool(pd.isna(x))
