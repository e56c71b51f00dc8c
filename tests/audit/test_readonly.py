"""The audit is strictly read-only: nothing it does writes to a registry or creates a store."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from trackcheck.audit.mlflow_source import MlflowSource
from trackcheck.audit.source import SourceError
from trackcheck.cli import main


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(d: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in d.iterdir()}


@pytest.fixture
def registry_with_content(seed):  # type: ignore[no-untyped-def]
    name = seed.model(tags={"team": "ml"}, description="read me, do not touch me")
    run = seed.run(tags={"env": "prod", "debug": "false"}, params={"lr": "0.1"},
                   dataset_digest="abc123")
    seed.version(name, run_id=run, aliases=["prod", "archived"], stage="Production")
    seed.version(name, run_id=seed.run(deleted=True), aliases=["staging"])
    return name


def test_server_database_is_byte_for_byte_the_same(mlflow_server, registry_with_content,
                                                   run_audit) -> None:  # type: ignore[no-untyped-def]
    db = mlflow_server.db_path
    files_before = _listing(db.parent)
    before = _sha(db)
    p = run_audit("--policy", "default", "--format", "json")
    assert p.returncode == 1, p.stderr  # it found the planted problems ...
    assert '"models"' in p.stdout
    assert _sha(db) == before  # ... and changed nothing
    assert {k: v for k, v in _listing(db.parent).items() if k != "server.log"} == {
        k: v for k, v in files_before.items() if k != "server.log"}


def test_only_search_endpoints_are_called(mlflow_server, registry_with_content,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []
    original = requests.Session.send

    def spy(self, request, **kw):  # type: ignore[no-untyped-def]
        calls.append((request.method, urlsplit(request.url).path))
        return original(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", spy)
    snap = MlflowSource(mlflow_server.uri).snapshot()
    assert calls and snap.requests == len(calls)
    assert all(path.endswith("/search") for _, path in calls), calls
    assert {m for m, _ in calls} <= {"GET", "POST"}  # MLflow's search runs/experiments are POSTs


def test_local_store_is_opened_read_only(mlflow_server, registry_with_content, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """MLflow's own default store in the working directory, no server, nothing set."""
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(mlflow_server.db_path) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    before, listing = _sha(db), _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(k, raising=False)
    assert main(["audit", "--registry", "--policy", "default", "--format", "json"]) == 1
    out, err = capfd.readouterr()
    assert '"registry": "sqlite:///mlflow.db"' in out and err == ""
    assert _sha(db) == before and _listing(tmp_path) == listing


@pytest.mark.parametrize("content", [b"", b"not a database at all"])
def test_a_store_that_is_not_mlflow_is_not_initialised(content: bytes, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    """MLflow creates its tables in an empty database it opens; the audit must not."""
    (tmp_path / "mlflow.db").write_bytes(content)
    listing = _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--registry", "--policy", "default",
                 "--tracking-uri", "sqlite:///mlflow.db"]) == 3
    _, err = capfd.readouterr()
    assert len(err.strip().splitlines()) == 1 and "sqlite:///mlflow.db" in err
    assert "Traceback" not in err
    assert (tmp_path / "mlflow.db").read_bytes() == content and _listing(tmp_path) == listing


def test_a_missing_store_is_never_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/sub/missing.db")
    assert main(["audit", "--registry", "--policy", "default"]) == 3
    _, err = capfd.readouterr()
    assert "no such store" in err
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    assert main(["audit", "--registry", "--policy", "default"]) == 2
    _, err = capfd.readouterr()
    assert "nothing to audit" in err
    assert os.listdir(tmp_path) == []


def test_read_only_open_leaves_no_journal_or_lock_files(tmp_path: Path,
                                                        mlflow_server) -> None:  # type: ignore[no-untyped-def]
    """A read-only open must not leave journal or lock files beside the database."""
    shutil.copy(mlflow_server.db_path, tmp_path / "copy.db")
    MlflowSource(f"sqlite:///{tmp_path / 'copy.db'}").snapshot()
    assert sorted(os.listdir(tmp_path)) == ["copy.db"]


# --- no redirect, retry or library change can send a write (issue 9) --------------------------
class RedirectingProxy:
    """A loopback proxy in front of the real server that forwards every request, except that it
    answers ``POST .../runs/search`` with a 307 to ``.../runs/create`` on its own host and port:
    a client that follows it (307 keeps the method and body) creates a run."""

    SEARCH, CREATE = "/api/2.0/mlflow/runs/search", "/api/2.0/mlflow/runs/create"

    def __init__(self, upstream: str):
        self.seen: list[tuple[str, str]] = []
        proxy = self
        up = urlsplit(upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((self.command, self.path.split("?", 1)[0]))
                if self.command == "POST" and self.path == RedirectingProxy.SEARCH:
                    self.send_response(307)
                    self.send_header("Location", proxy.uri + RedirectingProxy.CREATE)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_DELETE = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(mlflow_server):  # type: ignore[no-untyped-def]
    p = RedirectingProxy(mlflow_server.uri)
    yield p
    p.close()


def _server_log_since(server, mark: int) -> str:  # type: ignore[no-untyped-def]
    return (server.root / "server.log").read_bytes()[mark:].decode("utf-8", "replace")


def _runs(client, experiment: str) -> int:  # type: ignore[no-untyped-def]
    from mlflow.entities import ViewType

    return len(client.search_runs([experiment], run_view_type=ViewType.ALL, max_results=50_000))


def test_a_redirect_from_a_search_to_a_write_is_never_followed(
        mlflow_server, mlflow_client, seed, registry_with_content, proxy,  # type: ignore[no-untyped-def]
        capfd: pytest.CaptureFixture[str]) -> None:
    experiment = seed.experiment()
    # the control: a client that follows the proxy's redirect writes to the registry
    before = _runs(mlflow_client, experiment)
    r = requests.post(proxy.uri + proxy.SEARCH, json={"experiment_id": experiment}, timeout=30)
    assert r.status_code == 200 and r.history and r.history[0].status_code == 307
    assert _runs(mlflow_client, experiment) == before + 1
    proxy.seen.clear()

    before = _runs(mlflow_client, experiment)
    mark = (mlflow_server.root / "server.log").stat().st_size
    code = main(["audit", "--registry", "--tracking-uri", proxy.uri, "--policy", "default"])
    out, err = capfd.readouterr()
    assert code == 3 and out == ""
    assert err.strip() == (f"trackcheck: registry {proxy.uri}: redirected (HTTP 307; the audit "
                           "never follows a redirect) while reading runs")
    assert ("POST", proxy.SEARCH) in proxy.seen  # the audit reached the run look-up ...
    assert ("POST", proxy.CREATE) not in proxy.seen  # ... and did not follow the redirect
    log = _server_log_since(mlflow_server, mark)
    assert "registered-models/search" in log  # the server logs each request it serves ...
    assert "runs/create" not in log  # ... and served no write
    assert _runs(mlflow_client, experiment) == before


class _Sneaky(MlflowSource):
    """A source whose walk asks MLflow's client for something the audit never needs."""

    def __init__(self, uri: str, call):  # type: ignore[no-untyped-def]
        super().__init__(uri)
        self.call = call

    def _walk(self, client, say):  # type: ignore[no-untyped-def]
        self._call("something else", self.call, client)
        yield from ()


@pytest.mark.parametrize(("call", "sent"), [
    (lambda c: c.create_registered_model("sneaky-write"),
     "POST /api/2.0/mlflow/registered-models/create"),
    (lambda c: c.create_experiment("sneaky-experiment"), "POST /api/2.0/mlflow/experiments/create"),
    (lambda c: c.get_registered_model("sneaky-read"), "GET /api/2.0/mlflow/registered-models/get"),
], ids=["write", "other-write", "other-read"])
def test_any_other_endpoint_is_refused_before_it_is_sent(mlflow_server, mlflow_client, call,  # type: ignore[no-untyped-def]
                                                         sent: str) -> None:
    mark = (mlflow_server.root / "server.log").stat().st_size
    with pytest.raises(SourceError) as e:
        list(_Sneaky(mlflow_server.uri, call).pieces())
    assert str(e.value) == (f"registry {mlflow_server.uri}: MLflow tried to send {sent}, which is "
                            "not one of the audit's reads; trackcheck refused it while reading "
                            "something else")
    assert sent.split()[1] not in _server_log_since(mlflow_server, mark)
    assert not mlflow_client.search_registered_models(filter_string="name = 'sneaky-write'")


@pytest.mark.parametrize(("method", "where", "said"), [
    ("DELETE", "/api/2.0/mlflow/registered-models/search",
     "MLflow tried to send DELETE /api/2.0/mlflow/registered-models/search, which is not one of "
     "the audit's reads"),
    ("POST", "/api/2.0/mlflow/model-versions/search",  # MLflow defines it as a GET
     "MLflow tried to send POST /api/2.0/mlflow/model-versions/search, which is not one of "
     "the audit's reads"),
    ("GET", "/ajax-api/2.0/mlflow/registered-models/search",
     "MLflow tried to send GET /ajax-api/2.0/mlflow/registered-models/search, which is not one "
     "of the audit's reads"),
    ("GET", "other-port", "MLflow tried to reach another server (http://127.0.0.1:{port})"),
    ("GET", "https", "MLflow tried to reach another server (https://127.0.0.1:{port})"),
])
def test_the_transport_allows_only_the_audits_reads(mlflow_server, method: str, where: str,  # type: ignore[no-untyped-def]
                                                     said: str) -> None:
    """Below MLflow: whoever sends it, a request outside the allowlist never leaves."""
    from trackcheck.audit.mlflow_source import audit_reads
    from trackcheck.audit.transport import Transport, TransportError, origin_of

    port = urlsplit(mlflow_server.uri).port
    url = mlflow_server.uri + where
    if where == "other-port":
        url = f"http://127.0.0.1:{port + 1}/api/2.0/mlflow/registered-models/search"
        said = said.format(port=port + 1)
    elif where == "https":
        url = f"https://127.0.0.1:{port}/api/2.0/mlflow/registered-models/search"
        said = said.format(port=port)
    mark = (mlflow_server.root / "server.log").stat().st_size
    transport = Transport({origin_of(mlflow_server.uri)}, audit_reads({""}), 10_000_000)
    with transport.installed():
        transport.deadline = time.monotonic() + 10
        ok = requests.get(mlflow_server.uri + "/api/2.0/mlflow/registered-models/search",
                          params={"max_results": 1}, timeout=10)
        assert ok.status_code == 200  # the allowed read goes through
        with pytest.raises(TransportError) as e:
            requests.request(method, url, timeout=10)
    assert str(e.value).startswith(said)
    assert transport.requests == 1
    assert where not in _server_log_since(mlflow_server, mark).replace(
        "/api/2.0/mlflow/registered-models/search?max_results=1", "")
