"""The one plugin seam of the live engine: something that reads a registry, one model at a time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from trackcheck.audit.records import RegistrySnapshot
from trackcheck.detect.redact import mask
from trackcheck.detect.uris import credential_in_uri

Progress = Callable[[str], None]


class SourceError(Exception):
    """The registry could not be read completely: unreachable, refused, throttled, broken.

    The message is one line, names the registry by its masked URI and holds no secret; the
    runner turns it into exit 3 (never a partial snapshot)."""


class RegistrySource(Protocol):
    """Reads one registry, read-only, into plain records; raises :class:`SourceError`."""

    registry: str  # masked URI, for messages and the summary

    @property
    def requests(self) -> int: ...  # requests (or store calls) made so far

    def pieces(self, progress: Progress | None = None) -> Iterator[RegistrySnapshot]:
        """One snapshot per registered model: the model, its versions, its aliased versions'
        source runs; may raise :class:`SourceError` at any point of the iteration."""
        ...

    def snapshot(self, progress: Progress | None = None) -> RegistrySnapshot: ...


_USER_INFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s?]*)@")


def masked_uri(uri: str) -> str:
    """A registry URI fit for output: password masked, query string and fragment dropped
    (tokens travel there too), user name kept so that a wrong account is recognisable. A URI
    written without a scheme (``user:pw@host:5000``) is masked the same way."""
    uri = uri.strip()
    if "://" not in uri and "@" in uri:
        # no scheme: whatever stands before the last '@' is user-info, a password may hold
        # '@', '/', '?' or '#'; what follows is the host, shown without query or fragment
        info, _, host = uri.rpartition("@")
        user = info.split(":", 1)[0] if ":" in info else ""
        shown = f"{user}:****" if user and "/" not in user else "****"
        return f"{shown}@{re.split(r'[?#]', host, maxsplit=1)[0]}"
    if credential_in_uri(uri):
        uri = mask(uri)
    # the user-info runs to the last '@': a password may hold '@', '/' or '#', where URL parsers
    # would cut it and leave the rest in plain sight (an '@' in a path is no user-info)
    info = _USER_INFO.match(uri)
    head = info.group("user").split("/", 1)[0] if info else ""
    if info and ("/" not in info.group("user") or ":" in head
                 and not head.rsplit(":", 1)[1].isdigit()):
        user = info.group("user")
        shown = f"{user.split(':', 1)[0]}:****" if ":" in user else "****"
        uri = f"{info.group('scheme')}{shown}{uri[info.end() - 1 :]}"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri.split("?", 1)[0]
    netloc = parts.netloc
    if "@" in netloc and ":****@" not in netloc:  # a lone user-info part may be a token
        netloc = "****@" + netloc.rsplit("@", 1)[1]
    if parts.query or parts.fragment or netloc != parts.netloc:
        uri = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return uri
