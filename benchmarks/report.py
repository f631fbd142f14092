"""Results: one JSON document per run (machine-readable) and the same figures as Markdown tables."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.datafiles import human

SCHEMA = 2  # 2: throughput figures per transport (`by_transport`), samples carry theirs
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TOOL_LABELS = {
    "ours": "proctor-uploader (ours)",
    "ours-crc32c": "ours, --integrity crc32c",
    "ours-md5": "ours, --integrity md5",
    "aws-cli": "aws s3 cp",
    "boto3": "boto3 upload_file",
    "rclone": "rclone copyto",
    "s5cmd": "s5cmd cp",
    "sink": "loopback ceiling (sendfile → discard)",
}


def machine_info() -> dict[str, Any]:
    """What the figures were taken on, including how busy the machine was."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "note": "The load average says how busy the machine was; compare ratios within a run.",
    }


def new_document(mode: str, args: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    """The skeleton every run fills in."""
    return {
        "schema": SCHEMA,
        "kind": "proctor-uploader-benchmark",
        "mode": mode,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "args": args,
        "machine": machine_info(),
        "versions": versions,
        "sections": {},
        "targets": [],
    }


def write(doc: dict[str, Any], results_dir: Path) -> tuple[Path, Path]:
    """Write `<mode>-<timestamp>.json` and `.md` into `results_dir`; return both paths."""
    doc["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    doc["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = doc["started_at"].replace(":", "").replace("-", "")
    base = results_dir / f"{doc['mode']}-{stamp}"
    json_path = base.with_suffix(".json")
    md_path = base.with_suffix(".md")
    json_path.write_text(json.dumps(doc, indent=2) + "\n")
    md_path.write_text(markdown(doc))
    return json_path, md_path


def _fmt(stats: dict[str, float] | None, digits: int = 1) -> str:
    if not stats:
        return "—"
    m, lo, hi = stats["median"], stats["min"], stats["max"]
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def markdown(doc: dict[str, Any]) -> str:
    """The run as Markdown: targets first, then one table per section."""
    out = [f"# Benchmark run {doc['started_at']} ({doc['mode']})", ""]
    m = doc["machine"]
    out.append(
        f"{m['cpus']} CPUs, {m['platform']}, Python {m['python']}; load average "
        f"{m['loadavg_at_start']} at start, {m.get('loadavg_at_end', '?')} at end. {m['note']}"
    )
    out.append("")
    if doc["targets"]:
        out += ["## Targets", "", "| target | wanted | measured | met |", "|---|---|---|---|"]
        for t in doc["targets"]:
            met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
            out.append(f"| {t['name']} | {t['wanted']} | {t['measured']} | {met} |")
        out.append("")
    sections = doc["sections"]
    if "throughput" in sections:
        out += _throughput_md(sections["throughput"])
    if "memory" in sections:
        over = sections["memory"].get("transport", "http").upper()
        out += [
            f"## Memory of our CLI (over {over})",
            "",
            "| file | settings | peak RSS MiB | MB/s | ok |",
            "|---|---|---|---|---|",
        ]
        for r in sections["memory"].get("runs", []):
            out.append(
                f"| {human(r['size'])} sparse | {r['settings']} | {r['peak_rss_mib']} | "
                f"{r['mb_per_s']} | {'yes' if r['ok'] else r['error'][-120:]} |"
            )
        out += [_skipped(sections["memory"]), ""]
    if "resume" in sections:
        out += [
            "## Resume after a kill",
            "",
            "```json",
            json.dumps(sections["resume"], indent=2),
            "```",
            "",
        ]
    if "burst" in sections:
        out += [
            "## Exam-end burst",
            "",
            "```json",
            json.dumps(sections["burst"], indent=2),
            "```",
            "",
        ]
    if "gui" in sections:
        out += [
            "## GUI event-loop stall (the real app, offscreen, uploading real files)",
            "",
            "```json",
            json.dumps(sections["gui"], indent=2),
            "```",
            "",
        ]
    if "follow" in sections:
        out += [
            "## Upload while recording (a real muxer writing at a steady rate)",
            "",
            "```json",
            json.dumps(sections["follow"], indent=2),
            "```",
            "",
        ]
    out += ["## Versions", ""]
    out += [f"- {k}: {v}" for k, v in sorted(doc["versions"].items())]
    return "\n".join(out) + "\n"


def _throughput_md(section: dict[str, Any]) -> list[str]:
    transports = section.get("transports") or ["http"]
    out = [
        f"## Throughput: {human(section['file_size'])} random file, {section['rounds']} "
        f"interleaved rounds over {' and '.join(t.upper() for t in transports)}",
        "",
        "Every (tool, transport) pair ran in the same rounds, rotated each round (order of round "
        f"1: {', '.join(section.get('order', []))})"
        + ("; one SeaweedFS served both transports. " if len(transports) > 1 else ". ")
        + "Median (min–max). MB/s = 10^6 bytes/s, process start to exit. CPU = user+sys of the "
        "client's process tree only. RSS = peak resident set.",
        "",
    ]
    for transport in transports:
        out += _transport_md(transport, section["by_transport"][transport])
    floor = section.get("integrity_floor", {}).get("cpu_s_per_gib")
    if floor:
        out += [
            "Integrity floor (benchmarks/floor.py): CPU-s per GiB of one pass over the same file "
            f"in a fresh interpreter: read only {floor['read']}, MD5 {floor['md5']}, SHA-256 "
            f"{floor['sha256']}, zlib CRC32 {floor['crc32']}, CRC64NVME "
            f"{floor.get('crc64nvme', '—')}, CRC64NVME and SHA-256 in one read "
            f"{floor.get('crc64nvme+sha256', '—')}. Ours reads the file once for the SHA-256 and "
            "every part's CRC64NVME, and each part again to send it (issue 12): "
            f"{section['integrity_floor']['required_cpu_s_per_gib']} CPU-s per GiB before the "
            "sending itself (and before TLS over HTTPS).",
            "",
        ]
    return out


def _transport_md(transport: str, figures: dict[str, Any]) -> list[str]:
    out = [
        f"### Over {transport.upper()}",
        "",
        "| tool | settings | MB/s | CPU-s per GiB | peak RSS MiB | SeaweedFS CPU-s/GiB | ok runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for tool, entry in figures["summary"].items():
        out.append(
            f"| {TOOL_LABELS.get(tool, tool)} | {entry['settings']} | {_fmt(entry['mb_per_s'])} | "
            f"{_fmt(entry['cpu_s_per_gib'], 2)} | {_fmt(entry['peak_rss_mib'])} | "
            f"{_fmt(entry.get('storage_cpu_s_per_gib'), 1)} | {entry['ok_runs']}/{entry['runs']} |"
        )
    for tool, why in figures.get("unavailable", {}).items():
        out.append(f"| {TOOL_LABELS.get(tool, tool)} | — | not run: {why} | | | | |")
    out.append("")
    if figures.get("ratios"):
        out += [
            "Ours ÷ peer (medians): throughput > 1 is better; CPU and RSS < 1 are better.",
            "",
            "| peer | throughput | CPU per GiB | peak RSS |",
            "|---|---|---|---|",
        ]
        for tool, r in figures["ratios"].items():
            out.append(
                f"| {TOOL_LABELS.get(tool, tool)} | {r.get('mb_per_s', '—')} | "
                f"{r.get('cpu_s_per_gib', '—')} | {r.get('peak_rss_mib', '—')} |"
            )
        out.append("")
    out += _cpu_model_md(figures.get("cpu_model") or {})
    if figures.get("storage_by_scheme"):
        out += [
            "What SeaweedFS spent per GiB, by what the parts carried (median, min–max):",
            "",
            "| tool | parts carry | SeaweedFS CPU-s/GiB |",
            "|---|---|---|",
        ]
        for row in figures["storage_by_scheme"]:
            out.append(
                f"| {TOOL_LABELS.get(row['tool'], row['tool'])} | {row['scheme']} | "
                f"{_fmt(row['storage_cpu_s_per_gib'], 2)} |"
            )
        out.append("")
    return out


def _cpu_model_md(model: dict[str, Any]) -> list[str]:
    if not model:
        return []
    out = [
        "CPU model (benchmarks/cpu_model.py): busy cores = MB/s × (client + storage CPU-s per "
        "byte). When every tool keeps the machine equally busy, throughput follows the total.",
        "",
        "| tool | client CPU-s/GiB | storage CPU-s/GiB | total | busy cores |",
        "|---|---|---|---|---|",
    ]
    for tool, m in model["per_tool"].items():
        out.append(
            f"| {TOOL_LABELS.get(tool, tool)} | {m['client_cpu_s_per_gib']} | "
            f"{m['storage_cpu_s_per_gib']} | {m['total_cpu_s_per_gib']} | {m['busy_cores']} |"
        )
    out += [
        "",
        f"{model['target']:.2f}x {TOOL_LABELS.get(model['best_peer'], model['best_peer'])} = "
        f"{model['needed_mb_per_s']} MB/s: at our storage cost and busy cores that leaves our "
        f"client {model['client_budget_cpu_s_per_gib']} CPU-s per GiB.",
        "",
    ]
    return out


def _skipped(section: dict[str, Any]) -> str:
    return f"Not run: {section['skipped']}" if section.get("skipped") else ""
