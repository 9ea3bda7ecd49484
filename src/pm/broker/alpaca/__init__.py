"""Alpaca adapter: the `Broker` port over Alpaca's trading API (alpaca-py's REST client).

`from pm.broker.alpaca import AlpacaBroker` does not import alpaca-py; building one does.
"""

from pm.broker.alpaca.adapter import LIVE_URL, PAPER_URL, AlpacaBroker

__all__ = ["LIVE_URL", "PAPER_URL", "AlpacaBroker"]
