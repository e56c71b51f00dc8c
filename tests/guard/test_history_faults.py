"""``trackcheck history`` against a misbehaving server: one line, exit 3, within its timeout,
never following a redirect, never printing what the server said."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.audit.test_faults import Stub


def history(uri: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {"MLFLOW_TRACKING_URI": uri, "PATH": "/usr/bin:/bin",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    start = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "trackcheck", "history", "--timeout", "2", *args],
                       env=env, capture_output=True, text=True, timeout=120)
    return p, time.monotonic() - start


@pytest.mark.parametrize(("mode", "words"), [
    ("slowheaders", "timed out"),
    ("bomb", "larger than"),
    ("redirect", "redirect"),
    ("echo", "HTTP"),
])
def test_a_misbehaving_server_is_one_line_and_exit_3(mode: str, words: str) -> None:
    stub = Stub(mode, ok=0)
    try:
        p, took = history(stub.uri)
    finally:
        stub.server.shutdown()
    assert p.returncode == 3, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in p.stderr
    assert "boom" not in p.stderr and "Sign in" not in p.stderr  # the server's words
    assert took < 20  # the 2 s bound, plus the interpreter and mlflow imports
    assert all(path == "/api/2.0/trackcheck/ledger" for path in stub.paths)
