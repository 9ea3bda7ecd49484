"""Re-record the activities cassette against the local FakeAlpaca.

    uv run python -m tests.support.record_activity_cassettes

`activities_sync.yaml` is the whole exchange of a first `pm trades sync` with pages of 5
(the reference's 9 fills: pages of 5 and 4; its 6 non-trade activities: 5 and 1), oldest
first (``direction=asc``), each page asked for with the last id of the one before. URIs are
rewritten to Alpaca's paper host and the Server/Date headers dropped (cassettes/README.md).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import vcr
import yaml

from pm.broker.alpaca import AlpacaBroker
from pm.db.engine import open_database
from pm.services import trades
from tests.support.clocks import UtcClock
from tests.support.fake_alpaca import FakeAlpaca

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
PAPER = "https://paper-api.alpaca.markets"
ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"


def record(name: str = "activities_sync.yaml") -> Path:
    path = CASSETTES / name
    path.unlink(missing_ok=True)
    recorder = vcr.VCR(record_mode="all", filter_headers=["APCA-API-KEY-ID", "APCA-API-SECRET-KEY"])
    with FakeAlpaca() as srv, tempfile.TemporaryDirectory() as home:
        broker = AlpacaBroker(
            api_key="PKRECORDING0000000001",
            secret_key="recording-secret-0123456789",
            base_url=srv.base_url,
            clock=UtcClock(),
            max_attempts=1,
        )
        with open_database(f"sqlite:///{home}/pm.db") as db, recorder.use_cassette(str(path)):
            result = trades.sync(broker, db.repository(), ACCOUNT, UtcClock(), page_size=5)
        local = srv.base_url
    data = yaml.safe_load(path.read_text())
    for interaction in data["interactions"]:
        interaction["request"]["uri"] = interaction["request"]["uri"].replace(local, PAPER)
        headers = interaction["response"]["headers"]
        for drop in ("Server", "Date"):
            headers.pop(drop, None)
    text = yaml.safe_dump(data, sort_keys=True)
    path.write_text(re.sub(r"Python/[0-9.]+", "Python/3.11", text))
    print(f"{name}: {result.new_fills} fills, {result.new_cash} cash, {result.pages} pages")
    return path


if __name__ == "__main__":
    record()
