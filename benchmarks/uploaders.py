"""The uploaders under test: how to invoke each one with given settings against the same server.

Every tool gets the same file, the same SeaweedFS, its own concurrency and part size (found by
`benchmarks sweep`), and keeps its default integrity checks on, because that is how people run it:

- ours: one sequential read computing the whole-file SHA-256 (the receipt's) and every part's
  CRC64NVME, signed into the part's URL so storage checks every byte; the full-object CRC compared
  at completion.
- aws s3 cp / boto3: botocore's default CRC32 of every part (botocore >= 1.36), and (plain HTTP)
  a signed SHA-256 payload hash.
- rclone: MD5 of the whole file before the upload (stored as metadata), Content-MD5 on every part.
- s5cmd: Content-MD5 on every PUT, and (plain HTTP) a signed SHA-256 payload hash.

`ours-crc32c` and `ours-md5` are our CLI against a backend run with `--integrity crc32c` or `md5`
(the per-deployment fallback): the same client, so what SeaweedFS spends checking each scheme shows
in its CPU per GiB beside the default's (CRC64NVME) and the peers'.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.seaweed import S3Endpoint
from benchmarks.toolchain import ROOT, Toolchain

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    """One tool configuration.

    Attributes:
        concurrency: Parts in flight at once.
        part_mib: Part size in MiB.
    """

    concurrency: int
    part_mib: int

    def label(self) -> str:
        """`c8/p16M`-style short form for tables."""
        return f"c{self.concurrency}/p{self.part_mib}M"


@dataclass(frozen=True, slots=True)
class Target:
    """Where and what to upload.

    Attributes:
        endpoint: The S3 server.
        bucket: Bucket that receives the object.
        key: Object key (peers); ours lets the backend pick the key.
        path: The file.
        workdir: A scratch folder for per-run config files.
        backend_url: The backend our CLI signs in to.
        cli_home: `PROCTOR_UPLOADER_HOME` of our CLI (already signed in).
        cli_env: Extra environment of our CLI (its keyring).
        cli_password: Password piped to `--password-stdin` when no sign-in could be remembered.
        exam_id: Exam our CLI uploads under.
    """

    endpoint: S3Endpoint
    bucket: str
    key: str
    path: Path
    workdir: Path
    backend_url: str = ""
    cli_home: Path | None = None
    cli_env: Mapping[str, str] = field(default_factory=dict)
    cli_password: str | None = None
    exam_id: str = "bench"


@dataclass(frozen=True, slots=True)
class Invocation:
    """A ready-to-run command.

    Attributes:
        argv: Command line.
        env: Complete environment.
        stdin: Bytes for its standard input, if any.
    """

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes | None = None


def _base_env(extra: Mapping[str, str]) -> dict[str, str]:
    # Every Python tool runs as installed, with its bytecode cached: a developer shell's
    # PYTHONDONTWRITEBYTECODE would recompile every edited module on every start and bill it to
    # whichever tool was edited last (ours, 0.03-0.09 CPU-s per run).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "RCLONE_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(extra)
    return env


def _aws_env(target: Target) -> dict[str, str]:
    env = {
        "AWS_ACCESS_KEY_ID": target.endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": target.endpoint.secret_key,
        "AWS_DEFAULT_REGION": target.endpoint.region,
        "AWS_REGION": target.endpoint.region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    if target.endpoint.ca_file:
        env["AWS_CA_BUNDLE"] = target.endpoint.ca_file  # botocore's way to trust one CA
    return env


def ours(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """`proctor-uploader upload` through the backend (presigned part URLs).

    One file, so one file at a time and `--parts` parts in flight; the part size is the
    `part_size_mib` setting of its settings file, which the backend honours as a hint.
    """
    assert target.cli_home is not None, "our CLI needs a signed-in home"
    _set_part_size(target.cli_home, s.part_mib, target.endpoint.ca_file)
    argv = [tools.python, "-m", "desktop", "upload", str(target.path), "--exam", target.exam_id]
    argv += ["--kind", "other", "--concurrency", "1", "--parts", str(s.concurrency), "--any-file"]
    argv.append("--again")  # every round uploads the same file; the CLI skips re-uploads otherwise
    stdin = None
    if target.cli_password is not None:
        argv.append("--password-stdin")
        stdin = (target.cli_password + "\n").encode()
    env = _base_env({**target.cli_env, "PROCTOR_UPLOADER_HOME": str(target.cli_home)})
    env["PYTHONPATH"] = str(ROOT)
    return Invocation(argv, env, stdin)


def _set_part_size(home: Path, part_mib: int, ca_file: str) -> None:
    import dataclasses

    from desktop.config import AppConfig

    path = home / "config" / "config.toml"
    config = AppConfig.load(path)
    if (config.part_size_mib, config.ca_bundle) != (part_mib, ca_file):
        dataclasses.replace(config, part_size_mib=part_mib, ca_bundle=ca_file).save(path)


def aws_cli(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """`aws s3 cp` with the s3 transfer settings in a private config file."""
    assert tools.aws is not None
    config = target.workdir / "aws-config"
    config.write_text(
        textwrap.dedent(
            f"""\
            [default]
            region = {target.endpoint.region}
            s3 =
                max_concurrent_requests = {s.concurrency}
                multipart_chunksize = {s.part_mib}MB
                multipart_threshold = 8MB
                max_queue_size = {max(1000, s.concurrency * 4)}
                addressing_style = path
            """
        )
    )
    env = _base_env({**_aws_env(target), "AWS_CONFIG_FILE": str(config)})
    argv = [tools.aws, "--endpoint-url", target.endpoint.url, "s3", "cp", str(target.path)]
    argv += [f"s3://{target.bucket}/{target.key}", "--only-show-errors", "--no-progress"]
    return Invocation(argv, env)


def boto3_transfer(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """boto3 `upload_file` (s3transfer) with a tuned TransferConfig, in a fresh interpreter."""
    argv = [tools.python, "-m", "benchmarks.boto3_upload", "--endpoint", target.endpoint.url]
    argv += ["--bucket", target.bucket, "--key", target.key, "--file", str(target.path)]
    argv += ["--concurrency", str(s.concurrency), "--part-mib", str(s.part_mib)]
    env = _base_env({**_aws_env(target), "PYTHONPATH": str(ROOT)})
    return Invocation(argv, env)


def rclone(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """`rclone copyto` to an S3 remote defined entirely by environment variables."""
    assert tools.rclone is not None
    ep = target.endpoint
    env = _base_env(
        {
            "RCLONE_CONFIG": os.devnull,
            "RCLONE_CONFIG_BENCH_TYPE": "s3",
            "RCLONE_CONFIG_BENCH_PROVIDER": "SeaweedFS",
            "RCLONE_CONFIG_BENCH_ENDPOINT": ep.url,
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ep.access_key,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": ep.secret_key,
            "RCLONE_CONFIG_BENCH_REGION": ep.region,
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
        }
    )
    if ep.ca_file:
        env["RCLONE_CA_CERT"] = ep.ca_file
    argv = [tools.rclone, "copyto", str(target.path), f"bench:{target.bucket}/{target.key}"]
    # Multipart uploads of one file run as rclone's multi-thread copy: the streams flag and the
    # backend's upload concurrency both bound the parts in flight, so set both.
    argv += ["--s3-upload-concurrency", str(s.concurrency)]
    argv += ["--multi-thread-streams", str(s.concurrency)]
    argv += ["--s3-chunk-size", f"{s.part_mib}Mi", "--s3-upload-cutoff", "8Mi"]
    argv += ["--multi-thread-cutoff", "8Mi", "--s3-no-check-bucket", "--stats", "0"]
    return Invocation(argv, env)


def s5cmd(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """`s5cmd cp` with its concurrency and part size flags."""
    assert tools.s5cmd is not None
    env = _base_env(_aws_env(target))
    if target.endpoint.ca_file:
        env["SSL_CERT_FILE"] = target.endpoint.ca_file  # Go's TLS stack reads the CA from here
    argv = [tools.s5cmd, "--endpoint-url", target.endpoint.url, "cp"]
    argv += ["--concurrency", str(s.concurrency), "--part-size", str(s.part_mib)]
    argv += [str(target.path), f"s3://{target.bucket}/{target.key}"]
    return Invocation(argv, env)


def sink(tools: Toolchain, target: Target, s: Settings) -> Invocation:
    """The loopback ceiling: `sendfile` PUTs of part ranges to a server that discards bodies."""
    argv = [tools.python, "-m", "benchmarks.sink", "put", "--url", target.endpoint.url]
    argv += ["--file", str(target.path), "--concurrency", str(s.concurrency)]
    argv += ["--part-mib", str(s.part_mib)]
    return Invocation(argv, _base_env({"PYTHONPATH": str(ROOT)}))


BUILDERS = {
    "ours": ours,
    "ours-crc32c": ours,
    "ours-md5": ours,
    "aws-cli": aws_cli,
    "boto3": boto3_transfer,
    "rclone": rclone,
    "s5cmd": s5cmd,
    "sink": sink,
}
PEERS = ("aws-cli", "boto3", "rclone", "s5cmd")
#: Our CLI under each backend `--integrity`; the variants share ours's settings and availability.
INTEGRITY_OF = {"ours": "crc64nvme", "ours-crc32c": "crc32c", "ours-md5": "md5"}


def base_tool(name: str) -> str:
    """The tool whose settings and availability `name` shares (`ours-md5` -> `ours`)."""
    return "ours" if name in INTEGRITY_OF else name


# Used when no sweep has been recorded yet: each tool's documented defaults.
DEFAULTS = {
    "ours": Settings(4, 16),
    "aws-cli": Settings(10, 8),
    "boto3": Settings(10, 8),
    "rclone": Settings(4, 5),
    "s5cmd": Settings(5, 50),
    "sink": Settings(4, 16),
}


def available(tools: Toolchain, name: str, *, ours_ready: bool) -> str | None:
    """None when `name` can run here, else why not."""
    missing = {
        "ours": None if ours_ready else "our CLI has no working `upload` command yet",
        "aws-cli": None if tools.aws else tools.problems.get("awscli", "not installed"),
        "rclone": None if tools.rclone else tools.problems.get("rclone", "not installed"),
        "s5cmd": None if tools.s5cmd else tools.problems.get("s5cmd", "not installed"),
    }
    return missing.get(base_tool(name))
