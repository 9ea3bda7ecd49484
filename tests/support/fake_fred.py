"""A local stand-in for FRED's `GET /fred/series/observations`, for tests.

    with FakeFred(key="k") as srv:          # threaded HTTP server on 127.0.0.1, random port
        srv.base_url                        # FRED_API_URL
        srv.series["VIXCLS"] = [("2024-12-06", "36.20")]   # (date, value) pairs, "." = missing
        srv.fail_with(503)                  # every request answers 503 (None: normal again)
        srv.requests                        # [query dict of each request]

Payloads and error bodies are FRED's own (./fred_reference, copied from
shared/alpaca-reference/fred): a missing api_key answers "Variable api_key is not set", a
wrong one "is not registered", an unknown series "The series does not exist", all HTTP 400.
`sort_order=desc` and `limit` are honoured, as FRED does.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REFERENCE = Path(__file__).parent / "fred_reference"


def reference(name: str) -> Any:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def reference_series(series_id: str) -> list[tuple[str, str]]:
    body = reference(f"series_observations_{series_id}")
    return [(o["date"], o["value"]) for o in body["observations"]]


class FakeFred:
    def __init__(self, key: str = "fred-test-key-0123456789abcdef") -> None:
        self.key = key
        self.series: dict[str, list[tuple[str, str]]] = {
            "VIXCLS": reference_series("VIXCLS"),
            "T10Y2Y": reference_series("T10Y2Y"),
            "UNRATE": reference_series("UNRATE"),
            "T10Y3M": [(d, v if v == "." else "0.05") for d, v in reference_series("T10Y2Y")],
        }
        self.requests: list[dict[str, str]] = []
        self._failure: int | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_with(self, status: int | None) -> None:
        self._failure = status

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def __enter__(self) -> FakeFred:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append(query)
        if self._failure is not None:
            self._reply(
                handler, self._failure, {"error_code": self._failure, "error_message": "down"}
            )
            return
        if parts.path != "/fred/series/observations":
            self._reply(handler, 404, {"error_code": 404, "error_message": "Not Found."})
            return
        if not query.get("api_key"):
            self._reply(handler, 400, reference("error_400_api_key_not_set"))
            return
        if query["api_key"] != self.key:
            self._reply(handler, 400, reference("error_400_api_key_not_registered"))
            return
        rows = self.series.get(query.get("series_id", ""))
        if rows is None:
            self._reply(handler, 400, reference("error_400_series_does_not_exist"))
            return
        rows = sorted(rows, reverse=query.get("sort_order") == "desc")
        if "limit" in query:
            rows = rows[: int(query["limit"])]
        observations = [
            {"realtime_start": "2024-12-09", "realtime_end": "2024-12-09", "date": d, "value": v}
            for d, v in rows
        ]
        self._reply(
            handler,
            200,
            {"file_type": "json", "count": len(observations), "observations": observations},
        )
