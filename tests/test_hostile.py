"""Hostile inputs through the CLI (issue 9): each shape at a size where a quadratic reading takes
hours, read in a second or so, with the right findings and the secret nowhere in the output.

The timeout is a guard that turns a hang into a failure, not a measure of speed (that is what
``benchmarks/hostile.py`` prints); the tests that cost grows linearly count operations instead
(``tests/detect/test_uris.py``, ``tests/lint/test_document.py``, ``tests/lint/rules/test_tc005.py``,
``tests/detect/test_redact.py``, ``tests/lint/test_interpolation.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = 120  # seconds: a linear reading of any case here takes about one
_JWT_RUN = "-eyJ" * 250_000
_KEY_HEADERS = "-----BEGIN RSA PRIVATE KEY-----" * 20_000


def lint(tmp_path: Path, files: dict[str, str | bytes], *argv: str) -> tuple[int, dict, str]:
    """``trackcheck lint --format json FILES`` in a child process: (exit code, report, stderr)."""
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, "utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "trackcheck", "lint", "--format", "json", *argv, *files],
            cwd=tmp_path, capture_output=True, text=True, timeout=GUARD,
            stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no result in {GUARD} s: the reading is not linear")
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


def rules(report: dict) -> list[str]:
    return [f["rule"] for f in report["findings"]]


@pytest.mark.parametrize(("rel", "text", "expected"), [
    # a 1 MB value under a secret-like key: every start of the run of letters was a URI scheme
    ("config/db.yaml", "password: " + "a" * 1_000_000 + "\n", ["TC111"]),
    ("config/db.yaml", "url: http://" + "a" * 1_000_000 + "@db\n", []),
    ("config/db.yaml", "url: " + "a://${x}" * 125_000 + "@\n", []),
    # token formats whose every try read the rest of the value
    ("config/t.yaml", f"jwt: '{_JWT_RUN}'\n", []),
    ("src/keys.py", f"# {_KEY_HEADERS}\n", ["TC110"] * 20_000),
    # a blank run in a KEY=value line, read again after every character
    (".env", "A= x" + " " * 1_000_000 + "y\n", ["TC160"]),  # the file itself is the finding
    ("Makefile", "A= x" + " " * 1_000_000 + "y\n", []),
    # an interpolation nested 5,000 deep: the grammar took minutes at 1,250
    ("config/n.yaml", "v: '" + "${a." * 5_000 + "b" + "}" * 5_000 + "'\n", ["TC002"]),
])
def test_hostile_shapes_are_read_in_linear_time(rel: str, text: str, expected: list[str],
                                                tmp_path: Path) -> None:
    code, report, _ = lint(tmp_path, {rel: text})
    assert code == (1 if expected else 0)
    assert rules(report) == expected
