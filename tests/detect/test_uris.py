"""detect.uris: URI kinds, credentials in user-info, loopback hosts, model URIs."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.detect import uris
from trackcheck.detect.uris import (
    credential_in_uri,
    is_endpoint,
    is_loopback,
    is_service_endpoint,
    parse_model_uri,
    uri_kind,
)

URI_KINDS = [
    ("http://mlflow.example.com:5000", "tracking"),
    ("https://mlflow.example.com", "tracking"),
    ("  https://padded.example.com  ", "tracking"),
    ("grpc://tracker:443", "tracking"),
    ("databricks", "databricks"),
    ("databricks-uc", "databricks"),
    ("DATABRICKS", "databricks"),
    ("databricks://my-profile", "databricks"),
    ("databricks-uc://profile:prefix", "databricks"),
    ("postgresql://mlflow@db:5432/mlflow", "db"),
    ("postgresql+psycopg2://mlflow@db/mlflow", "db"),
    ("mysql://root@db/mlflow", "db"),
    ("sqlite:///mlflow.db", "db"),
    ("s3://bucket/artifacts", "object-store"),
    ("gs://bucket/artifacts", "object-store"),
    ("abfss://container@account.dfs.core.windows.net/x", "object-store"),
    ("dbfs:/databricks/mlflow", None),  # no "//": not a URI the scheme table knows
    ("ftp://files.example.com/x", "uri"),
    ("file:./mlruns", "file"),
    ("file:///tmp/mlruns", "file"),
    ("/mnt/shared/mlruns", "path"),
    ("./mlruns", "path"),
    ("../mlruns", "path"),
    ("~/mlruns", "path"),
    ("C:\\mlruns", "path"),
    ("D:/mlruns", "path"),
    ("models:/churn@prod", "models"),
    ("runs:/0123abcd/model", "runs"),
    ("mlruns", None),
    ("dev", None),
    ("", None),
    ("localhost:5000", None),
    ("my-experiment", None),
]


@pytest.mark.parametrize(("value", "kind"), URI_KINDS)
def test_uri_kind(value: str, kind: str | None) -> None:
    assert uri_kind(value) == kind


@pytest.mark.parametrize(("value", "endpoint"), [
    ("https://x.example.com", True), ("databricks", True), ("file:./mlruns", True),
    ("/data", True), ("s3://b", True), ("models:/m@prod", False), ("runs:/r/model", False),
    ("10", False), ("dev", False),
])
def test_is_endpoint(value: str, endpoint: bool) -> None:
    assert is_endpoint(value) is endpoint


# (value, (user, password, host) or None)
CREDENTIALS = [
    ("postgresql://mlflow:hunter2@db:5432/mlflow", ("mlflow", "hunter2", "db")),
    ("https://alice:s3cr3t!@mlflow.example.com", ("alice", "s3cr3t!", "mlflow.example.com")),
    ("mysql+pymysql://root:pa:ss@db/x", ("root", "pa:ss", "db")),
    ("redis://:onlypassword@cache:6379/0", ("", "onlypassword", "cache")),
    ("see https://bob:pw1234@host.example.com for details", ("bob", "pw1234", "host.example.com")),
    ("postgresql://${oc.env:DB_USER}:hunter2@db/m", ("${oc.env:DB_USER}", "hunter2", "db")),
    ("https://user:pw@${oc.env:HOST}:5000", ("user", "pw", "${oc.env:HOST}")),
    ("mysql://root:$ecret!@db", ("root", "$ecret!", "db")),
    ("postgresql://mlflow:hunter2@${db.host}/mlflow", ("mlflow", "hunter2", "${db.host}")),
    # '@' in a password: it runs to the last '@' before the path, none of it is the host
    ("postgresql://app:Zq9@xT4@pL@db.example.com/x", ("app", "Zq9@xT4@pL", "db.example.com")),
    ("https://u:p@ss@h https://v:q@k", ("u", "p@ss", "h")),
    # no password, or one that is only a reference / mask / template placeholder
    ("postgresql://mlflow@db:5432/mlflow", None),
    ("https://mlflow.example.com:5000/path", None),
    ("https://user:@host", None),
    ("postgresql://mlflow:${oc.env:DB_PASSWORD}@db/mlflow", None),
    ("postgresql://${oc.env:DB_USER}:${oc.env:DB_PASSWORD}@db", None),
    ("postgresql://${oc.env:DB_USER}@db", None),
    ("https://u:${{ secrets.PW }}@host", None),
    ("https://u:$PASSWORD@host", None),
    ("https://u:%(password)s@host", None),
    ("postgresql://mlflow:****@db:5432/mlflow", None),
    ("https://u:xxxx@host", None),
    ("https://u:<password>@host", None),
    ("git@github.com:org/repo.git", None),
    ("user:pass@host", None),  # no scheme: not a URI
]


@pytest.mark.parametrize(("value", "parts"), CREDENTIALS)
def test_credential_in_uri(value: str, parts: tuple[str, str, str] | None) -> None:
    m = credential_in_uri(value)
    if parts is None:
        assert m is None
    else:
        assert m is not None
        assert (m.group("user"), m.group("password"), m.group("host")) == parts
        assert value[m.start("password"):m.end("password")] == parts[1]


# --- linear time: each '://' read once, in a window of its own --------------------------------
# the unbounded reading the windowed search replaced (fine on short strings, quadratic on long)
_PIECE = r"(?:\$\{[^}]*\}+|\$(?!\{)|[^\s$%s])"
_REFERENCE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<user>" + _PIECE % ":/@?#"
                        + "*):(?P<password>" + _PIECE % "/?#" + "+)@(?P<host>" + _PIECE % "/?#:@"
                        + "+)")


def _reference(value: str) -> re.Match[str] | None:
    return next((m for m in _REFERENCE.finditer(value)
                 if not uris._NOT_A_PASSWORD.match(m.group("password"))), None)


URI_TEXT = st.lists(st.sampled_from(["a", "Z", "0", ":", "/", "@", "$", "{", "}", " ", "?", "#",
                                     "://", "${x}", "${a:b}", "http", "pw", "-", ".", "+", "\n",
                                     "****", "<p>", "%(x)s", "$V"]), max_size=16).map("".join)


@settings(max_examples=2000, deadline=None)
@given(URI_TEXT)
def test_windowed_search_finds_what_the_unbounded_regex_finds(value: str) -> None:
    def parts(m: re.Match[str] | None) -> object:
        return m and (m.span(), m.groupdict())
    assert parts(credential_in_uri(value)) == parts(_reference(value))


class _Counting:
    """The compiled pattern, counting how many characters each anchored match may read."""

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx, self.calls, self.read = rx, 0, 0

    def match(self, value: str, pos: int, endpos: int) -> re.Match[str] | None:
        self.calls += 1
        self.read += min(endpos, len(value)) - pos
        return self.rx.match(value, pos, endpos)


@pytest.mark.parametrize("value", [
    "password " + "a" * 200_000 + "@",  # a run of scheme characters, no '://'
    "http://" + "a" * 200_000 + "@db",  # one '://', the rest user-info that never ends
    "a://${x}" * 25_000 + "@",  # a '://' every 8 characters
    "x://" + "${a://" * 30_000 + "}@",  # '://' inside one long interpolation
    "a://u:****@h " * 15_000,  # masked passwords: read on after each
])
def test_each_scheme_is_read_once_in_a_bounded_window(value: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(uris._CRED_URI)
    monkeypatch.setattr(uris, "_CRED_URI", counting)
    assert credential_in_uri(value) is None
    assert counting.calls <= value.count("://")
    assert counting.read <= counting.calls * (3 + uris._MAX_SCHEME + uris._WINDOW)


def test_a_credential_after_a_long_run_is_found() -> None:
    m = credential_in_uri("a" * 100_000 + "https://bob:Pw-12345@db.example.com/x")
    assert m is not None and m.group("password") == "Pw-12345" and m.group("host") == \
        "db.example.com"


@pytest.mark.parametrize(("uri", "loopback"), [
    ("http://localhost:5000", True),
    ("https://LOCALHOST", True),
    ("http://127.0.0.1:5000", True),
    ("http://127.0.0.2:8080", True),
    ("http://[::1]:5000", True),
    ("http://mlflow.localhost", True),
    (" http://localhost:5000 ", True),
    ("http://0.0.0.0:5000", False),
    ("http://10.0.0.5:5000", False),
    ("https://mlflow.example.com", False),
    ("http://localhost.example.com", False),
    ("http://127.0.0.1.nip.io", False),
    ("databricks", False),
    ("file:./mlruns", False),
    ("http://[not-an-ip", False),
    ("", False),
])
def test_is_loopback(uri: str, loopback: bool) -> None:
    assert is_loopback(uri) is loopback


def _model(name: str, alias: str | None = None, version: str | None = None,
           stage: str | None = None) -> dict[str, str | None]:
    return {"name": name, "alias": alias, "version": version, "stage": stage}


@pytest.mark.parametrize(("uri", "parsed"), [
    ("models:/churn@prod", _model("churn", alias="prod")),
    ("models:/churn/7", _model("churn", version="7")),
    ("models:/churn/Production", _model("churn", stage="Production")),
    ("models:/churn/latest", _model("churn", stage="latest")),
    ("models:/churn", _model("churn")),
    (" models:/churn@staging ", _model("churn", alias="staging")),
    ("models:/a.b-c_d@champion", _model("a.b-c_d", alias="champion")),
    ("runs:/0123abcd/model", None),
    ("models:/", None),
    ("churn@prod", None),
    ("https://x/models:/m@prod", None),
])
def test_parse_model_uri(uri: str, parsed: dict[str, str | None] | None) -> None:
    assert parse_model_uri(uri) == parsed


@pytest.mark.parametrize(("uri", "inside"), [
    ("http://0.0.0.0:5000", True),  # the address a server binds
    ("http://[::]:5000", True),
    ("http://mlflow:5000", True),  # a compose service
    ("https://tracking-server", True),
    ("http://mlflow.mlflow.svc:5000", True),  # a Kubernetes service
    ("http://mlflow.mlflow.svc.cluster.local:5000", True),
    ("https://mlflow.example.com", False),
    ("http://10.0.0.5:5000", False),
    ("http://localhost:5000", False),  # loopback: is_loopback's
    ("postgresql://mlflow@db:5432/mlflow", False),  # not a tracking server
    ("databricks", False),
    ("mlflow", False),
    ("http://", False),
    ("http://[bad", False),
])
def test_is_service_endpoint(uri: str, inside: bool) -> None:
    assert is_service_endpoint(uri) is inside
