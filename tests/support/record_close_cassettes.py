"""Re-record the CLI cassettes for `pm close` / `pm close-all` against the local FakeAlpaca.

    uv run python -m tests.support.record_close_cassettes

Each cassette is the whole exchange of one command (account and positions for the plan and
validation, the positions again under the order lock, then each POST /v2/orders and its
lookup by client_order_id), with URIs rewritten to Alpaca's paper host and the Server/Date
headers dropped, as cassettes/README.md describes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import vcr
import yaml

from pm.cli.main import run
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
PAPER = "https://paper-api.alpaca.markets"


def record(name: str, argv: list[str], expected: int, *, partial: bool = False) -> Path:
    """Record until vcrpy has kept every interaction (it can drop one of two concurrent
    requests while recording)."""
    for _ in range(10):
        path = _record_once(name, argv, partial=partial)
        if len(yaml.safe_load(path.read_text())["interactions"]) == expected:
            return path
    raise RuntimeError(f"{name}: vcrpy kept dropping a concurrent request")


def _record_once(name: str, argv: list[str], *, partial: bool) -> Path:
    path = CASSETTES / name
    path.unlink(missing_ok=True)
    recorder = vcr.VCR(record_mode="all", filter_headers=["APCA-API-KEY-ID", "APCA-API-SECRET-KEY"])
    with FakeAlpaca() as srv, tempfile.TemporaryDirectory() as home:
        if partial:
            srv.order_replies["AAPL"] = Reply(403, payload("errors/insufficient_qty_403"))
        os.environ.update(
            ALPACA_API_KEY="PKRECORDING0000000001",
            ALPACA_SECRET_KEY="recording-secret-0123456789",
            ALPACA_BASE_URL=srv.base_url,
            PM_DATABASE_URL=f"sqlite:///{home}/pm.db",
            XDG_CONFIG_HOME=f"{home}/config",  # no config file
        )
        with recorder.use_cassette(str(path)):
            code = run(argv)
        local = srv.base_url
    data = yaml.safe_load(path.read_text())
    # the account and positions requests run concurrently: store them in a fixed order
    data["interactions"].sort(key=lambda i: (i["request"]["method"], i["request"]["uri"]))
    for interaction in data["interactions"]:
        interaction["request"]["uri"] = interaction["request"]["uri"].replace(local, PAPER)
        headers = interaction["response"]["headers"]
        for drop in ("Server", "Date"):
            headers.pop(drop, None)
    text = yaml.safe_dump(data, sort_keys=True)
    path.write_text(re.sub(r"Python/[0-9.]+", "Python/3.11", text))
    print(f"{name}: exit {code}, {len(data['interactions'])} interactions")
    return path


if __name__ == "__main__":
    # account, positions (plan), positions (under the lock), POST, GET by client_order_id
    record("cli_close_position.yaml", ["close", "AAPL", "--qty", "4", "--yes", "--json"], 5)
