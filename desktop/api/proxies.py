"""How a request reaches its server: directly or through a proxy. One rule for the API client's
calls and for the uploads' PUTs, so a workstation behind a proxy reaches the backend and storage
the same way, with the same exemptions and the same credentials.

The environment's variables as ``requests`` read them: ``HTTPS_PROXY`` / ``HTTP_PROXY``,
``ALL_PROXY`` for a scheme without one of its own, ``NO_PROXY`` with host names and address ranges
(``10.0.0.0/8``); ``urllib.request`` adds the OS settings (Windows Internet Options, macOS network
settings). https goes through a CONNECT tunnel, plain http in absolute form; credentials in the
proxy's URL are sent as ``Proxy-Authorization`` (Basic) on the CONNECT or on each plain request.
"""

from __future__ import annotations

import base64
import http.client
import os
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass

__all__ = ["Route", "new_connection", "route_of"]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request goes; also the key of a pool of kept-alive connections.

    Attributes:
        scheme: ``http`` or ``https``.
        host: The server's host name or address.
        port: The server's port.
        proxy: The proxy's URL, or None to connect directly.
    """

    scheme: str
    host: str
    port: int
    proxy: str | None

    def target(self, url: str, split: urllib.parse.SplitResult) -> str:
        """The request line's target for `url` (`split` is its parts): the whole URL for a
        plain-http proxy, else path and query."""
        if self.proxy and self.scheme == "http":
            return url
        path = split.path or "/"
        return f"{path}?{split.query}" if split.query else path

    def proxy_headers(self) -> dict[str, str]:
        """Headers each request carries itself: the credentials for a plain-http proxy (a tunnel
        sends them once, on its CONNECT)."""
        if self.proxy and self.scheme == "http":
            return _proxy_authorization(self.proxy)
        return {}


def route_of(url: urllib.parse.SplitResult) -> Route:
    """The route of an http(s) URL, its proxy chosen by the environment and the OS settings.

    Raises:
        http.client.InvalidURL: Not http or https, or no host.
    """
    if url.scheme not in ("http", "https"):
        raise http.client.InvalidURL(f"unsupported scheme {url.scheme!r}")
    host = url.hostname or ""
    if not host:
        raise http.client.InvalidURL("no host in the URL")
    port = url.port or (443 if url.scheme == "https" else 80)
    proxy = None
    if not _bypasses_proxy(host):
        # ALL_PROXY when the scheme has none, as requests did.
        proxies = urllib.request.getproxies()
        proxy = proxies.get(url.scheme) or proxies.get("all") or None
    return Route(url.scheme, host, port, proxy)


def new_connection(
    route: Route, *, timeout: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    """A connection for `route`, not connected yet: to the proxy when there is one (https through
    a tunnel to the server, opened with the proxy's credentials), else to the server.

    Args:
        route: Where the requests go.
        timeout: Seconds for connecting and for each send and read.
        context: TLS settings for https (the CA bundle to verify the server with).
    """
    if route.proxy:
        proxy = urllib.parse.urlsplit(route.proxy)
        host, port = proxy.hostname or "", proxy.port or 80
    else:
        host, port = route.host, route.port
    if route.scheme != "https":
        return http.client.HTTPConnection(host, port, timeout=timeout)
    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    if route.proxy:
        conn.set_tunnel(route.host, route.port, headers=_proxy_authorization(route.proxy))
    return conn


def _bypasses_proxy(host: str) -> bool:
    """Whether ``NO_PROXY`` (or the OS settings) exempt `host` from the proxy: ``urllib``'s rules,
    plus the address ranges (``10.0.0.0/8``) that requests also matched an IP address against."""
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    if "/" in no_proxy:
        import ipaddress  # only address ranges need it

        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            for entry in no_proxy.replace(" ", "").split(","):
                if "/" not in entry:
                    continue
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
    return bool(urllib.request.proxy_bypass(host))


def _proxy_authorization(proxy: str) -> dict[str, str]:
    """``Proxy-Authorization`` for credentials in the proxy's URL, as requests sent it."""
    split = urllib.parse.urlsplit(proxy)
    if split.username is None:
        return {}
    user = urllib.parse.unquote(split.username)
    password = urllib.parse.unquote(split.password or "")
    token = base64.b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")
    return {"Proxy-Authorization": f"Basic {token}"}
