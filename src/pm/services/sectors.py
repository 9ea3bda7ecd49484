"""Sector classification: in-process cache, then `universe_fundamentals`, then the bundled
S&P 500 map, then "Unknown". Crypto and broad ETFs are decided by rule before any lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pm.data import sp500_sectors
from pm.domain.errors import BadInput
from pm.domain.portfolio import holding_key
from pm.domain.sectors import (
    Sector,
    SectorFileError,
    parse_sector_csv,
    rule_sector,
    unknown,
)
from pm.ports import Clock, SectorStore


class SectorResolver:
    """Resolves sectors; one instance per process keeps its answers in memory."""

    def __init__(self, store: SectorStore | None, bundled: Mapping[str, str] | None = None) -> None:
        self._store = store
        self._bundled = bundled if bundled is not None else sp500_sectors()
        self._cache: dict[str, Sector] = {}

    def resolve_many(
        self,
        symbols: Iterable[str],
        asset_classes: Mapping[str, str | None] | None = None,
    ) -> dict[str, Sector]:
        """Sector per symbol, keyed by `holding_key` (BTC/USD and BTCUSD are one answer); the
        database is asked once for all cache misses."""
        classes = {holding_key(k): v for k, v in (asset_classes or {}).items()}
        spelled: dict[str, str] = {}  # key -> the first spelling given ("XYZ/USD" is crypto)
        for symbol in symbols:
            spelled.setdefault(holding_key(symbol), symbol)
        order = list(spelled)
        result: dict[str, Sector] = {}
        misses: list[str] = []
        for sym in order:
            ruled = rule_sector(spelled[sym], classes.get(sym))
            if ruled is not None:
                result[sym] = ruled
            elif sym in self._cache:
                result[sym] = Sector(self._cache[sym].name, "cache")
            else:
                misses.append(sym)
        stored = self._store.sectors_for(misses) if misses and self._store is not None else {}
        for sym in misses:
            if sym in stored:
                found = Sector(stored[sym], "database")
            elif sym in self._bundled:
                found = Sector(self._bundled[sym], "bundled")
            else:
                found = unknown()
            if found.known:
                self._cache[sym] = found
            result[sym] = found
        return {sym: result[sym] for sym in order}


@dataclass(frozen=True, slots=True)
class ImportResult:
    file: str
    rows: int
    inserted: int
    updated: int


def import_csv(
    name: str, text: str, open_store: Callable[[], SectorStore], clock: Clock
) -> ImportResult:
    """Validate the whole CSV, then write it in one transaction (nothing on any bad row)."""
    try:
        records = parse_sector_csv(text)
    except SectorFileError as exc:
        raise BadInput(f"{name}: {exc}") from None
    inserted, updated = open_store().import_sectors(records, clock.now())
    return ImportResult(name, len(records), inserted, updated)
