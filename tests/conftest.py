"""Shared test helpers: lint a YAML snippet the way ``trackcheck lint`` would."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trackcheck.engine import Report, Selection
from trackcheck.findings import Finding
from trackcheck.lint.discover import classify
from trackcheck.lint.runner import lint
from trackcheck.policy import Policy, load_policy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy("default")[0]


def lint_text(text: str, rel: str = "config/snippet.yaml", *, policy: Policy | None = None,
              select: tuple[str, ...] = ("TC",), root: Path | None = None) -> Report:
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


def findings_for(code: str, text: str, rel: str = "config/snippet.yaml", **kw: object) -> list[Finding]:
    return [f for f in lint_text(text, rel, **kw).findings if f.rule == code]  # type: ignore[arg-type]
