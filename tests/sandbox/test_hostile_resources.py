"""Memory, time, CPU, file size and call floods are capped; each stop says which limit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ama_tui.sandbox import Limits, SandboxedStrategy, StrategyStopped
from tests.sandbox.helpers import FakeMarket, assert_gone, run_hostile, tick, write_strategy


def test_allocating_10_gb_is_refused() -> None:
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("allocate", {"gigabytes": 10})
    assert stopped.value.reason == "tried to allocate more than 1 GiB (the limit) in analyze"


def test_growing_without_end_hits_the_memory_limit() -> None:
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("allocate", {"gradual": True}, Limits(memory_bytes=256 << 20, call_timeout=10))
    assert stopped.value.reason == "tried to allocate more than 256 MiB (the limit) in analyze"


def test_an_endless_loop_is_stopped_at_the_time_limit() -> None:
    began = time.monotonic()
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("forever", {}, Limits(call_timeout=0.5))
    assert stopped.value.reason == "exceeded its 0.5 s time limit in analyze"
    assert time.monotonic() - began < 5


def test_cpu_time_is_capped_over_the_run() -> None:
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("forever", {}, Limits(cpu_seconds=1, call_timeout=20))
    assert stopped.value.reason == "used up its 1 s of CPU time (the limit) during analyze"


def test_10000_orders_in_one_tick_are_cut_at_the_limit() -> None:
    market = FakeMarket()
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("flood", {"per_tick": 10_000}, market=market)
    assert stopped.value.reason == "made more than 100 calls in one analyze (the limit)"
    assert len(market.calls) == 100  # the 101st was never answered
    assert len(stopped.value.events) == 100


def test_a_flood_spread_over_ticks_is_cut_at_the_rate_limit(tmp_path: Path) -> None:
    """90 orders a tick, under the per-tick limit; the rate limit (300/s here, so a loaded machine
    still floods it: this one makes ~10,000 calls/s) catches the flood within a few ticks."""
    market = FakeMarket()
    limits = Limits(call_timeout=5, max_calls_per_second=300)
    with SandboxedStrategy(limits) as sandbox:
        sandbox.start("ETH-USD", {"per_tick": 90}, Path(__file__).parent / "hostile" / "flood.py")
        with pytest.raises(StrategyStopped) as stopped:
            for index in range(100):
                sandbox.on_tick(tick(index), market.answer)
        assert stopped.value.reason == "made more than 300 calls within one second (the limit)"
        assert len(market.calls) == 300
        with pytest.raises(StrategyStopped, match="within one second"):  # stays stopped
            sandbox.on_tick(tick(0), market.answer)
    assert_gone(sandbox)


def test_a_log_flood_is_cut_at_the_limit() -> None:
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("flood", {"per_tick": 10_000, "logs": True})
    assert stopped.value.reason == "logged more than 100 lines in one analyze (the limit)"


def test_files_in_the_scratch_folder_are_capped_in_size(tmp_path: Path) -> None:
    path = write_strategy(
        tmp_path,
        """
        from ama_tui.kit import Trading

        class BigFile(Trading):
            def analyze(self, data):
                try:
                    with open("big.bin", "wb") as file:
                        file.write(bytes(2 << 20))
                except OSError as exc:
                    self.log(f"{type(exc).__name__}: {exc.strerror}")
        """,
    )
    scratch = tmp_path / "scratch"
    with SandboxedStrategy(Limits(file_bytes=1 << 20, call_timeout=5), scratch_dir=scratch) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        events = sandbox.on_tick(tick(0), FakeMarket().answer)
    assert [event.message for event in events] == ["OSError: File too large"]  # type: ignore[union-attr]
    assert (scratch / "big.bin").stat().st_size == 1 << 20
    assert_gone(sandbox)
