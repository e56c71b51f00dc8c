"""Shared test helpers: lint a YAML snippet the way ``trackcheck lint`` would."""

from __future__ import annotations

import itertools
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from trackcheck.engine import Report, Selection
from trackcheck.findings import Finding
from trackcheck.lint.discover import classify
from trackcheck.lint.runner import lint
from trackcheck.policy import Policy, load_policy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _session_policy_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Where processes that session fixtures start (a server with the guard) cache validated
    policies: never the real ``~/.cache/trackcheck``."""
    before = os.environ.get("TRACKCHECK_CACHE_DIR")
    os.environ["TRACKCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("policy-cache"))
    yield
    if before is None:
        os.environ.pop("TRACKCHECK_CACHE_DIR", None)
    else:
        os.environ["TRACKCHECK_CACHE_DIR"] = before


@pytest.fixture(autouse=True)
def policy_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache of validated policies, created when first written and inherited by
    the processes the test starts: no test sees a policy another one validated."""
    where = tmp_path_factory.getbasetemp() / "policy-caches" / str(next(_CACHES))
    monkeypatch.setenv("TRACKCHECK_CACHE_DIR", str(where))
    return where


_CACHES = itertools.count()


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy("default")[0]


def lint_text(
    text: str,
    rel: str = "config/snippet.yaml",
    *,
    policy: Policy | None = None,
    select: tuple[str, ...] = ("TC",),
    root: Path | None = None,
) -> Report:
    """Write ``text`` (dedented) at ``root/rel`` and lint that one file, as pre-commit would."""
    import os
    import tempfile

    policy = policy or load_policy("default")[0]
    base = Path(root or tempfile.mkdtemp(prefix="tc-"))
    target_path = base / rel
    target_path.parent.mkdir(parents=True, exist_ok=True)
    target_path.write_text(textwrap.dedent(text), "utf-8")
    old = os.getcwd()
    os.chdir(base)
    try:
        t = classify(rel, policy)
        assert t is not None, f"{rel} is not a file trackcheck lints"
        return lint([t], policy, Selection(select=select))
    finally:
        os.chdir(old)


def codes(text: str, rel: str = "config/snippet.yaml", **kw: object) -> list[str]:
    """The rule codes ``text`` trips, in report order."""
    return [f.rule for f in lint_text(text, rel, **kw).findings]  # type: ignore[arg-type]


def findings_for(
    code: str, text: str, rel: str = "config/snippet.yaml", **kw: object
) -> list[Finding]:
    return [f for f in lint_text(text, rel, **kw).findings if f.rule == code]  # type: ignore[arg-type]


def assert_secret_hidden(report: Report, secret: str) -> None:
    """The secret was recorded for scrubbing, no message holds it, and no reporter prints it
    (rendered and scrubbed the way ``cli.py`` does it)."""
    from trackcheck.detect.redact import scrub
    from trackcheck.lint.rules import RULES
    from trackcheck.reporters import REPORTERS

    assert report.findings, "nothing was reported"
    assert any(secret in s for s in report.secrets), "the secret was not marked for scrubbing"
    for f in (*report.findings, *report.suppressed):
        assert secret not in f.message and secret not in f.key, f.rule
    for name, render in REPORTERS.items():
        for rules in ({}, {r.code: r for r in RULES}):
            raw = render(report, rules, True)
            assert secret not in raw, f"{name} reporter printed the secret"
            assert secret not in scrub(raw, report.secrets)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write files under a fresh working directory: ``tree({"config/x.yaml": "..."})``; the
    run is not under CI (GITHUB_ACTIONS would switch the default format)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text, "utf-8")
        return tmp_path

    return write


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``trackcheck ARGV`` in process: (exit code, stdout, stderr); never a traceback."""
    from trackcheck.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err



def lines_executed(fn: Callable[[], object]) -> int:
    """Python lines run by ``fn``: an operation count, for tests that cost grows linearly (no
    machine load changes it, as it would change a time)."""
    import sys

    count = 0

    def trace(frame: object, event: str, arg: object) -> object:
        nonlocal count
        count += event == "line"
        return trace

    sys.settrace(trace)  # type: ignore[arg-type]
    try:
        fn()
    finally:
        sys.settrace(None)
    return count
