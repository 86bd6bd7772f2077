"""Small-group suppression: rep-level aggregates of groups under $HUDDLE_MIN_GROUP_SIZE reps are blanked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.settings import min_group_size


def suppress_small_groups(frame: pd.DataFrame, size_column: str, value_columns: list[str],
                          min_size: int | None = None) -> pd.DataFrame:
    """Blank the values of groups with fewer than `min_size` members; `is_suppressed` marks them."""
    min_size = min_group_size() if min_size is None else min_size
    out = frame.copy()
    small = out[size_column].fillna(0).astype(float) < min_size
    for column in value_columns:
        out[column] = out[column].astype(float).where(~small, np.nan)
    out["is_suppressed"] = small.to_numpy(dtype=bool)
    return out
