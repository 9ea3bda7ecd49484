"""Bodies are read as they arrive: the same positions, and the call's deadline holds however
slowly an answer comes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.broker.alpaca.parse import parse_positions
from pm.domain.errors import BrokerUnavailable
from tests.broker.conftest import API_KEY, SECRET_KEY, UtcClock
from tests.support.fake_alpaca import FakeAlpaca, many_positions


def broker(url: str, **kw: float) -> AlpacaBroker:
    return AlpacaBroker(
        api_key=API_KEY, secret_key=SECRET_KEY, base_url=url, clock=UtcClock(), **kw
    )


def test_streamed_positions_equal_the_whole_body_parsed() -> None:
    wire = many_positions(3000)
    with FakeAlpaca() as srv:
        srv.positions = wire
        got = broker(srv.base_url).get_positions()
    assert got == parse_positions(json.loads(json.dumps(wire)))


@pytest.fixture
def trickling() -> Iterator[str]:
    """A server whose positions body comes one byte every 50 ms (each read is quick)."""
    body = json.dumps(many_positions(10)).encode()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            conn.sendall(head)
            for i in range(len(body)):
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(body[i : i + 1])
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(timeout=5)


@pytest.mark.slow  # waits out a real deadline
@pytest.mark.parametrize("read", [AlpacaBroker.get_positions, AlpacaBroker.get_account])
def test_a_trickling_body_ends_at_the_deadline(
    trickling: str, read: Callable[[AlpacaBroker], object]
) -> None:
    start = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="deadline"):
        read(broker(trickling, timeout_s=0.5, deadline_s=1.0, max_attempts=1))
    assert time.monotonic() - start < 3
