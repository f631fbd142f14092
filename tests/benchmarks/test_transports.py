"""One run, both transports: which backends a run starts, and targets judged per transport.

Fast and offline (no server): the smoke test runs the whole thing over SeaweedFS.
"""

from __future__ import annotations

from typing import Any

from benchmarks import sections
from benchmarks.report import markdown, new_document


def _stats(v: float) -> dict[str, float]:
    return {"median": v, "min": v, "max": v}


def _entry(mb_per_s: float, client: float, storage: float) -> dict[str, Any]:
    return {
        "settings": "c4/p16M",
        "runs": 1,
        "ok_runs": 1,
        "errors": [],
        "mb_per_s": _stats(mb_per_s),
        "cpu_s_per_gib": _stats(client),
        "peak_rss_mib": _stats(50.0),
        "wall_s": _stats(10.0),
        "storage_cpu_s_per_gib": _stats(storage),
    }


def test_each_lane_of_ours_gets_a_backend_and_variants_run_over_http_only() -> None:
    wanted = ["ours", "ours-md5", "boto3", "sink"]
    assert sections.lanes_for(wanted, ["http", "https"]) == [
        ("http", "crc64nvme"),
        ("http", "md5"),
        ("https", "crc64nvme"),
    ]
    assert sections.lanes_for(wanted, ["https"]) == [("https", "crc64nvme")]
    assert not sections.runs_on("sink", "https")
    assert not sections.runs_on("ours-crc32c", "https")
    assert sections.runs_on("s5cmd", "https")


def test_targets_and_tables_are_per_transport() -> None:
    http = {
        "ours": _entry(120.0, 1.8, 11.0),
        "ours-md5": _entry(115.0, 1.8, 10.0),
        "s5cmd": _entry(100.0, 3.0, 10.5),
    }
    https = {"ours": _entry(80.0, 2.2, 12.0), "s5cmd": _entry(90.0, 3.5, 12.0)}
    by_transport = {
        t: {
            "plan": [],
            "summary": summary,
            "ratios": {},
            "cpu_model": {},
            "storage_by_scheme": sections.storage_by_scheme(summary, t),
            "unavailable": {},
        }
        for t, summary in (("http", http), ("https", https))
    }
    doc = new_document("partial", {}, {})
    doc["sections"]["throughput"] = {
        "integrity_floor": {"required_cpu_s_per_gib": 0.9},
        "file_size": 1 << 30,
        "rounds": 1,
        "transports": ["http", "https"],
        "order": ["ours/http", "ours/https"],
        "samples": [],
        "by_transport": by_transport,
    }
    doc["targets"] = sections.targets(doc)
    met = {t["name"]: t["met"] for t in doc["targets"]}
    assert met["throughput vs best peer (HTTP)"] is True  # 1.20x s5cmd
    assert met["throughput vs best peer (HTTPS)"] is False  # 0.89x
    assert met["client CPU per GiB vs s5cmd (HTTP)"] is False  # 0.60x
    measured = {t["name"]: t["measured"] for t in doc["targets"]}
    assert measured["client CPU per GiB vs s5cmd (HTTPS)"].startswith("0.63x")
    # The variant is not a peer: never the best peer, never in ours's ratios.
    assert "ours-md5" not in measured["throughput vs best peer (HTTP)"]
    text = markdown(doc)
    assert "### Over HTTP\n" in text
    assert "### Over HTTPS\n" in text
    # Storage CPU beside each scheme, the payload hash named only where it is signed.
    assert "| ours, --integrity md5 | Content-MD5, signed (ours, --integrity md5) | 10.00" in text
    assert "| s5cmd cp | Content-MD5 + signed SHA-256 payload hash | 10.50" in text
    assert "| s5cmd cp | Content-MD5 | 12.00" in text
