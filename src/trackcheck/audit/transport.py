"""The audit's one way onto the network: allowlisted reads only, never redirected, each bounded in
time to its last byte and in size after decompression, whatever the server does.

While a :class:`Transport` is installed, every HTTP request made through ``requests`` in this
process (MLflow's client, a redirect it would follow, a retry, the Databricks SDK) reaches
:meth:`Transport.send` instead of the session's own adapter. That sits below MLflow's client,
so no MLflow setting, retry policy or library change can send anything else:

- the origin (scheme, host, port) must be the registry's, and the method and path one of the
  reads the audit makes (the caller passes them, as MLflow's own service definitions give them);
  anything else is refused before a byte is sent;
- a 3xx answer is refused, never followed;
- a watchdog shuts the socket down when the request's deadline passes, so a server that trickles
  one byte a second, sends its headers slowly or never ends its body cannot stretch a request
  (a socket timeout only bounds each ``recv``);
- the body is read here, as it streams, and decompressed here (``gzip``/``deflate`` only, the
  only encodings asked for), counting decompressed bytes: a bomb is refused after the limit.

Failures are :class:`TransportError` with a short ``what`` of trackcheck's own words: no server
text, no header, no URL ever reaches a message.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024
Origin = tuple[str, str, int]  # (scheme, host, port)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TransportError(requests.exceptions.RequestException):
    """A request the transport stopped; ``what`` says why in trackcheck's words."""

    transient = False

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class RequestTimedOut(TransportError, requests.exceptions.Timeout):
    """The request's deadline passed before its last byte."""


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, or None for other schemes and bad URLs."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS[scheme]


# --- the watchdog ---------------------------------------------------------------------------
class _Watch:
    """Shuts down the socket a request uses once its deadline passes: a blocked ``recv`` (or
    ``send``) returns at once, whatever the server does."""

    _local = threading.local()

    def __init__(self, seconds: float):
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.done = False
        self.fired = False
        self.timer = threading.Timer(max(0.0, seconds), self._fire)
        self.timer.daemon = True

    def __enter__(self) -> _Watch:
        _Watch._local.current = self
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.done = True
        self.timer.cancel()
        _Watch._local.current = None

    @classmethod
    def attach(cls, sock: socket.socket | None) -> None:
        """The socket the current request uses (a new one once connected, or a pooled one);
        cut at once if the deadline has passed while it was connecting."""
        watch = getattr(cls._local, "current", None)
        if watch is None or sock is None:
            return
        with watch.lock:
            watch.sock = sock
            if watch.fired and not watch.done:
                _cut(sock)

    def _fire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            if self.sock is not None:
                _cut(self.sock)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # the plain socket's shutdown, for TLS too: no TLS state is touched from this thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    """A urllib3 connection that tells the current watchdog which socket it reads from (the
    socket is kept here, not looked up later: http.client drops ``sock`` from a connection
    once a response that closes it owns the socket)."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _Watch.attach(sock)  # connected, before any TLS handshake
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _Watch.attach(self.sock)  # type: ignore[attr-defined]  # the TLS socket, if any

    def request(self, *args: Any, **kw: Any) -> Any:
        _Watch.attach(self.sock)  # type: ignore[attr-defined]  # a pooled, connected socket
        return super().request(*args, **kw)  # type: ignore[misc]


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' own adapter, with no retries of its own and watched connections."""

    def __init__(self) -> None:
        super().__init__(max_retries=0, pool_connections=4, pool_maxsize=4)

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kw: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kw)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


# --- bounded, decompressed bodies -------------------------------------------------------------
def _too_large(limit: int) -> TransportError:
    return TransportError(f"response larger than {limit:,} bytes (the policy's "
                          "audit.max_response_bytes); refused")


class _Body:
    """Collects a body as it streams, decompressing ``gzip``/``deflate`` with bounded output."""

    def __init__(self, encoding: str, limit: int):
        self.limit = limit
        self.out = bytearray()
        self.raw = 0
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self.wbits: int | None = None
        elif enc in ("gzip", "x-gzip"):
            self.wbits = 16 + zlib.MAX_WBITS
        elif enc == "deflate":
            self.wbits = 0  # decided on the first bytes: zlib-wrapped or raw
        else:  # brotli, zstd, stacked encodings: never asked for, never decoded
            raise TransportError("malformed response (an encoding the audit did not ask for)")
        self.d: Any = None

    def feed(self, data: bytes) -> None:
        self.raw += len(data)
        if self.raw > self.limit:
            raise _too_large(self.limit)
        if self.wbits is None:
            self.out += data
            if len(self.out) > self.limit:
                raise _too_large(self.limit)
            return
        try:
            self._inflate(data)
        except zlib.error:
            raise TransportError("malformed response (bad compressed data)") from None

    def _inflate(self, data: bytes) -> None:
        while data:
            if self.d is None:
                wbits = self.wbits
                if wbits == 0:  # deflate: zlib header (CMF/FLG) or a raw stream
                    zlib_header = len(data) > 1 and data[0] & 0x0F == 8 and (
                        (data[0] << 8) | data[1]) % 31 == 0
                    wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
                self.d = zlib.decompressobj(wbits)
            # at most one byte past the limit: enough to know it is too large
            piece = self.d.decompress(data, self.limit - len(self.out) + 1)
            self.out += piece
            if len(self.out) > self.limit:
                raise _too_large(self.limit)
            if self.d.eof:  # a gzip body may hold several members
                data = self.d.unused_data
                self.d = None
            else:
                data = self.d.unconsumed_tail

    def bytes(self) -> bytes:
        if self.d is not None and self.wbits is not None and not self.d.eof and self.raw:
            try:
                self.out += self.d.flush()
            except zlib.error:
                raise TransportError("malformed response (bad compressed data)") from None
            if len(self.out) > self.limit:
                raise _too_large(self.limit)
        return bytes(self.out)


# --- the transport ----------------------------------------------------------------------------
class Transport:
    """Installed with :meth:`installed`; the caller sets :attr:`deadline` (a ``time.monotonic``
    instant) and :attr:`late` (what to say when it passes) before each request chain."""

    def __init__(self, origins: set[Origin] | None, reads: frozenset[tuple[str, str]],
                 max_bytes: int):
        self.origins = origins  # None: hosts come from elsewhere (a Databricks profile)
        self.reads = reads  # (METHOD, path) pairs
        self.max_bytes = max_bytes
        self.deadline = float("inf")
        self.late = "timed out"
        self.requests = 0
        self.last_status: int | None = None
        self._adapter = _Adapter()
        self._send: Any = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[Transport]:
        original = HTTPAdapter.send
        transport = self

        def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kw: Any) -> Any:
            return transport.send(request, **kw)

        self._send = original
        HTTPAdapter.send = send  # type: ignore[method-assign]
        try:
            yield self
        finally:
            HTTPAdapter.send = original  # type: ignore[method-assign]
            self._adapter.close()

    def check(self, method: str, url: str) -> None:
        """Refuse what is not one of the audit's reads at the registry's origin."""
        origin = origin_of(url)
        if origin is None:
            raise TransportError("MLflow tried to send a request that is not http(s); "
                                 "trackcheck refused it")
        if self.origins is not None and origin not in self.origins:
            host = "".join(c for c in origin[1][:100] if c.isprintable())
            shown = f"[{host}]" if ":" in host else host
            raise TransportError(f"MLflow tried to reach another server "
                                 f"({origin[0]}://{shown}:{origin[2]}); trackcheck refused it")
        path = urlsplit(url).path
        if (method.upper(), path) not in self.reads:
            shown = "".join(c for c in path[:120] if c.isprintable())
            raise TransportError(f"MLflow tried to send {method.upper()} {shown}, which is not "
                                 "one of the audit's reads; trackcheck refused it")

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        method, url = str(request.method or "GET"), str(request.url or "")
        self.check(method, url)
        self.last_status = None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimedOut(self.late)
        request.headers["Accept-Encoding"] = "gzip, deflate"  # the encodings _Body decodes
        self.requests += 1
        with _Watch(remaining) as watch:
            try:
                resp = self._send(self._adapter, request, stream=True, timeout=remaining,
                                  verify=verify, cert=cert, proxies=proxies)
                self.last_status = resp.status_code
                if 300 <= resp.status_code < 400:
                    resp.close()
                    raise TransportError(f"redirected (HTTP {resp.status_code}; the audit "
                                         "never follows a redirect)")
                body = self._read(resp)
            except TransportError:
                if watch.fired:
                    raise RequestTimedOut(self.late) from None
                raise
            except Exception as e:
                if watch.fired:  # the cut socket surfaced as a reset or a short read
                    raise RequestTimedOut(self.late) from None
                if isinstance(e, urllib3.exceptions.ReadTimeoutError):
                    raise RequestTimedOut(self.late) from None
                if isinstance(e, (urllib3.exceptions.HTTPError, OSError)):  # while reading the body
                    raise requests.exceptions.ConnectionError(e) from None
                raise
        if watch.fired:
            raise RequestTimedOut(self.late)
        resp._content = body
        resp._content_consumed = True
        if not resp.encoding:
            resp.encoding = "utf-8"  # no guessing over a large body
        return resp

    def _read(self, resp: requests.Response) -> bytes:
        try:
            length = resp.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > self.max_bytes:
                raise _too_large(self.max_bytes)
            body = _Body(resp.headers.get("Content-Encoding", ""), self.max_bytes)
            for chunk in resp.raw.stream(CHUNK, decode_content=False):
                body.feed(chunk)
            return body.bytes()
        finally:
            resp.close()


__all__ = ["Origin", "RequestTimedOut", "Transport", "TransportError", "origin_of"]
