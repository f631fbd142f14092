"""`receipts verify` and `receipts keys`: check signed receipts offline, show or accept the keys.

`verify` needs no network and no sign-in: it reads an export written by `receipts --json` and
checks each receipt against a key set the proctor already trusts (`--keys`, or the keys pinned at
the first sign-in to the configured server).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.outcome import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, say
from desktop.config import AppConfig, AppPaths
from desktop.errors import UploaderError
from desktop.trust.pins import KeyPins, check_server_keys

# `desktop.trust.verify` loads PyJWT and cryptography's X.509 (~25 ms of CPU): only `verify`
# needs it, not the key check that ends every upload, so it is imported where it is used.

if TYPE_CHECKING:
    from desktop.auth.session import AuthSession

logger = logging.getLogger(__name__)


def report_server_keys(session: AuthSession, paths: AppPaths, *, quiet: bool = False) -> None:
    """After a sign-in: pin the server's receipt keys the first time, say when they changed.

    With `quiet`, a failure to fetch them is only logged (the command has its own result to say).
    """
    try:
        check = check_server_keys(KeyPins(paths.data_dir), session.api())
    except UploaderError as exc:
        if quiet:
            logger.info("Receipt keys not checked: %s", exc.message)
            return
        sys.stderr.write(
            "proctor-uploader: warning: the server's receipt-signing keys could not be checked "
            f"({exc.message})\n"
        )
        return
    if check is None or not check.message():
        return
    if check.alarming:
        sys.stderr.write(f"proctor-uploader: warning: {check.message()}\n")
    else:
        say(check.message())


def cmd_verify(args: argparse.Namespace, paths: AppPaths) -> int:
    """One line per receipt of an export: OK or why not; exit 0 only when every one holds."""
    from desktop.trust.verify import verify_signed

    receipts = _read_export(Path(args.export))
    keys = _trusted_keys(args.keys, paths)
    files = _match_files([Path(f) for f in args.recording or []], receipts)
    all_ok = True
    for index, receipt in enumerate(receipts, 1):
        verdict = verify_signed(receipt, keys, file=files.get(index))
        all_ok = all_ok and verdict.ok
        name = os.path.basename(str(receipt.get("path") or receipt.get("key") or f"#{index}"))
        say(f"{'OK  ' if verdict.ok else 'FAIL'}  {name}: {verdict.reason}")
    unmatched = [f for f in args.recording or [] if Path(f) not in files.values()]
    for path in unmatched:
        all_ok = False
        say(f"FAIL  {path}: no receipt in {args.export} is for this file")
    return EXIT_OK if all_ok else EXIT_FAILED


def _read_export(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}", EXIT_USAGE) from None
    except ValueError:
        raise CliError(
            f"{path} is not JSON; export the receipts with `proctor-uploader receipts --json FILE`",
            EXIT_USAGE,
        ) from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CliError(
            f"{path} is not a list of receipts (`receipts --json` writes one)", EXIT_USAGE
        )
    if not data:
        raise CliError(f"{path} holds no receipts", EXIT_FAILED)
    return data


def _trusted_keys(keys_file: str | None, paths: AppPaths) -> Any:
    from desktop.trust.verify import KeySetError, load_key_set, read_key_set

    try:
        if keys_file:
            return read_key_set(Path(keys_file))
        config = AppConfig.load_layered(paths)
        pinned = KeyPins(paths.data_dir).keys_for(config.server_url) if config.server_url else None
        if pinned is None:
            raise CliError(
                "no trusted keys: sign in once (`proctor-uploader login`) to pin the server's "
                "keys, or pass the organisation's key set with --keys FILE",
                EXIT_USAGE,
            )
        return load_key_set(pinned)
    except KeySetError as exc:
        raise CliError(f"the key set is unusable: {exc}", EXIT_USAGE) from None


def _match_files(files: list[Path], receipts: list[dict[str, Any]]) -> dict[int, Path]:
    """Receipt number -> the recording given for it: same path, else same file name."""
    matched: dict[int, Path] = {}
    local = {i: Path(str(r.get("path", ""))) for i, r in enumerate(receipts, 1)}
    for file in files:
        same_path = [i for i, p in local.items() if p.resolve() == file.resolve()]
        same_name = [i for i, p in local.items() if p.name == file.name]
        hits = [i for i in same_path or same_name if i not in matched]
        if hits:
            matched[hits[-1]] = file  # the newest receipt of that file
    return matched


def cmd_keys(args: argparse.Namespace, paths: AppPaths) -> int:
    """Print the keys pinned for the configured server; `--accept` trusts what it publishes now."""
    config = AppConfig.load_layered(paths)
    if not config.server_url:
        raise CliError("not signed in to any server yet (`proctor-uploader login`)", EXIT_USAGE)
    pins = KeyPins(paths.data_dir)
    if args.accept:
        from desktop.api.client import ApiClient

        api = ApiClient(
            config.server_url,
            allow_insecure_http=config.allow_insecure_http,
            ca_bundle=config.ca_bundle or None,
        )
        try:
            pins.accept(api.server_url, api.receipt_keys())
        finally:
            api.close()
        say(f"Now trusting the receipt-signing keys {config.server_url} publishes.")
    pinned = pins.keys_for(config.server_url)
    if pinned is None:
        say(f"No keys of {config.server_url} are trusted yet; sign in again to pin them.")
        return EXIT_OK
    say(json.dumps(pinned, indent=2))
    return EXIT_OK
