"""Run blocking work off the GUI thread and get the result back on it: the window
never freezes on I/O, and results touch widgets only on the GUI thread.

`run_in_background(fn, on_done, on_error)` covers one-off work: sign-in, restoring a remembered
sign-in, walking a dropped folder, exporting a CSV. `SerialTasks` runs engine commands (pause,
resume, add...) one at a time, in the order the user gave them, because the engine persists each
one to SQLite.

Callbacks are delivered through a queued Qt signal to a dispatcher living in the GUI thread. When
`context` (a widget) is destroyed before the work finishes, the callbacks are dropped instead of
touching a deleted widget. Call these functions from the GUI thread only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

logger = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


class _Dispatcher(QObject):
    """Lives in the GUI thread and hands each finished task's outcome to its callbacks there."""

    # object: the payload is any result or exception; the callbacks registered for the task type it.
    sig_task_finished = Signal(int, bool, object)
    """Emitted from a worker thread: (task id, succeeded, result or exception)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._next_id = 0
        self._tasks: dict[int, _Callbacks] = {}
        self.sig_task_finished.connect(
            self._on_self_task_finished, Qt.ConnectionType.QueuedConnection
        )

    def register(self, callbacks: _Callbacks) -> int:
        with self._lock:
            self._next_id += 1
            self._tasks[self._next_id] = callbacks
            return self._next_id

    def deliver(self, task_id: int, future: Future[Any]) -> None:
        exc = future.exception()
        if exc is None:
            self.sig_task_finished.emit(task_id, True, future.result())
        else:
            self.sig_task_finished.emit(task_id, False, exc)

    @Slot(int, bool, object)
    def _on_self_task_finished(self, task_id: int, ok: bool, payload: object) -> None:
        with self._lock:
            callbacks = self._tasks.pop(task_id)
        context = callbacks.context
        # Both the deletion and this check happen on the GUI thread, so there is no race.
        if context is not None and not shiboken6.isValid(context):
            logger.debug("Background task finished after its window closed; result dropped")
            return
        if ok:
            if callbacks.on_done is not None:
                callbacks.on_done(payload)
            return
        assert isinstance(payload, BaseException)
        if callbacks.on_error is not None:
            callbacks.on_error(payload)
        else:
            logger.error("Background task failed", exc_info=payload)


class _Callbacks:
    __slots__ = ("context", "on_done", "on_error")

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        context: QObject | None,
    ) -> None:
        self.on_done = on_done
        self.on_error = on_error
        self.context = context


_dispatcher: _Dispatcher | None = None


def _submit(
    executor: ThreadPoolExecutor,
    fn: Callable[[], T],
    on_done: Callable[[T], None] | None,
    on_error: Callable[[BaseException], None] | None,
    context: QObject | None,
) -> Future[T]:
    global _dispatcher  # created on first use, in the GUI thread
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    dispatcher = _dispatcher
    task_id = dispatcher.register(_Callbacks(on_done, on_error, context))
    future = executor.submit(fn)
    future.add_done_callback(lambda f: dispatcher.deliver(task_id, f))
    return future


def _shared_pool() -> ThreadPoolExecutor:
    global _pool  # one lazily created pool for the whole GUI
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ui-task")
        return _pool


def run_in_background(
    fn: Callable[[], T],
    on_done: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    context: QObject | None = None,
) -> Future[T]:
    """Run `fn()` on a worker thread; call `on_done(result)` or `on_error(exc)` on the GUI thread.

    Args:
        fn: Blocking work. It must not touch widgets.
        on_done: Receives the result on the GUI thread.
        on_error: Receives the exception on the GUI thread; without it the error is logged.
        context: A QObject whose destruction cancels the callbacks (usually the widget waiting).

    Returns:
        The future, for callers (and tests) that want to wait on the worker side.
    """
    return _submit(_shared_pool(), fn, on_done, on_error, context)


def shutdown_background_tasks(timeout: float | None = 10.0) -> None:
    """Wait for running one-off tasks and stop the shared pool (at quit, and between tests)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    done = threading.Event()

    def wait() -> None:
        pool.shutdown(wait=True, cancel_futures=False)
        done.set()

    threading.Thread(target=wait, name="ui-task-shutdown").start()
    if not done.wait(timeout):
        logger.warning("Background tasks still running after %.0f s at shutdown", timeout or 0)
    # Deliver callbacks that were queued while waiting, so nothing is left half done.
    QCoreApplication.processEvents()


class SerialTasks:
    """A one-worker lane for engine commands: they run in submission order, off the GUI thread."""

    def __init__(self, name: str = "engine-commands") -> None:
        """Create the lane; its thread starts with the first submitted command."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def submit(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        context: QObject | None = None,
    ) -> Future[T]:
        """Queue `fn()`; callbacks as in `run_in_background`."""
        return _submit(self._executor, fn, on_done, on_error, context)

    def shutdown(self, *, wait: bool = True) -> None:
        """Run what is queued, then stop the worker."""
        self._executor.shutdown(wait=wait)
