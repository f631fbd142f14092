"""What the throughput target asks of our client's CPU, on a machine the storage server shares.

On two cores with SeaweedFS among them, every tool runs the machine flat out: MB/s × (client +
storage CPU-s per byte) comes out at the same number of busy cores for all of them (1.7–1.9 of 2 in
the runs so far). Throughput is then set by the CPU one byte costs both sides together, and a
throughput target turns into a CPU budget for the client: at our storage cost and our busy cores,
how many client CPU-seconds per GiB allow ``target`` × the best peer's MB/s. Comparing that budget
with the integrity floor (the hashes issue 3 requires) says whether any client could meet the target
here, which is what "write down what bounds the rest" needs, as a figure rather than a claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GIB = 1024**3


def cpu_budget(
    summary: Mapping[str, Mapping[str, Any]],
    peers: Iterable[str],
    *,
    ours: str = "ours",
    target: float = 1.10,
) -> dict[str, Any]:
    """Busy cores per tool and the client CPU per GiB ours could spend and still meet `target`.

    Args:
        summary: The throughput section's per-tool summary (medians of ``mb_per_s``,
            ``cpu_s_per_gib`` and ``storage_cpu_s_per_gib``).
        peers: Tools that count as peers (the loopback sink does not).
        ours: Our tool's name in `summary`.
        target: Wanted ratio of our MB/s to the best peer's.

    Returns:
        ``{}`` when ours or every peer lacks a figure; otherwise ``per_tool`` (client, storage and
        total CPU-s per GiB, and the cores they kept busy), ``best_peer``, ``target``,
        ``needed_mb_per_s`` and ``client_budget_cpu_s_per_gib`` (may be negative: then not even a
        client that costs nothing would meet the target at this storage cost).
    """
    per_tool: dict[str, dict[str, float]] = {}
    for tool, entry in summary.items():
        mb_per_s, client, storage = (
            _median(entry, k) for k in ("mb_per_s", "cpu_s_per_gib", "storage_cpu_s_per_gib")
        )
        if mb_per_s is None or client is None or not storage:
            continue  # the sink has no storage server behind it
        total = client + storage
        per_tool[tool] = {
            "client_cpu_s_per_gib": round(client, 2),
            "storage_cpu_s_per_gib": round(storage, 2),
            "total_cpu_s_per_gib": round(total, 2),
            "busy_cores": round(mb_per_s * 1e6 / GIB * total, 2),
        }
    best = best_peer(summary, peers)
    if ours not in per_tool or best is None or best not in per_tool:
        return {}
    needed = target * (_median(summary[best], "mb_per_s") or 0.0)
    mine = per_tool[ours]
    # At our busy cores, `needed` MB/s leaves this much CPU per GiB for client and storage together.
    allowed_total = mine["busy_cores"] / (needed * 1e6 / GIB)
    return {
        "per_tool": per_tool,
        "best_peer": best,
        "target": target,
        "needed_mb_per_s": round(needed, 1),
        "client_budget_cpu_s_per_gib": round(allowed_total - mine["storage_cpu_s_per_gib"], 2),
    }


def best_peer(summary: Mapping[str, Mapping[str, Any]], peers: Iterable[str]) -> str | None:
    """The peer with the highest median MB/s, the one the throughput target is judged against."""
    ranked = [t for t in peers if _median(summary.get(t, {}), "mb_per_s") is not None]
    return max(ranked, key=lambda t: _median(summary[t], "mb_per_s") or 0.0, default=None)


def _median(entry: Mapping[str, Any], metric: str) -> float | None:
    stats = entry.get(metric)
    if not stats:
        return None
    value = stats.get("median")
    return float(value) if value is not None else None
