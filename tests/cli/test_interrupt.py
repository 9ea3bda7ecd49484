"""Ctrl-C ends a command at once, even while a broker call hangs (exit 130)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fake_alpaca import FakeAlpaca, Reply


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [("snapshot", "--json"), ("validate", "AAPL", "--side", "buy", "--qty", "1")]
)
def test_ctrl_c_while_the_broker_hangs_exits_130_at_once(
    alpaca: FakeAlpaca, pm_home: Path, command: tuple[str, ...]
) -> None:
    alpaca.fail_with(Reply.hang(25))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pm", "--timeout", "20", *command],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 15
    while alpaca.count("GET", "/v2/account") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)
    # it used to wait for the hanging request's deadline (--timeout, here 20 s) first
    assert time.monotonic() - sent < 5, err
    assert proc.returncode == 130, err
    assert out == ""
    assert err.strip().splitlines()[-1] == "interrupted"


# An interrupt raised inside a finalizer: Python prints it ("Exception ignored in") and goes
# on, so the program never sees it. Here the program would then sleep 20 s and exit 0.
SWALLOWED = """\
import time
from pm.cli.graceful import interrupt_with_deadline

interrupt_with_deadline(130, 0.5)


class Slow:
    def __del__(self):
        print("ready", flush=True)
        time.sleep(10)


Slow()
time.sleep(20)
"""


def test_ctrl_c_that_python_swallows_still_ends_the_process_with_130() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SWALLOWED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5, err
    assert proc.returncode == 130, err
    assert "Exception ignored" in err  # Python did swallow it: the deadline ended the process
    assert err.strip().splitlines()[-1] == "interrupted"
