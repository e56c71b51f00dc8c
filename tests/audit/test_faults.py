"""A broken registry ends the audit in exit 3 with one clear line, fast, never a traceback.

The registry here is a small loopback stub speaking just enough of MLflow's REST API: it
answers the first ``ok`` requests properly and then misbehaves in one way per case."""

from __future__ import annotations

import base64
import gzip
import json
import os
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
DRIP = 0.5  # seconds between two bytes of a trickling server
ENDLESS_CAP = 2_000_000_000  # what the endless body stops at by itself (the audit cuts far sooner)
BOMB = gzip.compress(b"\0" * 2**20, 9) * 1024  # gzip members: 1 MB that inflates to 1 GiB

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


class _QuietServer6(_QuietServer):
    address_family = socket.AF_INET6


class Stub:
    def __init__(self, mode: str, ok: int, host: str = "127.0.0.1"):
        self.mode, self.ok, self.seen, self.sent = mode, ok, 0, 0
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

        server = _QuietServer6 if ":" in host else _QuietServer
        self.server = server((host, 0), Handler)
        self.server.daemon_threads = True
        shown = f"[{host}]" if ":" in host else host
        self.uri = f"http://{shown}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

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
        elif mode == "slow-500":  # each answer takes most of the budget, then fails
            time.sleep(TIMEOUT * 0.35)
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
        elif mode == "brotli":  # an encoding never asked for (the audit asks for gzip, deflate)
            self.send(h, 200, b"\x0b\x02\x80{}\x03", headers={"Content-Encoding": "br"})
        elif mode == "trickle":  # proper headers, then the body one byte at a time
            body = json.dumps(_OK.get(path, {})).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.flush()
            for i in range(len(body)):
                h.wfile.write(body[i:i + 1])
                h.wfile.flush()
                self.sent += 1
                time.sleep(DRIP)
        elif mode == "slowheaders":  # the status line and headers one byte at a time
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + (
                b"x" * 200) + b"\r\nContent-Length: 2\r\n\r\n{}"
            for i in range(len(head)):
                h.wfile.write(head[i:i + 1])
                h.wfile.flush()
                self.sent += 1
                time.sleep(DRIP)
        elif mode == "endless":  # a body without end (no length: it runs until the close)
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            h.wfile.write(b'{"registered_models": [')
            chunk = b'{"name": "m"},' * 4096
            while self.sent < ENDLESS_CAP:  # a bound of the stub's own: the test never hangs
                h.wfile.write(chunk)
                self.sent += len(chunk)
        elif mode == "bomb":  # ~1 MB of gzip that inflates to 1 GiB
            self.send(h, 200, BOMB, headers={"Content-Encoding": "gzip"})
            self.sent += len(BOMB)
        elif mode == "repeat-token":  # a next_page_token that never changes
            self.send(h, 200, json.dumps({"registered_models": [], "next_page_token": "again"})
                      .encode())
        elif mode == "new-token":  # a fresh token on every page, never the last page
            page = {"registered_models": [{"name": f"m{self.seen}-{i}"} for i in range(50)],
                    "next_page_token": f"t{self.seen}"}
            self.send(h, 200, json.dumps(page).encode())
        elif mode == "echo":  # an error that echoes the request's credentials, body and header
            auth = h.headers.get("Authorization", "")
            body = json.dumps({"error_code": "INVALID_PARAMETER_VALUE",
                               "message": f"bad request; you sent Authorization: {auth}"})
            self.send(h, 400, body.encode(), headers={"X-Echo": f"Authorization: {auth}"})
        elif mode == "echo-text":  # a proxy's plain-text error page, echoing too
            auth = h.headers.get("Authorization", "")
            self.send(h, 502, f"upstream failed for Authorization: {auth}".encode(),
                      "text/plain", {"X-Echo": f"Authorization: {auth}"})

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


def _bare_env(uri: str) -> dict[str, str]:
    """A user's shell: nothing but PATH and the registry (and the import path under test)."""
    keep = {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}
    return {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": uri, **keep}


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
    ("brotli", 0, "malformed response (an encoding the audit did not ask for)"),
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
        env = _bare_env(_with_secret(s.uri))
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


# --- a server that cannot hang the audit, flood it or loop it (issue 9) -----------------------
def _policy(tmp_path: Path, audit: str) -> str:
    (tmp_path / "policy.yaml").write_text(f"extends: default\naudit: {audit}\n", "utf-8")
    return str(tmp_path / "policy.yaml")


def _one_line(code: int, out: str, err: str, stub: Stub) -> str:
    assert code == 3, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert SECRET not in err and "Traceback" not in err
    port = stub.uri.rsplit(":", 1)[1]
    prefix = f"trackcheck: registry http://auditor:****@127.0.0.1:{port}: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix):]


@pytest.mark.parametrize("stub", [("trickle", 0), ("slowheaders", 0)], indirect=True,
                         ids=["trickling-body", "slow-headers"])
def test_a_trickling_server_is_cut_off_at_the_timeout(stub: Stub,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    """Every byte comes within any socket timeout, yet the request ends at --timeout."""
    code, out, err, elapsed = _audit(_with_secret(stub.uri), capfd)
    assert _one_line(code, out, err, stub) == (
        f"timed out (no complete answer within {TIMEOUT:g} s) while reading registered models")
    assert stub.sent <= TIMEOUT / DRIP + 2  # cut off, not waited out (the body is 100+ bytes)
    assert elapsed < TIMEOUT * 3, f"took {elapsed:.1f}s"


@pytest.mark.parametrize("stub", [("slow-500", 0)], indirect=True)
def test_retries_stay_within_the_timeout(stub: Stub, capfd: pytest.CaptureFixture[str]) -> None:
    """A 500 is retried, but only while the request's --timeout lasts: the third attempt that
    trackcheck's retry count would allow is never sent."""
    code, out, err, _ = _audit(_with_secret(stub.uri), capfd)
    said = _one_line(code, out, err, stub)
    assert said == "HTTP 500 server error while reading registered models"
    assert stub.seen == 2


@pytest.mark.parametrize("stub", [("endless", 0)], indirect=True)
def test_an_endless_body_is_refused_at_the_size_bound(stub: Stub,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = _audit(_with_secret(stub.uri), capfd)
    assert _one_line(code, out, err, stub) == (
        "response larger than 64,000,000 bytes (the policy's audit.max_response_bytes); refused "
        "while reading registered models")
    assert stub.sent < 200_000_000


_RSS = ("import atexit, resource, sys\n"
        "atexit.register(lambda: print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " file=open(sys.argv[1], 'w')))\n"
        "from trackcheck.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n")


def test_a_decompression_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """1 MB of gzip that inflates to 1 GiB: refused once 64 MB are inflated, in a process whose
    peak memory stays far below the 1 GiB it would take (2.3 GB before the fix)."""
    s = Stub("bomb", 0)
    try:
        p = subprocess.run([sys.executable, "-c", _RSS, str(tmp_path / "rss"), "audit",
                            "--registry", "--timeout", str(TIMEOUT * 5)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120,
                           env=_bare_env(_with_secret(s.uri)))
    finally:
        s.close()
    assert _one_line(p.returncode, p.stdout, p.stderr, s) == (
        "response larger than 64,000,000 bytes (the policy's audit.max_response_bytes); refused "
        "while reading registered models")
    peak_mb = int((tmp_path / "rss").read_text()) / 1024
    assert peak_mb < 700, f"peak RSS {peak_mb:.0f} MB"


@pytest.mark.parametrize("stub", [("bomb", 0)], indirect=True)
def test_the_size_bound_comes_from_the_policy(stub: Stub, tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    policy = _policy(tmp_path, "{max_response_bytes: 100000}")
    code = main(["audit", "--registry", "--tracking-uri", _with_secret(stub.uri), "--policy",
                 policy, "--timeout", str(TIMEOUT)])
    out, err = capfd.readouterr()
    assert _one_line(code, out, err, stub).startswith("response larger than 100,000 bytes")


@pytest.mark.parametrize("stub", [("repeat-token", 0)], indirect=True)
def test_a_repeated_page_token_stops_the_walk(stub: Stub,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = _audit(_with_secret(stub.uri), capfd)
    assert _one_line(code, out, err, stub) == (
        "the server repeated a page token while reading registered models (a paging loop); "
        "the audit stopped")
    assert stub.seen == 2


@pytest.mark.parametrize(("stub", "budget", "said", "requests"), [
    (("new-token", 0), "{max_pages: 5}",
     "more than 5 pages (the policy's audit.max_pages) while reading registered models", 5),
    (("new-token", 0), "{max_objects: 120}",
     "more than 120 objects (the policy's audit.max_objects) while reading registered models", 3),
], indirect=["stub"], ids=["pages", "objects"])
def test_paging_stops_at_the_policy_budgets(stub: Stub, budget: str, said: str, requests: int,
                                            tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "--registry", "--tracking-uri", _with_secret(stub.uri), "--policy",
                 _policy(tmp_path, budget), "--timeout", str(TIMEOUT)])
    out, err = capfd.readouterr()
    assert _one_line(code, out, err, stub) == f"{said}; the audit stopped"
    assert stub.seen == requests


@pytest.mark.parametrize("stub", [("slow", 0)], indirect=True)
def test_the_deadline_bounds_the_whole_audit(stub: Stub, capfd: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    code = main(["audit", "--registry", "--tracking-uri", _with_secret(stub.uri),
                 "--timeout", "30", "--deadline", "1"])
    elapsed = time.monotonic() - start
    out, err = capfd.readouterr()
    assert _one_line(code, out, err, stub) == (
        "the audit's deadline (1 s) passed while reading registered models")
    assert elapsed < TIMEOUT * 3


@pytest.mark.parametrize("flag", ["--timeout", "--deadline"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_bounds_must_be_positive_and_finite(flag: str, value: str,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "--registry", "--tracking-uri", "http://127.0.0.1:9", flag, value])
    _, err = capfd.readouterr()
    assert code == 2 and err.strip() == f"trackcheck: {flag} must be a positive number of seconds"


@pytest.mark.parametrize(("stub", "said"), [
    (("echo", 0), "HTTP 400 bad request (INVALID_PARAMETER_VALUE) while reading registered models"),
    (("echo-text", 0), "HTTP 502 bad gateway while reading registered models"),
], indirect=["stub"], ids=["json", "text"])
def test_server_error_text_and_headers_are_never_printed(stub: Stub, said: str,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    """The server echoes the request's Authorization header in its body and a header of its own:
    the one line holds the status and MLflow's error code, nothing the server wrote."""
    code, out, err, _ = _audit(_with_secret(stub.uri), capfd)
    assert _one_line(code, out, err, stub) == said
    basic = base64.b64encode(f"auditor:{SECRET}".encode()).decode()
    for leaked in (basic, "Authorization", "Basic", "bad request;", "upstream failed"):
        assert leaked not in out + err


@pytest.mark.parametrize("uri", [
    f"auditor:{SECRET}@127.0.0.1:5000",  # no scheme
    f"auditor:{SECRET}@127.0.0.1:5000/mlflow?token=x",
    f"auditor:p@{SECRET}@127.0.0.1:5000",  # '@' in the password
    f"http://auditor:{SECRET}@[::1",  # IPv6, broken
    f"http://auditor:p@{SECRET}@[::1]:99999",  # IPv6, bad port
])
def test_registry_uris_of_every_shape_are_masked(uri: str,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "--registry", "--tracking-uri", uri, "--timeout", str(TIMEOUT)])
    out, err = capfd.readouterr()
    assert code == 3 and out == "" and len(err.strip().splitlines()) == 1, err
    assert SECRET not in err and "Traceback" not in err
    assert "auditor:****@" in err


def test_an_ipv6_registry_is_masked_and_reached() -> None:
    s = Stub("500", 0, host="::1")
    try:
        p = subprocess.run([sys.executable, "-m", "trackcheck", "audit", "--registry",
                            "--timeout", str(TIMEOUT)], capture_output=True, text=True,
                           timeout=60,
                           env=_bare_env(_with_secret(s.uri).replace(SECRET, "p@" + SECRET)))
    finally:
        s.close()
    port = s.uri.rsplit(":", 1)[1]
    assert p.returncode == 3 and p.stdout == ""
    assert p.stderr.strip() == (f"trackcheck: registry http://auditor:****@[::1]:{port}: "
                                "HTTP 500 server error while reading registered models")
    assert s.seen >= 1  # the request did reach the IPv6 server
