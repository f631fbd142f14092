"""Receipts kept apart from the queue: an append-only file beside the queue database.

Receipts are the proctor's proof that a recording arrived intact. The queue database changes all
the time (every finished part is a write), so it is the file most likely to be damaged by a crash,
a full disk or a bad sector; the receipts must not share its fate. Every receipt is therefore also
appended, as one JSON line, to ``receipts.jsonl`` and flushed to disk before it counts. The queue
database stays the place the app reads receipts from; this file is what they are rebuilt from when
the database has to be set aside (see :class:`desktop.engine.store.QueueStore`).

A line that cannot be read (a write cut short by a crash) is skipped; the same upload id written
twice keeps its last line.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from desktop import platforms
from desktop.engine.receipt import Receipt, from_dict, to_dict
from desktop.errors import StateStoreError

__all__ = ["ReceiptLog"]

logger = logging.getLogger(__name__)


class ReceiptLog:
    """The append-only receipt file. Thread-safe."""

    def __init__(self, path: Path) -> None:
        """Use the file at `path` (created, private to the user, on the first append)."""
        self.path = path
        self._lock = threading.Lock()

    def exists(self) -> bool:
        """Whether the file has been started."""
        return self.path.is_file()

    def append(self, receipts: list[Receipt]) -> None:
        """Write `receipts` at the end of the file and flush them to disk.

        Raises:
            StateStoreError: The file cannot be written (disk full, read-only folder).
        """
        lines = "".join(
            json.dumps(to_dict(r), ensure_ascii=False, sort_keys=True) + "\n" for r in receipts
        )
        with self._lock:
            try:
                platforms.create_private_file(self.path)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(lines)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise StateStoreError(
                    f"A receipt could not be saved in {self.path} ({exc.strerror or exc}). Free "
                    "some space or check that the app's data folder is writable."
                ) from exc

    def read(self) -> list[Receipt]:
        """Every receipt in the file (one per upload id, the last written), oldest first."""
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            logger.warning("Could not read the receipt file %s: %s", self.path, exc)
            return []
        found: dict[str, Receipt] = {}
        skipped = 0
        for line in lines:
            receipt = _parse(line)
            if receipt is None:
                skipped += 1
                continue
            found[receipt.upload_id or receipt.job_id] = receipt
        if skipped:
            logger.warning("Skipped %d unreadable line(s) of %s", skipped, self.path)
        return sorted(found.values(), key=lambda r: r.completed_at)


def _parse(line: str) -> Receipt | None:
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    return from_dict(raw)
