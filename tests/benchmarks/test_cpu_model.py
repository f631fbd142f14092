"""benchmarks/cpu_model.py: the throughput target turned into a client CPU budget."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.cpu_model import GIB, cpu_budget


def _entry(mb_per_s: float, client: float, storage: float) -> dict[str, Any]:
    def stats(v: float) -> dict[str, float]:
        return {"median": v, "min": v, "max": v}

    return {
        "mb_per_s": stats(mb_per_s),
        "cpu_s_per_gib": stats(client),
        "storage_cpu_s_per_gib": stats(storage),
    }


def _mb_per_s(busy_cores: float, total_cpu_s_per_gib: float) -> float:
    return busy_cores / total_cpu_s_per_gib * GIB / 1e6


def test_budget_is_what_would_give_the_target_at_our_busy_cores() -> None:
    # Both keep 1.8 cores busy; a peer's byte costs 12 CPU-s/GiB, ours 14 (10 of them storage).
    summary = {
        "ours": _entry(_mb_per_s(1.8, 14.0), 4.0, 10.0),
        "peer": _entry(_mb_per_s(1.8, 12.0), 2.0, 10.0),
        "slow": _entry(_mb_per_s(1.8, 20.0), 10.0, 10.0),
    }
    model = cpu_budget(summary, ["peer", "slow"], target=1.10)
    assert model["best_peer"] == "peer"
    assert model["per_tool"]["ours"]["busy_cores"] == pytest.approx(1.8, abs=0.01)
    assert model["per_tool"]["peer"]["total_cpu_s_per_gib"] == 12.0
    # 1.10x the peer at 1.8 busy cores: 12 / 1.1 = 10.91 CPU-s/GiB in all, 0.91 for the client.
    assert model["client_budget_cpu_s_per_gib"] == pytest.approx(12.0 / 1.1 - 10.0, abs=0.02)
    assert model["needed_mb_per_s"] == pytest.approx(1.1 * _mb_per_s(1.8, 12.0), abs=0.1)


def test_budget_goes_negative_when_storage_alone_is_too_slow() -> None:
    summary = {
        "ours": _entry(_mb_per_s(1.8, 13.0), 1.0, 12.0),
        "peer": _entry(_mb_per_s(1.8, 11.0), 1.0, 10.0),
    }
    assert cpu_budget(summary, ["peer"])["client_budget_cpu_s_per_gib"] < 0


def test_no_model_without_a_storage_figure_for_ours_or_any_peer() -> None:
    sink_only = {"ours": _entry(100.0, 3.0, 10.0), "sink": _entry(4000.0, 0.2, 0.0)}
    assert cpu_budget(sink_only, ["peer"]) == {}
    assert cpu_budget({"peer": _entry(100.0, 2.0, 10.0)}, ["peer"]) == {}
    no_storage = {"ours": _entry(100.0, 3.0, 0.0), "peer": _entry(100.0, 2.0, 10.0)}
    assert cpu_budget(no_storage, ["peer"]) == {}
