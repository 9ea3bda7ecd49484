"""`gc_paused`: automatic collection is off inside the block and back on after it, also
after an error; an inner block (or one started while collection was already off) leaves it
to the block that paused it."""

from __future__ import annotations

import gc

import pytest

from pm.domain.gc_pause import gc_paused


def test_paused_inside_and_resumed_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not resume it
    assert gc.isenabled()


def test_resumed_after_an_error() -> None:
    with pytest.raises(ValueError, match="boom"), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
