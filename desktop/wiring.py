"""How the engine is built, in one place: config -> log -> credentials -> API -> engine.

The desktop app (`desktop.app`), the CLI, the GUI benchmark and the UI tests' harness build through
these functions, so each runs the same engine with the same settings. Qt-free. What only some
commands need is imported inside the function that needs it: `status` and `receipts` must start
without loading an HTTP client or a keyring (tests/unit/cli/test_imports.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.config import AppConfig, AppPaths
from desktop.log import RecentLogBuffer, setup_logging

if TYPE_CHECKING:
    from desktop.api.client import ApiClient
    from desktop.auth.credentials import CredentialStore
    from desktop.auth.session import AuthSession
    from desktop.engine.config import TransferConfig
    from desktop.engine.events import EngineListener
    from desktop.engine.queue import UploadQueue
    from desktop.engine.store import QueueStore

#: Part size when the settings leave it to us (0): large enough to keep requests few, small enough
#: that a retried part costs little.
DEFAULT_PART_SIZE_MIB = 16
#: HTTP connections the API client keeps: one per part in flight, up to the engine's limit.
API_POOL_SIZE = 64


def start_logging(
    *, verbose: bool, buffer: RecentLogBuffer | None = None
) -> tuple[AppPaths, Path | None]:
    """The app's folders, with logging set up in them (to standard error too when `verbose`)."""
    paths = AppPaths.default()
    log_path = setup_logging(paths, verbose=verbose, stderr=verbose, buffer=buffer)
    return paths, log_path


def concurrency(config: AppConfig) -> tuple[int, int]:
    """`(files, parts)` for the engine: files at once, and parts in flight across all of them
    (parts per file times files, within the engine's bound)."""
    from desktop.engine.config import MAX_PARTS

    files = config.parallel_files
    return files, min(files * config.parallel_parts, MAX_PARTS)


def transfer_config(
    config: AppConfig,
    *,
    files: int | None = None,
    parts: int | None = None,
    bandwidth_limit: int | None = None,
    **tuning: Any,
) -> TransferConfig:
    """The engine's settings from the user's: files at once, parts in flight, part size, limit.

    Args:
        config: The settings.
        files: Files uploading at once, instead of the settings' (the CLI's --concurrency).
        parts: Parts in flight across all files, instead of `concurrency`'s (--parts).
        bandwidth_limit: Bytes per second, instead of the limit in force now (--limit-rate).
        tuning: Any other `TransferConfig` field (tests: small parts, quick retries).

    Raises:
        ValueError: A value is out of the engine's bounds.
    """
    from desktop.engine.config import MIB, TransferConfig

    if bandwidth_limit is None:
        # The limit in force now (a schedule window may override the base limit).
        bandwidth_limit = config.effective_bandwidth_kib(datetime.now()) * 1024
    default_files, default_parts = concurrency(config)
    values: dict[str, Any] = {
        "files": files if files is not None else default_files,
        "parts": parts if parts is not None else default_parts,
        "part_size": (config.part_size_mib or DEFAULT_PART_SIZE_MIB) * MIB,
        "bandwidth_limit": bandwidth_limit,
        "ca_bundle": config.ca_bundle or None,
    }
    return TransferConfig(**{**values, **tuning})


def api_factory(settings: Callable[[], AppConfig]) -> Callable[[str], ApiClient]:
    """Makes the API client for a server address, under the settings current at that moment."""

    def make(url: str) -> ApiClient:
        from desktop.api.client import ApiClient

        config = settings()
        return ApiClient(
            url,
            allow_insecure_http=config.allow_insecure_http,
            ca_bundle=config.ca_bundle or None,
            pool_size=API_POOL_SIZE,
        )

    return make


def auth_session(settings: Callable[[], AppConfig], store: CredentialStore) -> AuthSession:
    """A signed-out session whose refresh token lives in `store` (the keyring, or memory)."""
    from desktop.auth.session import AuthSession

    return AuthSession(store=store, api_factory=api_factory(settings))


def open_queue(
    session: AuthSession,
    paths: AppPaths,
    transfer: TransferConfig,
    listeners: Sequence[EngineListener] = (),
    *,
    store: QueueStore | None = None,
) -> UploadQueue:
    """A stopped engine on the user's state database (`store`, or opened here), talking to the
    server through `session`."""
    from desktop.engine.queue import UploadQueue
    from desktop.engine.store import QueueStore

    return UploadQueue(
        api=session.api(),
        store=store if store is not None else QueueStore(paths.state_db),
        config=transfer,
        listeners=listeners,
    )


def queue_factory(
    paths: AppPaths, tuning: Callable[[], dict[str, Any]] = dict
) -> Callable[[AuthSession, AppConfig, EngineListener], UploadQueue]:
    """What the app calls after each sign-in to build its engine from the settings of the moment.

    Args:
        paths: The app's folders.
        tuning: Extra `TransferConfig` fields, read at each build (tests shorten parts and waits).
    """

    def make(session: AuthSession, config: AppConfig, listener: EngineListener) -> UploadQueue:
        return open_queue(session, paths, transfer_config(config, **tuning()), [listener])

    return make


def engine_lock(paths: AppPaths) -> Callable[[], Callable[[], None]]:
    """Takes the one-engine-per-user lock and returns its release (raises `UploaderError` when
    another process runs the queue)."""

    def acquire() -> Callable[[], None]:
        from desktop.engine.instance import EngineLock

        lock = EngineLock(paths.data_dir)
        lock.acquire()
        return lock.release

    return acquire


__all__ = [
    "api_factory",
    "auth_session",
    "concurrency",
    "engine_lock",
    "open_queue",
    "queue_factory",
    "start_logging",
    "transfer_config",
]
