"""benchmarks/sweep.py: plain-HTTP and HTTPS best settings are kept apart in one file."""

from __future__ import annotations

from pathlib import Path

from benchmarks.sweep import load_best, save_best
from benchmarks.throughput import Sample
from benchmarks.uploaders import DEFAULTS, Settings


def _sample(tool: str, settings: Settings, mb_per_s: float) -> Sample:
    return Sample(
        tool=tool,
        round=0,
        settings=settings.label(),
        size=1,
        ok=True,
        wall_s=1.0,
        mb_per_s=mb_per_s,
        cpu_s=2.0,
        cpu_s_per_gib=2.0,
        user_s=1.5,
        sys_s=0.5,
        peak_rss_mib=50.0,
    )


def test_https_sweep_does_not_overwrite_the_http_choice(tmp_path: Path) -> None:
    path = tmp_path / "best.json"
    http, https = Settings(4, 16), Settings(8, 32)
    save_best({"ours": http}, [_sample("ours", http, 150.0)], file_size=1, meta={}, path=path)
    save_best(
        {"ours": https}, [_sample("ours", https, 120.0)], file_size=1, meta={}, tls=True, path=path
    )
    assert load_best(path)["ours"] == http
    assert load_best(path, tls=True)["ours"] == https


def test_a_tool_never_swept_over_https_keeps_its_http_best(tmp_path: Path) -> None:
    path = tmp_path / "best.json"
    boto3 = Settings(8, 16)
    save_best({"boto3": boto3}, [_sample("boto3", boto3, 160.0)], file_size=1, meta={}, path=path)
    best = load_best(path, tls=True)
    assert best["boto3"] == boto3
    assert best["s5cmd"] == DEFAULTS["s5cmd"]
