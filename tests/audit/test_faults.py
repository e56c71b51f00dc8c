"""A broken registry ends the audit in exit 3 with one clear line, fast, never a traceback.

The registry here is a small loopback stub speaking just enough of MLflow's REST API: it
answers the first ``ok`` requests properly and then misbehaves in one way per case."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.audit.conftest import free_port
from trackcheck.cli import main

TIMEOUT = 2.0
SECRET = "s3cr3tPassw0rd"

_OK = {
    "/api/2.0/mlflow/registered-models/search": {
        "registered_models": [{"name": "churn", "aliases": [{"alias": "prod", "version": "1"}]}]},
    "/api/2.0/mlflow/model-versions/search": {
        "model_versions": [{"name": "churn", "version": "1", "current_stage": "None",
                            "status": "READY", "run_id": "r1"}]},
    "/api/2.0/mlflow/experiments/search": {"experiments": [{"experiment_id": "0", "name": "x"}]},
    "/api/2.0/mlflow/runs/search": {"runs": []},
}


class _QuietServer(ThreadingHTTPServer):
    """A reset or abandoned connection is part of the scenario: the stub must not print its
    own traceback to stderr, where a later test reads the audit's one-line error."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class Stub:
    def __init__(self, mode: str, ok: int):
        self.mode, self.ok, self.seen = mode, ok, 0
        self.paths: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:
                stub.answer(self)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.answer(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def send(self, h: BaseHTTPRequestHandler, status: int, body: bytes,
             ctype: str = "application/json", headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        self.seen += 1
        path = h.path.split("?", 1)[0]
        self.paths.append(path)
        if self.seen <= self.ok:
            self.send(h, 200, json.dumps(_OK.get(path, {})).encode())
            return
        mode = self.mode
        if mode == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
        elif mode == "slow":
            time.sleep(TIMEOUT * 2.5)
            self.send(h, 200, json.dumps(_OK.get(path, {})).encode())
        elif mode == "500":
            self.send(h, 500, b'{"error_code": "INTERNAL_ERROR", "message": "boom"}')
        elif mode == "401":  # a proxy in front of the server: plain text
            self.send(h, 401, b"Unauthorized", "text/plain", {"WWW-Authenticate": "Basic"})
        elif mode == "403":  # MLflow's basic-auth app: JSON
            self.send(h, 403, b'{"error_code": "PERMISSION_DENIED", "message": "denied"}')
        elif mode == "429":  # a Retry-After far beyond the budget must not be honoured
            self.send(h, 429, b"Too Many Requests", "text/plain", {"Retry-After": "3600"})
        elif mode == "badjson":
            self.send(h, 200, b'{"registered_models": [{"name": ')
        elif mode == "html":  # a login page or portal answering 200
            self.send(h, 200, b"<html><body>Sign in</body></html>", "text/html")
        elif mode == "redirect":  # to a sign-in host: no request may leave for another host
            port = self.uri.rsplit(":", 1)[1]
            h.send_response(302)
            h.send_header("Location", f"http://localhost:{port}/login")
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif mode == "wrongshape":
            self.send(h, 200, b'{"registered_models": "nope"}')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no policy file or local store of the repository applies


@pytest.fixture
def stub(request: pytest.FixtureRequest) -> Iterator[Stub]:
    mode, ok = request.param
    s = Stub(mode, ok)
    yield s
    s.close()


def _with_secret(uri: str) -> str:
    return uri.replace("http://", f"http://auditor:{SECRET}@")


def _audit(uri: str, capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    start = time.monotonic()
    code = main(["audit", "--registry", "--tracking-uri", uri, "--timeout", str(TIMEOUT)])
    elapsed = time.monotonic() - start
    out, err = capfd.readouterr()
    return code, out, err, elapsed


FAULTS = [
    # (mode, answered before the fault, words the message must hold)
    ("500", 0, "HTTP 500"),
    ("500", 2, "HTTP 500"),  # mid-audit: models and versions read, then the server breaks
    ("401", 0, "HTTP 401"),
    ("403", 0, "HTTP 403"),
    ("403", 1, "HTTP 403"),
    ("429", 0, "HTTP 429"),
    ("badjson", 0, "malformed response"),
    ("html", 0, "malformed response"),
    ("wrongshape", 0, "malformed response"),
    ("slow", 0, "timed out"),
    ("reset", 1, "connection reset"),
    ("redirect", 0, "redirected (HTTP 302; the audit never follows a redirect)"),
]


@pytest.mark.parametrize(("stub", "words"), [((m, ok), w) for m, ok, w in FAULTS],
                         indirect=["stub"], ids=[f"{m}-after-{ok}" for m, ok, _ in FAULTS])
def test_fault_is_exit_3_with_one_clear_line(stub: Stub, words: str,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err, elapsed = _audit(_with_secret(stub.uri), capfd)
    assert code == 3, (out, err)
    assert out == ""  # no partial report that could look clean
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert words in lines[0]
    assert f"auditor:****@127.0.0.1:{stub.uri.rsplit(':', 1)[1]}" in lines[0]
    assert SECRET not in err and "Traceback" not in err
    assert elapsed < TIMEOUT * 3, f"took {elapsed:.1f}s"
    assert "/login" not in stub.paths  # the redirect to another host was never followed


def test_connection_refused(capfd: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    code, out, err, elapsed = _audit(f"http://127.0.0.1:{port}", capfd)
    assert code == 3 and out == ""
    assert err.strip() == (f"trackcheck: registry http://127.0.0.1:{port}: unreachable "
                           "(connection refused) while reading registered models")
    assert elapsed < TIMEOUT * 3


def test_fresh_process_fault_has_no_traceback(tmp_path: Path) -> None:
    """The same in a fresh process, as the user runs it, with MLflow's own defaults untouched
    (its client alone retried for about 247 s)."""
    s = Stub("500", 0)
    try:
        start = time.monotonic()
        env = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": _with_secret(s.uri)}
        p = subprocess.run([sys.executable, "-m", "trackcheck", "audit", "--registry",
                            "--timeout", str(TIMEOUT)], cwd=tmp_path, capture_output=True,
                           text=True, env=env, timeout=60)
        elapsed = time.monotonic() - start
    finally:
        s.close()
    assert p.returncode == 3, p.stderr
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "HTTP 500" in p.stderr and SECRET not in p.stderr and "Traceback" not in p.stderr
    assert elapsed < TIMEOUT * 3 + 5  # interpreter and mlflow import included
