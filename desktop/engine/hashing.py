"""The file's SHA-256 for the receipt, computed by one sequential pass beside the part uploads.

Parts are sent out of order by several workers, so the whole-file hash cannot ride on their reads
without buffering; a separate sequential read through one 1 MiB buffer costs one extra page-cache
copy (the parts were just read, or are about to be) and keeps memory flat. It starts with the job,
so by the time the last part is stored the hash is usually ready and completion does not wait. On
resume it reads the file again from the start: a hash state cannot be persisted portably, and the
extra read runs in parallel with the parts still missing.

It begins reading only once the run's first bytes are on their way (``start_after``), or after
``max_delay`` seconds at most: on two cores, a pass that starts together with the first part
competes with it for the CPU and the disk at exactly the moment the proctor waits for the upload
to move (issue 6's time to the first byte after a restart). It must still finish, and is checked,
before the upload is completed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from desktop.engine import sourcefile
from desktop.engine.retry import Backoff, call_with_retry
from desktop.errors import DataChangedError, UploaderError

logger = logging.getLogger(__name__)

BUFFER_SIZE = 1024 * 1024
#: The longest the pass waits for the first part to start sending before it begins anyway.
MAX_START_DELAY = 1.0


class Sha256Pass:
    """Hashes a file on a daemon thread; `result()` waits for the hex digest."""

    def __init__(
        self,
        path: str,
        size: int,
        *,
        name: str = "sha256",
        start_after: threading.Event | None = None,
        max_delay: float = MAX_START_DELAY,
    ) -> None:
        """Start hashing the first `size` bytes of `path` (the file must be exactly that long).

        Args:
            path: The file.
            size: Its expected length.
            name: The thread's name.
            start_after: Begin reading once this is set (the run's first bytes are out) ...
            max_delay: ... or after this many seconds, whichever comes first.
        """
        self.path = path
        self.size = size
        self._start_after = start_after
        self._max_delay = max_delay
        self.began = threading.Event()  # set when reading begins
        self._stop = threading.Event()
        self._done = threading.Event()
        self._digest: str | None = None
        self._error: UploaderError | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _wait_for_start(self) -> None:
        gate = self._start_after
        if gate is None:
            return
        deadline = time.monotonic() + self._max_delay
        while not gate.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
            if self._stop.is_set() or time.monotonic() >= deadline:
                return

    def _run(self) -> None:
        self._wait_for_start()
        self.began.set()
        started = time.monotonic()
        try:
            self._digest = self._hash()
            logger.debug("sha256 of %d bytes in %.2f s", self.size, time.monotonic() - started)
        except UploaderError as exc:
            self._error = exc
        except OSError as exc:
            self._error = sourcefile.read_error(self.path, exc)
        finally:
            self._done.set()

    def _hash(self) -> str:
        digest = hashlib.sha256()
        buf = bytearray(BUFFER_SIZE)
        view = memoryview(buf)
        # A recorder holding the file (Windows) lets go in its own time; wait for it until stopped.
        opened = call_with_retry(
            lambda: sourcefile.open_for_reading(self.path), backoff=Backoff(), stop=self._stop
        )
        with opened as f:
            pos = 0
            while pos < self.size:
                if self._stop.is_set():
                    raise DataChangedError("Hashing was stopped.", title="Stopped")
                n = f.readinto(view[: min(BUFFER_SIZE, self.size - pos)])
                if not n:
                    raise DataChangedError(
                        f"The file {self.path} became shorter while it was being uploaded."
                    )
                digest.update(view[:n])
                pos += n
            if f.read(1):
                raise DataChangedError(f"The file {self.path} grew while it was being uploaded.")
        return digest.hexdigest()

    def stop(self) -> None:
        """Ask the thread to stop early (its result is then an error)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after `stop`, within one buffer's read)."""
        self._thread.join(timeout)

    def result(self, cancelled: threading.Event | None = None) -> str | None:
        """The hex digest; None if `cancelled` was set first.

        Raises:
            DataChangedError: The file could not be read whole, or changed length.
        """
        while not self._done.wait(0.1):
            if cancelled is not None and cancelled.is_set():
                return None
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest
