"""The server's receipt-signing keys, pinned on first sign-in (trust on first use).

A receipt is only as good as the key it is checked with. Fetching the key when checking would trust
whoever answers then; instead the app keeps the keys it saw at the first sign-in to each server, in
`server-keys.json` in its data folder, and says so when the server later publishes different ones:

- keys added, none gone: the server rotated (old receipts still verify); the new keys are pinned.
- a pinned key gone or different: the keys were replaced, which is what an impostor or a lost key
  looks like. The proctor is warned and the pins stay as they were, so receipts signed with the
  new keys show as signed by an untrusted key until the proctor accepts them knowingly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.errors import BackendError, StateStoreError

if TYPE_CHECKING:
    from desktop.api.client import ApiClient

logger = logging.getLogger(__name__)

PINS_FILE = "server-keys.json"


class PinStatus(Enum):
    """What a sign-in found about the server's published keys."""

    FIRST_USE = "first_use"
    UNCHANGED = "unchanged"
    ROTATED = "rotated"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class PinCheck:
    """The outcome of comparing the published keys with the pinned ones.

    Attributes:
        status: See `PinStatus`.
        server_url: The server.
        added: Key ids published now and not pinned before.
        missing: Pinned key ids the server no longer publishes (or publishes differently).
    """

    status: PinStatus
    server_url: str
    added: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def alarming(self) -> bool:
        """True when the proctor must be warned: the keys were replaced, not rotated."""
        return self.status is PinStatus.CHANGED

    def message(self) -> str:
        """One or two plain sentences for the proctor (empty when there is nothing to say)."""
        if self.status is PinStatus.FIRST_USE:
            return (
                f"Trusting the receipt-signing keys of {self.server_url} from now on "
                "(first sign-in to this server)."
            )
        if self.status is PinStatus.UNCHANGED:
            return ""
        if self.status is PinStatus.ROTATED:
            return (
                f"{self.server_url} now also signs receipts with a new key "
                f"({_ids(self.added)}); the earlier keys are still published, so earlier "
                "receipts still verify."
            )
        return (
            f"The receipt-signing keys of {self.server_url} changed since you first signed in: "
            f"{_ids(self.missing)} no longer published. Receipts signed with other keys will "
            "show as not verified. Ask your exam office whether the server's keys were replaced "
            "before you accept them (`proctor-uploader receipts keys --accept`)."
        )


def _ids(kids: tuple[str, ...]) -> str:
    shown = ", ".join(k[:12] for k in kids[:3])
    return f"key {shown}" if len(kids) == 1 else f"keys {shown}" + (" …" if len(kids) > 3 else "")


def _by_kid(jwks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        return {}
    return {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}


class KeyPins:
    """The pinned key sets of every server this app signed in to, in one small JSON file."""

    def __init__(self, data_dir: Path) -> None:
        """Keep the pins in `data_dir`."""
        self.path = data_dir / PINS_FILE

    def keys_for(self, server_url: str) -> dict[str, Any] | None:
        """The pinned JWK Set of `server_url`, or None before the first sign-in there."""
        entry = self._load().get(server_url)
        return entry["jwks"] if isinstance(entry, dict) and "jwks" in entry else None

    def check(self, server_url: str, published: dict[str, Any]) -> PinCheck:
        """Compare the keys `server_url` publishes with the pinned ones; pin what is trusted.

        Raises:
            StateStoreError: The pins cannot be saved.
        """
        pins = self._load()
        pinned = self.keys_for(server_url)
        now = _by_kid(published)
        if pinned is None:
            pins[server_url] = {"jwks": {"keys": list(now.values())}, "pinned_at": time.time()}
            self._save(pins)
            logger.info("Pinned %d receipt-signing key(s) of %s", len(now), server_url)
            return PinCheck(PinStatus.FIRST_USE, server_url, added=tuple(now))
        before = _by_kid(pinned)
        missing = tuple(kid for kid, jwk in before.items() if now.get(kid) != jwk)
        added = tuple(kid for kid in now if kid not in before)
        if missing:
            logger.warning(
                "Receipt-signing keys of %s changed: %s gone, %s new", server_url, missing, added
            )
            return PinCheck(PinStatus.CHANGED, server_url, added=added, missing=missing)
        if added:
            pins[server_url] = {
                "jwks": {"keys": [*before.values(), *(now[k] for k in added)]},
                "pinned_at": time.time(),
            }
            self._save(pins)
            logger.info("Receipt-signing keys of %s rotated: %s added", server_url, added)
            return PinCheck(PinStatus.ROTATED, server_url, added=added)
        return PinCheck(PinStatus.UNCHANGED, server_url)

    def accept(self, server_url: str, published: dict[str, Any]) -> None:
        """Trust exactly the keys `server_url` publishes now (after a confirmed replacement).

        Raises:
            StateStoreError: The pins cannot be saved.
        """
        pins = self._load()
        pins[server_url] = {
            "jwks": {"keys": list(_by_kid(published).values())},
            "pinned_at": time.time(),
        }
        self._save(pins)
        logger.info("Accepted the current receipt-signing keys of %s", server_url)

    def _load(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A damaged pin file must not pass for "first use": that would trust any new key.
            raise StateStoreError(
                f"The trusted server keys in {self.path} cannot be read ({exc}). Restore the "
                "file from a backup, or delete it to trust the server's keys afresh.",
                title="Trusted keys unreadable",
            ) from exc
        return loaded if isinstance(loaded, dict) else {}

    def _save(self, pins: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".server-keys-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(pins, f, indent=2, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StateStoreError(
                f"The trusted server keys could not be saved to {self.path} ({exc.strerror}).",
                title="Trusted keys not saved",
            ) from exc


def check_server_keys(pins: KeyPins, api: ApiClient) -> PinCheck | None:
    """Fetch the keys `api`'s server publishes and compare them with the pins (network I/O).

    Returns:
        The outcome, or None when the server publishes no receipt keys (it predates them).

    Raises:
        NetworkError, BackendError: The keys could not be fetched.
        StateStoreError: The pins cannot be read or saved.
    """
    try:
        published = api.receipt_keys()
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise
    return pins.check(api.server_url, published)
