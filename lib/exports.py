"""Files the dashboard hands out: CSV downloads that open safely in a spreadsheet."""
from __future__ import annotations

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (CSV injection) in a download."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flat(value: object) -> object:
    """Join a list cell with '; ' so it fits one CSV cell."""
    if isinstance(value, str) or value is None:
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value


def to_csv(frame: pd.DataFrame) -> bytes:
    """Return a table as UTF-8 CSV with a BOM (so Excel shows accents), list cells joined, formulas defused."""
    plain = pd.DataFrame({column: [safe_cell(_flat(v)) for v in frame[column].tolist()] for column in frame.columns})
    return plain.to_csv(index=False).encode("utf-8-sig")
