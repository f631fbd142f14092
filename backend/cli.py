"""`proctor-backend`: serve, dev, and the admin commands (users, uploads, receipts, audit, exams,
lifecycle)."""
# ruff: noqa: T201  (a CLI talks to its user through stdout/stderr)

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import Any, get_args

from backend import __version__
from backend.checksums import INTEGRITY_CHOICES
from backend.settings import ENV_PREFIX, AddressingStyle, Settings, SettingsError

logger = logging.getLogger(__name__)

# Settings that `serve` and the admin commands take as flags (each also PROCTOR_BACKEND_<NAME>).
_SECRET_FIELDS = {"jwt_secret"}  # env only: a flag would show in `ps`


def _setting_help() -> dict[str, str]:
    """Each setting's description, from the `Attributes:` section of the Settings docstring."""
    helps: dict[str, str] = {}
    current = ""
    for line in (Settings.__doc__ or "").split("Attributes:", 1)[-1].splitlines():
        match = re.match(r"^ {8}(\w+): (.*)$", line)
        if match:
            current = match.group(1)
            helps[current] = match.group(2)
        elif current and line.startswith(" " * 12):
            helps[current] += " " + line.strip()
    return helps


_CHOICES: dict[str, tuple[str, ...]] = {
    "s3_addressing_style": get_args(AddressingStyle),
    "integrity": INTEGRITY_CHOICES,
}


def _add_settings_flags(
    parser: argparse.ArgumentParser, names: Sequence[str] | None = None
) -> None:
    helps = _setting_help()
    for f in fields(Settings):
        if f.name in _SECRET_FIELDS or (names is not None and f.name not in names):
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = int if f.type in ("int", int) else str
        parser.add_argument(
            flag,
            dest=f.name,
            type=kind,
            default=None,
            metavar=f.name.split("_")[-1].upper(),
            choices=_CHOICES.get(f.name),
            help=f"{helps.get(f.name, '')} (env {ENV_PREFIX}{f.name.upper()})".strip(),
        )


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {f.name: getattr(args, f.name, None) for f in fields(Settings)}
    return Settings.from_env(**overrides)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise SystemExit("proctor-backend: the passwords differ")
    else:
        raise SystemExit("proctor-backend: give --password-stdin and pipe the password in")
    return password


class _Stop(Exception):
    """SIGTERM arrived."""


@contextmanager
def _graceful_signals() -> Iterator[None]:
    """SIGTERM stops like Ctrl+C: the server drains, cleanup runs, exit code 0."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    except (_Stop, KeyboardInterrupt):
        logger.info("Stopped by signal")
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API against the configured storage."""
    from backend.app import create_app
    from backend.log import setup_logging
    from backend.server import bind_socket, make_server, settle_heap

    settings = _settings(args)
    setup_logging(settings.log_level)
    if settings.workers > 1:
        return _serve_workers(settings)
    app = create_app(settings)
    try:
        app.state.services.storage.check()
    except Exception as exc:  # noqa: BLE001 (storage may come up later: warn, serve anyway)
        logger.warning(
            "Storage is not reachable yet (%s); serving anyway, requests will get 503", exc
        )
    settle_heap()
    sock = bind_socket(settings.host, settings.port)
    logger.info(
        "Serving on http://%s:%d/api/v1 (bucket %s, endpoint %s)",
        settings.host,
        sock.getsockname()[1],
        settings.bucket,
        settings.s3_endpoint_url or "AWS",
    )
    with _graceful_signals():
        make_server(app, log_level=settings.log_level).run(sockets=[sock])
    sock.close()
    return 0


def _serve_workers(settings: Settings) -> int:
    """`serve --workers N`: prepare shared state here, then uvicorn's supervisor runs N workers."""
    from backend.app import prepare_data
    from backend.server import bind_socket, serve_workers
    from backend.storage import S3Storage

    prepare_data(settings)
    try:
        S3Storage(settings).check()
    except Exception as exc:  # noqa: BLE001 (storage may come up later: warn, serve anyway)
        logger.warning(
            "Storage is not reachable yet (%s); serving anyway, requests will get 503", exc
        )
    sock = bind_socket(settings.host, settings.port)
    logger.info(
        "Serving on http://%s:%d/api/v1 with %d worker processes (bucket %s, endpoint %s)",
        settings.host,
        sock.getsockname()[1],
        settings.workers,
        settings.bucket,
        settings.s3_endpoint_url or "AWS",
    )
    # Workers are spawned (not forked) and rebuild the settings from the environment; a port of 0
    # becomes the one actually bound, so every worker serves the same socket's address.
    os.environ.update(settings.replace(port=sock.getsockname()[1]).to_env())
    serve_workers(settings, sock)
    sock.close()
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    """Serve with an in-process S3 emulator and a demo user."""
    from backend.dev import run_dev
    from backend.log import setup_logging

    settings = Settings.from_env(log_level=args.log_level)
    setup_logging(settings.log_level)
    data_dir = Path(args.data_dir) if args.data_dir else None
    with _graceful_signals():
        return run_dev(host=args.host, port=args.port, data_dir=data_dir, settings=settings)
    return 0


def _admin_settings(args: argparse.Namespace, *, create: bool = False) -> Settings:
    """The settings of an admin command, refusing to invent a data folder.

    Admin commands work on a server's existing data. Without `--data-dir`/`--db` (or their
    variables) the default is `./proctor-backend-data` in the current folder; opening it there
    silently created an empty database (and keys) wherever the command happened to run. Now a
    missing database is an error naming where it was looked for, unless `create` and the place
    was given explicitly (`user add` making the first account of a new server).
    """
    settings = _settings(args)
    target = settings.database
    if "://" in target and not target.startswith("sqlite:///"):
        return settings  # a database server: nothing to create by accident here
    if Path(target.removeprefix("sqlite:///")).exists():
        return settings
    explicit = any(
        getattr(args, name, None) or os.environ.get(f"{ENV_PREFIX}{name.upper()}")
        for name in ("data_dir", "db")
    )
    if create and explicit:
        return settings
    hint = (
        "give the server's --data-dir or --db"
        if not explicit
        else "check the path, or create it with `proctor-backend user add`"
    )
    raise SystemExit(f"proctor-backend: no database at {target}: {hint}")


def _open_db(args: argparse.Namespace, *, create: bool = False) -> Any:
    from backend.db import open_configured

    return open_configured(_admin_settings(args, create=create))


def cmd_user(args: argparse.Namespace) -> int:
    """Account administration."""
    from backend import users

    db = _open_db(args, create=args.user_cmd == "add")
    try:
        if args.user_cmd == "add":
            user = users.add_user(db, args.name, _read_password(args), args.role)
            print(f"Added {user.role} {user.username!r}.")
        elif args.user_cmd == "passwd":
            users.set_password(db, args.name, _read_password(args))
            print(f"Password of {args.name!r} changed; their sessions were signed out.")
        elif args.user_cmd == "disable":
            users.set_disabled(db, args.name, True)
            print(f"Disabled {args.name!r}; their sessions were signed out.")
        elif args.user_cmd == "enable":
            users.set_disabled(db, args.name, False)
            print(f"Enabled {args.name!r}.")
        else:
            for u in db.list_users():
                print(f"{u.username}\t{u.role}\t{'disabled' if u.disabled else 'enabled'}")
    except users.UserAdminError as exc:
        print(f"proctor-backend: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


def cmd_uploads(args: argparse.Namespace) -> int:
    """List uploads recorded in the database."""
    from backend.uploads import iso

    db = _open_db(args)
    try:
        user_id = None
        if args.user:
            user = db.get_user(args.user.lower())
            if user is None:
                print(f"proctor-backend: no user {args.user!r}", file=sys.stderr)
                return 1
            user_id = user.id
        rows = db.list_uploads(
            user_id=user_id, status=args.status, before_seq=None, limit=args.limit
        )
    finally:
        db.close()
    for r in rows:
        if args.json:
            print(
                json.dumps(
                    {
                        "upload_id": r.upload_id,
                        "owner": r.username,
                        "status": r.status,
                        "key": r.key,
                        "size": r.size,
                        "created_at": iso(r.created_at),
                        "completed_at": iso(r.completed_at),
                        "etag": r.etag,
                        "exam_id": r.exam_id,
                        "kind": r.kind,
                    }
                )
            )
        else:
            size = "-" if r.size is None else str(r.size)  # not known while a recording is sent
            print(f"{iso(r.created_at)}  {r.status:<11}  {r.username:<16}  {size:>14}  {r.key}")
    if not rows and not args.json:
        print("No uploads.")
    return 0


def cmd_lifecycle(args: argparse.Namespace) -> int:
    """Show or apply S3 lifecycle rules per kind."""
    from backend.keys import KINDS
    from backend.lifecycle import apply_rules
    from backend.storage import S3Storage, StorageError

    storage = S3Storage(_settings(args))
    try:
        if args.lifecycle_cmd == "apply":
            kinds = args.kind or list(KINDS)
            try:
                rules = apply_rules(
                    storage,
                    kinds=kinds,
                    expire_days=args.expire_days,
                    abort_days=args.abort_incomplete_days,
                )
            except ValueError as exc:
                print(f"proctor-backend: {exc}", file=sys.stderr)
                return 2
        else:
            rules = storage.get_lifecycle_rules()
    except StorageError as exc:
        print(f"proctor-backend: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(rules, indent=2))
    return 0


def cmd_receipts(args: argparse.Namespace) -> int:
    """Print the receipt-signing public keys (JWKS), or rotate to a new signing key."""
    from backend.receipts.signing_keys import SigningKeyError, SigningKeys

    try:
        data_dir = _settings(args).data_dir
        if not data_dir.is_dir():
            # The keys belong to a server's data folder; never start a new one by accident.
            raise SystemExit(
                f"proctor-backend: no data folder at {data_dir}: give the server's --data-dir"
            )
        keys = SigningKeys(data_dir)
        if args.receipts_cmd == "rotate":
            key = keys.rotate()
            print(
                f"New receipt signing key {key.kid}; {len(keys.all()) - 1} older key(s) stay "
                "published. Running servers sign with it from their next receipt.",
                file=sys.stderr,
            )
        print(json.dumps(keys.jwks(), indent=2))
    except SigningKeyError as exc:
        print(f"proctor-backend: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Read stored objects back and compare them with their receipts."""
    from backend.evidence_commands import cmd_audit as audit

    return audit(_admin_settings(args), args)


def cmd_exams(args: argparse.Namespace) -> int:
    """Show an exam's uploads per proctor."""
    from backend.evidence_commands import cmd_exams_show

    return cmd_exams_show(_admin_settings(args), args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `proctor-backend`."""
    from backend.keys import KINDS

    parser = argparse.ArgumentParser(
        prog="proctor-backend",
        description="Proctor Uploader reference backend: sign-in, presigned S3 multipart uploads.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="serve the API (settings from flags or PROCTOR_BACKEND_* env)"
    )
    _add_settings_flags(serve)
    serve.set_defaults(func=cmd_serve)

    dev = sub.add_parser(
        "dev", help="serve with an embedded S3 emulator and a demo user on 127.0.0.1"
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    dev.add_argument(
        "--data-dir", default=None, help="keep users and uploads here (default: temporary)"
    )
    dev.add_argument("--log-level", default=None)
    dev.set_defaults(func=cmd_dev)

    db_flags = ("data_dir", "db", "database_url")
    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_cmd", required=True)
    for name, helptext in (
        ("add", "create an account"),
        ("passwd", "change a password (signs the user out everywhere)"),
        ("disable", "disable an account (signs the user out everywhere)"),
        ("enable", "re-enable an account"),
    ):
        p = user_sub.add_parser(name, help=helptext)
        p.add_argument("name")
        if name in ("add", "passwd"):
            p.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin"
            )
        if name == "add":
            p.add_argument("--role", choices=("user", "admin"), default="user")
        _add_settings_flags(p, db_flags)
    _add_settings_flags(user_sub.add_parser("list", help="list accounts"), db_flags)
    user.set_defaults(func=cmd_user)

    uploads = sub.add_parser("uploads", help="inspect uploads")
    uploads_sub = uploads.add_subparsers(dest="uploads_cmd", required=True)
    ul = uploads_sub.add_parser("list", help="list uploads, newest first")
    ul.add_argument("--status", choices=("in_progress", "completed", "aborted"))
    ul.add_argument("--user", help="only this user's uploads")
    ul.add_argument("--limit", type=int, default=100)
    ul.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_settings_flags(ul, db_flags)
    uploads.set_defaults(func=cmd_uploads)

    receipts = sub.add_parser("receipts", help="the keys that sign upload receipts")
    receipts_sub = receipts.add_subparsers(dest="receipts_cmd", required=True)
    _add_settings_flags(
        receipts_sub.add_parser("keys", help="print the public keys as a JWK Set"), ("data_dir",)
    )
    _add_settings_flags(
        receipts_sub.add_parser(
            "rotate", help="sign with a new key from now on (older keys stay published)"
        ),
        ("data_dir",),
    )
    receipts.set_defaults(func=cmd_receipts)

    from backend.evidence_commands import parse_rate, parse_since

    storage_flags = ("bucket", "region", "s3_endpoint_url", "s3_addressing_style")
    audit = sub.add_parser(
        "audit", help="read stored objects back and compare them with their signed receipts"
    )
    audit.add_argument("--exam", metavar="ID", help="only this exam's uploads")
    audit.add_argument(
        "--since", type=parse_since, metavar="DATE", help="only uploads completed since (UTC)"
    )
    audit.add_argument(
        "--rate",
        type=parse_rate,
        default=parse_rate("50M"),
        metavar="RATE",
        help="read at most this many bytes per second, e.g. 50M (default), 0 for no limit",
    )
    _add_settings_flags(audit, (*db_flags, *storage_flags))
    audit.set_defaults(func=cmd_audit)

    exams = sub.add_parser("exams", help="exam completeness")
    exams_sub = exams.add_subparsers(dest="exams_cmd", required=True)
    show = exams_sub.add_parser(
        "show", help="per proctor, the uploads of one exam (state, bytes, receipt, audit)"
    )
    show.add_argument("exam_id", metavar="EXAM")
    show.add_argument("--json", action="store_true", help="the report as JSON")
    _add_settings_flags(show, db_flags)
    exams.set_defaults(func=cmd_exams)

    lifecycle = sub.add_parser("lifecycle", help="S3 lifecycle rules per kind prefix")
    lc_sub = lifecycle.add_subparsers(dest="lifecycle_cmd", required=True)
    apply = lc_sub.add_parser("apply", help="set retention and the orphaned-multipart backstop")
    apply.add_argument(
        "--expire-days", type=int, help="delete recordings this many days after upload"
    )
    apply.add_argument(
        "--abort-incomplete-days",
        type=int,
        help="abort multipart uploads unfinished after this many days",
    )
    apply.add_argument(
        "--kind", action="append", choices=KINDS, help="repeatable; default: every kind"
    )
    _add_settings_flags(apply, storage_flags)
    _add_settings_flags(lc_sub.add_parser("show", help="print the bucket's rules"), storage_flags)
    lifecycle.set_defaults(func=cmd_lifecycle)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `proctor-backend` console script."""
    from backend.db.errors import DatabaseError

    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"proctor-backend: {exc}", file=sys.stderr)
        return 2
    except (OSError, DatabaseError) as exc:
        print(f"proctor-backend: {exc}", file=sys.stderr)
        return 1
    return result
