"""What goes wrong in the soak: proxy fault rules, and when to kill, restart and cut the network.

Everything is drawn from the run's seed, so a failing run can be repeated.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from tests.support.faultproxy import (
    FaultProxy,
    Rule,
    delay,
    internal_error,
    reset_after,
    respond,
    slow_down,
    stall,
    url_expired,
)

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Intensity:
    """Shares of requests that get each fault (0 turns it off).

    Attributes:
        reset: Part PUTs cut after a random number of bytes (0-4 MiB).
        slowdown: Part PUTs answered 503 SlowDown.
        server_error: Part PUTs answered 500.
        expired: Part PUTs answered 403 Request has expired.
        stall: Part PUTs read for nothing, then closed after a few seconds.
        latency: Requests (both proxies) delayed by up to 0.3 s.
        api_unavailable: Backend calls answered 503 before reaching the backend.
        api_lost_response: Part-signing and completion calls cut after reaching the backend, so
            the backend acts but the client never hears (the retry must be idempotent).
    """

    reset: float = 0.2
    slowdown: float = 0.05
    server_error: float = 0.03
    expired: float = 0.02
    stall: float = 0.01
    latency: float = 0.1
    api_unavailable: float = 0.05
    api_lost_response: float = 0.05


def install_faults(
    storage: FaultProxy, backend: FaultProxy, seed: int, shares: Intensity
) -> dict[str, int]:
    """Add the soak's rules to both proxies; returns rule name -> id (for the report)."""
    rules: dict[str, int] = {}
    unavailable = json.dumps(
        {"error": {"code": "unavailable", "message": "injected by the soak"}}
    ).encode()
    storage_rules = {
        "storage: reset mid-part": (reset_after(0, 4 * MIB), shares.reset),
        "storage: 503 SlowDown": (slow_down(), shares.slowdown),
        "storage: 500 InternalError": (internal_error(), shares.server_error),
        "storage: 403 expired": (url_expired(), shares.expired),
        "storage: stall 3 s": (stall(3.0), shares.stall),
    }
    for offset, (name, (action, share)) in enumerate(storage_rules.items()):
        if share:
            rule = Rule(method="PUT", action=action, probability=share, seed=seed + offset)
            rules[name] = storage.add_rule(rule)
    backend_rules = {
        "api: 503 on sign/list/complete": (
            Rule(
                path=r"^/api/v1/uploads/[^/]+/(parts|complete)$",
                action=respond(503, unavailable, content_type="application/json"),
                probability=shares.api_unavailable,
                seed=seed + 10,
            )
        ),
        "api: response lost after sign/complete": (
            Rule(
                method="POST",
                path=r"^/api/v1/uploads/[^/]+/(parts|complete)$",
                action=reset_after(10**9),
                probability=shares.api_lost_response,
                seed=seed + 11,
            )
        ),
    }
    for name, rule in backend_rules.items():
        if rule.probability:
            rules[name] = backend.add_rule(rule)
    if shares.latency:
        for proxy, name, salt in ((storage, "storage", 20), (backend, "api", 21)):
            rng = random.Random(seed + salt)
            rules[f"{name}: latency"] = proxy.add_rule(
                Rule(
                    action=delay(round(rng.uniform(0.05, 0.3), 3)),
                    probability=shares.latency,
                    seed=seed + salt,
                )
            )
    return rules


@dataclass
class Schedule:
    """When the soak interferes, as shares of the total bytes to upload (PUT bytes forwarded).

    Attributes:
        kills: Progress points at which the CLI is SIGKILLed (sorted; popped as they happen).
        early_kill_after: Seconds after the first run starts at which it is killed regardless of
            progress (during sign-in or queueing), or None.
        backend_restart: Progress point of the backend restart (None once done).
        outage: Progress point of a network cut on both proxies (None once done).
        outage_seconds: How long the network stays down.
    """

    kills: list[float] = field(default_factory=list)
    early_kill_after: float | None = None
    backend_restart: float | None = None
    outage: float | None = None
    outage_seconds: float = 3.0

    @classmethod
    def draw(cls, seed: int, kills: int) -> Schedule:
        """At least ``kills`` kills (one of them early), one restart, one outage."""
        rng = random.Random(seed + 100)
        late = sorted(round(rng.uniform(0.08, 0.7), 3) for _ in range(max(1, kills - 1)))
        return cls(
            kills=late,
            early_kill_after=round(rng.uniform(0.3, 2.5), 2),
            backend_restart=round(rng.uniform(0.15, 0.75), 3),
            outage=round(rng.uniform(0.15, 0.75), 3),
            outage_seconds=round(rng.uniform(2.0, 5.0), 1),
        )
