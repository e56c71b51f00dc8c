"""TC004 unsafe-file: each kind of unsafe file is one finding with a reason, never a crash."""

import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest import findings_for
from trackcheck.engine import Selection
from trackcheck.lint.discover import Target
from trackcheck.lint.runner import lint
from trackcheck.policy import Policy, load_policy


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def load_policy_text(text: str) -> Policy:
    path = Path(tempfile.mkdtemp(prefix="tc-policy-")) / "trackcheck.yaml"
    path.write_text(text, "utf-8")
    return load_policy(path)[0]


# (text, policy overrides, what the message says)
FAIL = [
    (bomb(7), "", "expansion bomb"),
    ("a: &a [1, *a]\n", "", "recursive alias"),
    ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 30)) + "  " * 30 + "v: 1\n",
     "max_depth: 20\n", "excessive nesting"),
    ("[" * 5000 + "]" * 5000 + "\n", "", "nesting"),
    ("mlflow:\n  run_name: x\n" + "# padding\n" * 200, "max_file_bytes: 1000\n", "oversized"),
    ("a: [" + ", ".join(["x"] * 500) + "]\n", "max_nodes: 100\n", "too many nodes"),
]
PASS = [
    "a: &a [x, x, x]\nb: [*a, *a]\n",
    bomb(3),  # 9**3 nodes: large but honest
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 30)) + "  " * 30 + "v: 1\n",
]


@pytest.mark.parametrize(("text", "policy", "says"), FAIL)
def test_flags(text: str, policy: str, says: str) -> None:
    p = load_policy_text(policy) if policy else None
    found = findings_for("TC004", text, policy=p)
    assert len(found) == 1
    assert says in found[0].message and found[0].severity.value == "error"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC004", text) == []


@pytest.mark.parametrize(("data", "says"), [
    (b"mlflow:\n  run_name: \x00\x01\x02\n", "binary"),
    (b"mlflow:\n  run_name: caf\xe9\n", "not UTF-8"),
    (b"\xff\xfe\x00m\x00l\x00", "binary"),
])
def test_bytes_that_are_not_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes,
                                 says: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_bytes(data)
    (f,) = _lint(Target(Path("bad.yaml"), "bad.yaml", "hydra", False))
    assert says in f.message and f.rule == "TC004"


def _lint(target: Target) -> list:  # type: ignore[type-arg]
    report = lint([target], load_policy("default")[0], Selection())
    return report.findings


def test_symlink_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink("b.yaml", "a.yaml")
    os.symlink("a.yaml", "b.yaml")
    (f,) = _lint(Target(Path("a.yaml"), "a.yaml", "hydra", False))
    assert "symlink loop" in f.message


def test_not_a_regular_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.yaml")  # opening it would block: it must never be opened
    (f,) = _lint(Target(Path("pipe.yaml"), "pipe.yaml", "hydra", False))
    assert "not a regular file" in f.message


def test_missing_file_between_discovery_and_reading(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (f,) = _lint(Target(Path("gone.yaml"), "gone.yaml", "hydra", False))
    assert f.rule == "TC004" and "cannot read" in f.message


def test_unsafe_file_reports_nothing_else() -> None:
    text = "mlflow:\n  tracking_uri: http://mlflow:5000\n" + bomb(7)
    from tests.conftest import codes

    assert codes(text) == ["TC004"]
