"""HTTP/1.1 for the API client on the standard library: kept-alive connections, proxies from the
environment, verified TLS.

Not ``requests``: importing it (urllib3, charset_normalizer, idna, cookie jars) cost ~60 ms of CPU
at every start of the CLI, more than anything else an upload loads, for features the API never
uses (redirects, cookies, content decoding, netrc). What the API does use is here, as ``requests``
did it:

- a pool per client: an idle connection is reused, up to ``pool_size`` are kept, and one the
  server closed while it was idle (its socket reads as ready) is replaced before it is used;
- proxies as :mod:`desktop.api.proxies` chooses them (the same rule as the uploads);
- certificate authorities in ``requests``' order (:func:`api_ca_bundle`), host names checked,
  never unverified;
- one timeout for connecting and for each read.

Transport failures leave as the standard library raises them (``ssl.SSLError``, ``TimeoutError``,
``OSError``, ``http.client.HTTPException``), plus :class:`ProxyError` and :class:`CaBundleError`;
``desktop.api.http_errors`` turns them into :mod:`desktop.errors`.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import ssl
import threading
import urllib.parse
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.api.proxies import Route, new_connection, route_of

__all__ = ["Answer", "CaBundleError", "HttpTransport", "ProxyError", "api_ca_bundle"]

#: Where ``requests`` looked for certificate authorities before its own (certifi's) bundle.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class ProxyError(ConnectionError):
    """The proxy could not be reached, or refused to open a tunnel to the server."""


class CaBundleError(OSError):
    """The file of certificate authorities cannot be read."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete HTTP answer, body read.

    Attributes:
        status: HTTP status code.
        headers: Header values by lower-case name (repeated headers joined with ``", "``).
        content: The body.
    """

    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.content)


def api_ca_bundle(configured: str | None = None) -> tuple[str, str]:
    """The CA bundle the API trusts, and what chose it (a variable's name, or "").

    The bundle set in Settings first, then ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, then
    certifi's bundle: the order the client has always used, so deployments that set a variable
    keep working.
    """
    if configured:
        return configured, ""
    for variable in CA_BUNDLE_VARIABLES:
        value = os.environ.get(variable)
        if value:
            return value, variable
    import certifi  # only https needs it

    return certifi.where(), ""


class HttpTransport:
    """Sends requests over a pool of kept-alive connections; safe to share between threads."""

    def __init__(
        self,
        *,
        timeout: float,
        pool_size: int,
        ca_bundle: str | None,
        headers: Mapping[str, str],
    ) -> None:
        """Create the transport; nothing connects until the first request.

        Args:
            timeout: Seconds for connecting and for each read.
            pool_size: Idle connections kept per server.
            ca_bundle: The CA bundle set in Settings, or None (see :func:`api_ca_bundle`).
            headers: Sent with every request.
        """
        self._timeout = timeout
        self._pool_size = max(1, pool_size)
        self._ca_bundle = ca_bundle
        self._headers = dict(headers)
        self._lock = threading.Lock()
        self._idle: dict[Route, list[http.client.HTTPConnection]] = {}
        self._context: ssl.SSLContext | None = None
        self._bundle = ""
        # A client dropped without close() closes its idle connections when it is collected, as
        # urllib3's pools do, rather than leaving open sockets to the garbage collector.
        weakref.finalize(self, _close_idle, self._idle)

    def request(
        self, method: str, url: str, *, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """Send one request and read its whole answer; never follows a redirect.

        Raises:
            ssl.SSLError: The TLS connection failed (certificate, protocol).
            ProxyError: The proxy could not be reached or refused the tunnel.
            CaBundleError: The CA bundle cannot be read.
            OSError: Any other connection failure (``TimeoutError`` when it took too long).
            http.client.HTTPException: The answer was not HTTP, or broke off.
        """
        split = urllib.parse.urlsplit(url)
        route = route_of(split)
        sent = {**self._headers, **headers, **route.proxy_headers()}
        target = route.target(url, split)
        if route.scheme == "https":
            self._check_bundle()
        conn = self._take(route)
        try:
            if conn.sock is None:
                self._connect(conn, route)
            conn.request(method, target, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        except BaseException:
            conn.close()
            raise
        answer = Answer(response.status, _headers(response), content)
        if response.will_close:
            conn.close()
        else:
            self._give_back(route, conn)
        return answer

    def close(self) -> None:
        """Close the idle connections (one in use is closed when its request ends)."""
        with self._lock:
            _close_idle(self._idle)

    def _take(self, route: Route) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                idle = self._idle.get(route)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._new(route)
            if _still_open(conn):
                return conn
            conn.close()

    def _give_back(self, route: Route, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(route, [])
            if len(idle) < self._pool_size:
                idle.append(conn)
                return
        conn.close()

    def _new(self, route: Route) -> http.client.HTTPConnection:
        context = self._ssl_context() if route.scheme == "https" else None
        return new_connection(route, timeout=self._timeout, context=context)

    @staticmethod
    def _connect(conn: http.client.HTTPConnection, route: Route) -> None:
        try:
            conn.connect()
        except (ssl.SSLError, TimeoutError):
            raise
        except OSError as exc:
            if route.proxy:
                # Connecting to the proxy, or its refusal of the tunnel ("Tunnel connection
                # failed: 407 ...").
                raise ProxyError(f"Unable to connect to proxy: {exc}") from exc
            raise

    def _check_bundle(self) -> None:
        """Fail every https request once the CA bundle is gone, as requests did: a bundle
        removed while the client runs is a configuration error to report, even though the
        certificates read from it are still in memory."""
        if not self._bundle:
            self._bundle, _ = api_ca_bundle(self._ca_bundle)
        if not os.path.isfile(self._bundle):
            raise CaBundleError(f"The CA bundle {self._bundle} cannot be read.")

    def _ssl_context(self) -> ssl.SSLContext:
        # Made on the first https connection, not per connection: reading a CA bundle costs
        # ~10-20 ms of CPU.
        with self._lock:
            if self._context is None:
                try:
                    self._context = ssl.create_default_context(cafile=self._bundle)
                except (OSError, ssl.SSLError) as exc:
                    raise CaBundleError(f"The CA bundle {self._bundle} cannot be read.") from exc
            return self._context


def _close_idle(idle: dict[Route, list[http.client.HTTPConnection]]) -> None:
    while idle:
        _, conns = idle.popitem()
        for conn in conns:
            conn.close()


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle kept-alive connection can carry another request: a socket that reads as
    ready while no answer is due was closed by the server (or sent something unasked)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not ready


def _headers(response: http.client.HTTPResponse) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
