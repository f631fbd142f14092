"""The network watcher: probes until the server answers, and never stops while the engine waits."""

from __future__ import annotations

import threading

from desktop.engine.network import NetworkWatcher
from desktop.engine.retry import Backoff
from desktop.errors import NetworkError

QUICK = Backoff(base=0.01, cap=0.02)
WAIT = 10.0  # seconds; only reached when the watcher has stopped probing (the defect)


class FlakyServer:
    """A health probe that fails while `down` is set."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.probes = 0

    def health(self) -> None:
        self.probes += 1
        if self.down.is_set():
            raise NetworkError("connection refused")


def test_it_probes_on_one_thread_and_calls_back_once_the_server_answers() -> None:
    server = FlakyServer()
    server.down.set()
    online = threading.Event()
    watcher = NetworkWatcher(server.health, online.set, backoff=QUICK)
    watcher.start()
    try:
        watcher.start()  # another transfer failed meanwhile: no second loop
        assert not online.wait(0.2)
        assert server.probes >= 2
        assert [t.name for t in threading.enumerate()].count("network-watch") == 1
        server.down.clear()
        assert online.wait(WAIT)
    finally:
        watcher.stop()
    assert not watcher.watching


def test_a_second_outage_during_the_callback_is_watched_too() -> None:
    # The callback restarts uploads; one meets the network down again and asks for a watch while
    # the watcher's thread is still inside the callback. That request must not be lost, or the
    # engine waits for the network forever with nobody probing.
    server = FlakyServer()
    calls: list[int] = []
    second = threading.Event()

    def on_online() -> None:
        calls.append(server.probes)
        if len(calls) == 1:
            server.down.set()
            watcher.start()
            threading.Timer(0.1, server.down.clear).start()
        else:
            second.set()

    watcher = NetworkWatcher(server.health, on_online, backoff=QUICK)
    watcher.start()
    try:
        assert second.wait(WAIT), f"only {len(calls)} callback(s); probes: {server.probes}"
    finally:
        watcher.stop()
    assert len(calls) == 2
    assert calls[1] > calls[0] + 1, "the second callback came without a failed probe before it"
