"""One sequential read per file: the receipt's SHA-256 and each part's checksum from the same bytes.

The reader walks the file from the first byte to the last through one reused buffer (``pread``),
feeding each chunk to the whole-file SHA-256 and to the checksum of the part it belongs to. A part's
checksum is what its URL is signed with, so storage refuses any byte that differs from what was
hashed here (BadDigest), and the SHA-256 therefore describes exactly the bytes storage accepted.

It runs a few parts ahead of the senders and no further (``turn``), so the parts it hashed are still
in the page cache when they are read again to be sent: re-reading from the page cache costs
0.04 CPU-s/GiB, holding whole parts in memory would cost their size per worker. A part a sender
needs before the reader reaches it (on resume, the missing parts come after the ones already
stored) is hashed by the sender itself; the reader then checks that its own checksum of the part is
the same, so a change between the two reads is never missed.

On resume it reads the whole file again: the SHA-256 state cannot be persisted portably, and the
parts already stored are checked against the checksums they were sent with.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from desktop.engine import checksums, sourcefile
from desktop.engine.planner import PartRange
from desktop.engine.retry import Backoff, call_with_retry
from desktop.engine.transfer import CancelledError, read_at
from desktop.errors import DataChangedError, UploaderError

logger = logging.getLogger(__name__)

BUFFER_SIZE = 1024 * 1024


class _Stopped(Exception):
    """The read was interrupted because its job was paused, cancelled or suspended."""


class SequentialReader:
    """Hashes a file on a daemon thread; `result()` waits for the hex SHA-256.

    Args:
        path: The file.
        size: Its expected length (the file must be exactly that long).
        plan: Its parts.
        algorithm: The part checksum storage verifies.
        turn: Blocks until the reader may hash the given part (True) or the run ended (False).
        on_part: Called with each part's number and hex checksum; returns False when the part was
            already sent with another checksum (the file changed between two reads).
        on_error: Called once when the pass fails (the file changed, shrank, grew or vanished).
        name: The thread's name.
    """

    def __init__(
        self,
        path: str,
        size: int,
        plan: list[PartRange],
        algorithm: str,
        *,
        turn: Callable[[int], bool],
        on_part: Callable[[int, str], bool],
        on_error: Callable[[UploaderError], None],
        name: str = "reader",
    ) -> None:
        """Start reading at once."""
        self.path = path
        self.size = size
        self._plan = plan
        self._algorithm = algorithm
        self._turn = turn
        self._on_part = on_part
        self._on_error = on_error
        self._stop = threading.Event()
        self._done = threading.Event()
        self._digest: str | None = None
        self._error: UploaderError | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            self._digest = self._read()
            logger.debug("read %d bytes in %.2f s", self.size, time.monotonic() - started)
        except _Stopped:
            self._error = DataChangedError("Reading was stopped.", title="Stopped")
        except UploaderError as exc:
            self._error = exc
        except OSError as exc:
            self._error = sourcefile.read_error(self.path, exc)
        finally:
            self._done.set()
        if self._error is not None and not self._stop.is_set():
            self._on_error(self._error)

    def _read(self) -> str:
        sha = hashlib.sha256()
        buf = bytearray(BUFFER_SIZE)
        view = memoryview(buf)
        # A recorder holding the file (Windows) lets go in its own time; wait for it until stopped.
        opened = call_with_retry(
            lambda: sourcefile.open_for_reading(self.path), backoff=Backoff(), stop=self._stop
        )
        with opened as file:
            for part in self._plan:
                if not self._turn(part.number) or self._stop.is_set():
                    raise _Stopped
                digest = checksums.hasher(self._algorithm)
                pos, end = part.offset, part.end
                while pos < end:
                    if self._stop.is_set():
                        raise _Stopped
                    n = read_at(file, view[: min(BUFFER_SIZE, end - pos)], pos)
                    if n <= 0:
                        raise DataChangedError(
                            f"The file {self.path} became shorter while it was being uploaded."
                        )
                    chunk = view[:n]
                    sha.update(chunk)
                    digest.update(chunk)
                    pos += n
                if not self._on_part(part.number, digest.hexdigest()):
                    raise DataChangedError(
                        f"The recording {self.path} changed while it was being uploaded (part "
                        f"{part.number} differs from the bytes sent), so it was not completed as a "
                        "mix of old and new data. Retry the upload to send it whole."
                    )
            if read_at(file, view[:1], self.size) > 0:
                raise DataChangedError(f"The file {self.path} grew while it was being uploaded.")
        return sha.hexdigest()

    def stop(self) -> None:
        """Ask the thread to stop early (its result is then an error)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after `stop`, within one buffer's read or one turn poll)."""
        self._thread.join(timeout)

    def result(self, cancelled: threading.Event | None = None) -> str | None:
        """The hex SHA-256 of the file; None if `cancelled` was set first.

        Raises:
            DataChangedError: The file could not be read whole, changed length, or a part differs
                from the bytes sent.
        """
        while not self._done.wait(0.1):
            if cancelled is not None and cancelled.is_set():
                return None
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest


def hash_range(path: str, part: PartRange, algorithm: str, cancelled: threading.Event) -> str:
    """The hex checksum of one part, read now through a 512 KiB buffer (a sender that needs a
    part before the reader gets there, or a check of a part storage holds).

    Raises:
        DataChangedError: The file is gone or shorter than the part.
        FileInUseError: Another program holds the file (retryable).
        CancelledError: `cancelled` was set.
    """
    digest = checksums.hasher(algorithm)
    view = memoryview(bytearray(512 * 1024))
    file = sourcefile.open_for_reading(path)
    try:
        pos, end = part.offset, part.end
        while pos < end:
            if cancelled.is_set():
                raise CancelledError
            n = read_at(file, view[: min(len(view), end - pos)], pos)
            if n <= 0:
                raise DataChangedError(
                    f"The file {path} became shorter while it was being uploaded."
                )
            digest.update(view[:n])
            pos += n
    except OSError as exc:
        raise sourcefile.read_error(path, exc) from None
    finally:
        file.close()
    return digest.hexdigest()
