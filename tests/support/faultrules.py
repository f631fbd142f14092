"""Fault rules for :mod:`tests.support.faultproxy`: what to break, when, and how.

A :class:`Rule` selects requests (method, path regex, query regex, the Nth match, a seeded
probability, at most ``times`` firings) and names an :class:`Action` built with the helpers
below, e.g.
``Rule(method="PUT", query=r"partNumber=2\\b", action=reset_after(1_000_000), times=1)``.
"""

from __future__ import annotations

import enum
import random
import re
import threading
from dataclasses import dataclass, field


class ActionKind(enum.StrEnum):
    """What the proxy does to a request a rule fired on."""

    RESET = "reset"
    DELAY = "delay"
    STALL = "stall"
    RESPOND = "respond"
    FLIP = "flip"


@dataclass(frozen=True, slots=True)
class Action:
    """One fault; build it with :func:`reset_after`, :func:`delay`, :func:`stall`, :func:`respond`,
    :func:`flip_byte`.

    Attributes:
        kind: Which fault.
        seconds: Pause for ``DELAY`` and ``STALL``.
        n_bytes: For ``RESET``: request-body bytes forwarded before the connection is aborted; for
            ``FLIP``: the offset in the request body of the byte whose bits are inverted.
        n_bytes_max: For ``RESET``: when set, each firing draws the cut point uniformly from
            ``[n_bytes, n_bytes_max]`` with the rule's seeded RNG.
        status: For ``RESPOND``: the HTTP status sent instead of forwarding.
        body: For ``RESPOND``: the response body.
        content_type: For ``RESPOND``: its Content-Type.
    """

    kind: ActionKind
    seconds: float = 0.0
    n_bytes: int = 0
    n_bytes_max: int | None = None
    status: int = 0
    body: bytes = b""
    content_type: str = "application/xml"


def reset_after(n_bytes: int, up_to: int | None = None) -> Action:
    """Forward ``n_bytes`` of the request body (or a seeded draw up to ``up_to``), then RST.

    A body shorter than the cut point is forwarded whole and the connection is reset before the
    response reaches the client: the upstream may have acted on the request, the client never hears.
    """
    if n_bytes < 0 or (up_to is not None and up_to < n_bytes):
        raise ValueError(f"bad reset range {n_bytes}..{up_to}")
    return Action(ActionKind.RESET, n_bytes=n_bytes, n_bytes_max=up_to)


def flip_byte(at: int) -> Action:
    """Forward the whole request, with the body byte at offset ``at`` inverted (damage on the
    wire that TCP's checksum missed, or a faulty middlebox)."""
    if at < 0:
        raise ValueError(f"bad offset {at}")
    return Action(ActionKind.FLIP, n_bytes=at)


def delay(seconds: float) -> Action:
    """Hold the request ``seconds`` before forwarding it (latency)."""
    return Action(ActionKind.DELAY, seconds=seconds)


def stall(seconds: float) -> Action:
    """Read the request head, then nothing more for ``seconds``, then close without answering."""
    return Action(ActionKind.STALL, seconds=seconds)


def respond(status: int, body: bytes = b"", *, content_type: str = "application/xml") -> Action:
    """Answer ``status`` with ``body`` without contacting the upstream (the body is drained)."""
    return Action(ActionKind.RESPOND, status=status, body=body, content_type=content_type)


def _s3_error(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<RequestId>faultproxy</RequestId></Error>"
    ).encode()


def internal_error() -> Action:
    """S3 ``500 InternalError``."""
    return respond(
        500, _s3_error("InternalError", "We encountered an internal error. Please try again.")
    )


def slow_down() -> Action:
    """S3 ``503 SlowDown``."""
    return respond(503, _s3_error("SlowDown", "Please reduce your request rate."))


def url_expired() -> Action:
    """S3 ``403 AccessDenied: Request has expired`` (what an expired presigned URL gets)."""
    return respond(403, _s3_error("AccessDenied", "Request has expired"))


def clock_skewed() -> Action:
    """S3 ``403 RequestTimeTooSkewed``."""
    return respond(
        403,
        _s3_error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ),
    )


def no_such_upload() -> Action:
    """S3 ``404 NoSuchUpload``."""
    return respond(
        404,
        _s3_error(
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, "
            "or the upload may have been aborted or completed.",
        ),
    )


@dataclass(slots=True)
class Rule:
    """Which requests a fault applies to. Rules are checked in the order they were added; the first
    that fires wins.

    Attributes:
        action: The fault.
        method: HTTP method to match (case-insensitive); None matches any.
        path: Regex searched in the request path, query string excluded.
        query: Regex searched in the query string (without ``?``); None matches any.
        nth: Fire only on the Nth matching request (1-based); None fires on every match.
        probability: Chance of firing on a match, drawn from ``random.Random(seed)``.
        seed: Seed of this rule's RNG, so a run with the same traffic makes the same draws.
        times: Fire at most this many times; None is unlimited.
        matched: How many requests matched method, path and query so far.
        fired: How many times the rule fired so far.
    """

    action: Action
    method: str | None = None
    path: str = ""
    query: str | None = None
    nth: int | None = None
    probability: float = 1.0
    seed: int = 0
    times: int | None = None
    matched: int = 0
    fired: int = 0
    _path_re: re.Pattern[str] = field(init=False, repr=False)
    _query_re: re.Pattern[str] | None = field(init=False, repr=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {self.probability}")
        if self.nth is not None and self.nth < 1:
            raise ValueError("nth is 1-based")
        self._path_re = re.compile(self.path)
        self._query_re = None if self.query is None else re.compile(self.query)
        self._rng = random.Random(self.seed)

    def consider(self, method: str, path: str, query: str) -> Action | None:
        """Count a request against the rule; return the action (cut point drawn) if it fires.

        Not thread-safe on its own: the proxy calls it under its rules lock.
        """
        if self.method is not None and self.method.upper() != method.upper():
            return None
        if not self._path_re.search(path):
            return None
        if self._query_re is not None and not self._query_re.search(query):
            return None
        self.matched += 1
        if self.times is not None and self.fired >= self.times:
            return None
        if self.nth is not None and self.matched != self.nth:
            return None
        # random() is in [0, 1): probability 1 always fires, 0 never does.
        if self._rng.random() >= self.probability:
            return None
        self.fired += 1
        action = self.action
        if action.kind is ActionKind.RESET and action.n_bytes_max is not None:
            cut = self._rng.randint(action.n_bytes, action.n_bytes_max)
            action = Action(ActionKind.RESET, n_bytes=cut)
        return action


class RuleBook:
    """The proxy's live, thread-safe list of rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[int, Rule] = {}
        self._next_id = 1

    def add(self, rule: Rule) -> int:
        """Add a rule and return its id."""
        with self._lock:
            rule_id = self._next_id
            self._next_id += 1
            self._rules[rule_id] = rule
            return rule_id

    def remove(self, rule_id: int) -> None:
        """Drop one rule (no error if it is already gone)."""
        with self._lock:
            self._rules.pop(rule_id, None)

    def clear(self) -> None:
        """Drop every rule."""
        with self._lock:
            self._rules.clear()

    def decide(self, method: str, path: str, query: str) -> tuple[int, Action] | None:
        """The first rule that fires for this request, with its action; None: forward untouched."""
        with self._lock:
            for rule_id, rule in self._rules.items():
                action = rule.consider(method, path, query)
                if action is not None:
                    return rule_id, action
            return None

    def fired(self) -> dict[int, int]:
        """How often each live rule fired."""
        with self._lock:
            return {rule_id: rule.fired for rule_id, rule in self._rules.items()}
