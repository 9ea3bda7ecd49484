"""Reference data shipped inside the package (see the README for sources and licences)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import cache
from importlib import resources

SP500_SECTORS = "sp500-sectors.csv"


@cache
def sp500_sectors() -> Mapping[str, str]:
    """Symbol (upper case) → GICS sector of the S&P 500 constituents, read once."""
    text = resources.files(__name__).joinpath(SP500_SECTORS).read_text(encoding="utf-8")
    return {
        row["symbol"].strip().upper(): row["sector"].strip()
        for row in csv.DictReader(io.StringIO(text))
        if row.get("symbol") and row.get("sector")
    }
