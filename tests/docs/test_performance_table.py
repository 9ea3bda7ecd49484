"""The README's Performance table is the benchmarks' output: one row set per benchmark."""

from __future__ import annotations

import json
from pathlib import Path

from tests.benchmarks import readme as perf
from tests.docs import readme


def test_every_recording_benchmark_has_rows_and_every_row_a_benchmark() -> None:
    documented = set(perf.readme_benchmarks(readme.text()))
    recording = perf.recording_benchmarks()
    assert recording, "no benchmark takes the `record` fixture: the scan is broken"
    missing, stale = sorted(recording - documented), sorted(documented - recording)
    hint = "run the benchmarks with --benchmark-enable, then `python -m tests.benchmarks.readme`"
    assert not missing, (
        f"benchmarks with no row in the README's Performance table: {missing}; {hint}"
    )
    assert not stale, f"README Performance rows of no recording benchmark: {stale}; {hint}"


def test_generated_table_round_trips_and_drops_removed_benchmarks(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    row = {"name": "x | y", "measured": "1 ms", "target": "< 2 ms", "ok": True}
    perf.write_figures([{**row, "benchmark": "test_a.py::test_a"}], figures)
    perf.write_figures([{**row, "benchmark": "test_b.py::test_b", "ok": False}], figures)
    document = json.loads(figures.read_text())
    assert [r["benchmark"] for r in document["figures"]] == [
        "test_a.py::test_a",
        "test_b.py::test_b",
    ]
    body = perf.table(document, {"test_b.py::test_b"})  # test_a was removed since
    text = perf.rewrite(f"# t\n{perf.BEGIN}\nold\n{perf.END}\nafter\n", body)
    assert perf.readme_benchmarks(text) == ["test_b.py::test_b"]
    assert "| x \\| y | 1 ms | < 2 ms | **no** | `test_b.py::test_b` |" in text
    assert text.endswith(f"{perf.END}\nafter\n")
