"""Classify URI-like values the way MLflow users write them, and find credentials inside them."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# scheme://user:password@host — the password part must be non-empty and not a placeholder.
# An interpolation (``${oc.env:DB_USER}``, ``${{ secrets.PW }}``) counts as one piece, so the
# colon inside it is not taken for the user:password separator. The password runs to the last
# '@' before the path (a password may hold '@': none of it may be taken for the host). Every
# piece is atomic and every other repetition possessive: a piece is read once, never re-split,
# and the password gives back at most what it took (linear in the window it is given).
_PIECE = r"(?:(?>\$\{[^}]{0,512}+\}++)|\$(?!\{)|[^\s$%s])"  # an interpolation, a lone $, a char
_CRED_URI = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*+)://"
    r"(?P<user>" + _PIECE % ":/@?#" + "*+)"
    r":(?P<password>" + _PIECE % "/?#" + "+)"
    r"@(?P<host>" + _PIECE % "/?#:@" + "++)"
)
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_MAX_SCHEME = 32  # characters of a scheme read back from its '://'
_WINDOW = 2048  # characters after '://' that user-info and host may take
# passwords that stand for one: interpolations and variables, masks, ``<password>``
_NOT_A_PASSWORD = re.compile(r"^(?:.*\$\{.*|\$[A-Za-z_]\w*|%\(\w+\)s|<[^<>]*>|[*xX.•]+)$")
_DB_SCHEMES = (
    "postgresql", "postgres", "mysql", "mssql", "sqlite", "oracle", "mariadb", "cockroachdb")
_OBJECT_SCHEMES = (
    "s3", "s3a", "gs", "gcs", "wasb", "wasbs", "abfs", "abfss", "hdfs", "dbfs", "oss", "r2")
_HTTP_SCHEMES = ("http", "https", "grpc", "grpcs")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


def uri_kind(value: str) -> str | None:
    """Kind of a URI-like value: tracking, databricks, db, object-store, file, path, models, runs
    or None when the value is not a URI or path."""
    v = value.strip()
    low = v.lower()
    if low in ("databricks", "databricks-uc") or low.startswith(("databricks://", "databricks-uc://")):
        return "databricks"
    if low.startswith("models:/"):
        return "models"
    if low.startswith("runs:/"):
        return "runs"
    if low.startswith("file:"):
        return "file"
    m = re.match(r"^([a-z][a-z0-9+.\-]*)://", low)
    if m:
        scheme = m.group(1).split("+", 1)[0]
        if scheme in _HTTP_SCHEMES:
            return "tracking"
        if scheme in _DB_SCHEMES:
            return "db"
        if scheme in _OBJECT_SCHEMES:
            return "object-store"
        return "uri"
    if v.startswith(("/", "./", "../", "~/")) or _WINDOWS_PATH.match(v):
        return "path"
    return None


def is_endpoint(value: str) -> bool:
    """A value that names a place a run or secret could go: any URI kind except models:/runs:/."""
    return uri_kind(value) not in (None, "models", "runs")


def credential_in_uri(value: str, pos: int = 0) -> re.Match[str] | None:
    """The first ``scheme://user:password@host`` in the value (from ``pos``) with a
    real-looking password.

    Linear in the value: each ``://`` is read once, anchored, in a window of its own (the
    scheme's last 32 characters before it, 2,048 after), so no window edge can cut a URI in
    two and no long run of scheme characters (``aaaa…``) is read again from every start."""
    if "@" not in value:
        return None
    start = pos
    i = value.find("://", pos)
    while i != -1:
        s = i
        while s > start and i - s < _MAX_SCHEME and value[s - 1] in _SCHEME_CHARS:
            s -= 1
        while s < i and not ("a" <= value[s].lower() <= "z"):
            s += 1  # a scheme starts with a letter
        m = _CRED_URI.match(value, s, i + 3 + _WINDOW) if s < i else None
        if m is None:
            i = value.find("://", i + 1)
        elif _NOT_A_PASSWORD.match(m.group("password")):
            start = m.end()  # a placeholder: read on after it, as a regex scan would
            i = value.find("://", start)
        else:
            return m
    return None


def is_loopback(uri: str) -> bool:
    """True for http(s) URIs on localhost / 127.0.0.0/8 / ::1 (the seed's "local debugging")."""
    try:
        host = urlsplit(uri.strip()).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_service_endpoint(uri: str) -> bool:
    """True for an endpoint inside a deployment, as compose and Kubernetes files name them: the
    address a server binds (``0.0.0.0``, ``::``), a bare service name (``http://mlflow:5000``) or
    a Kubernetes service (``mlflow.mlflow.svc``, ``....svc.cluster.local``)."""
    try:
        host = urlsplit(uri.strip()).hostname
    except ValueError:
        return False
    if not host or uri_kind(uri) != "tracking":
        return False
    if host in ("0.0.0.0", "::"):
        return True
    if host.endswith((".svc", ".svc.cluster.local")):
        return True
    return "." not in host and ":" not in host and host != "localhost" and not host.isdigit()


_MODEL_URI = re.compile(
    r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]*)|/(?P<ref>[^/]+))?/?(?P<rest>.*)$")


def parse_model_uri(value: str) -> dict[str, str | None] | None:
    """Split ``models:/name@alias``, ``models:/name/7``, ``models:/name/Production``.

    Returns name, alias, version, stage (one of the last three set) or None if not a model URI.
    """
    m = _MODEL_URI.match(value.strip())
    if not m:
        return None
    ref = m.group("ref")
    out: dict[str, str | None] = {
        "name": m.group("name"), "alias": m.group("alias"), "version": None, "stage": None}
    if ref is not None:
        if ref.isdigit():
            out["version"] = ref
        elif ref.lower() == "latest":
            out["stage"] = "latest"
        else:
            out["stage"] = ref
    return out
