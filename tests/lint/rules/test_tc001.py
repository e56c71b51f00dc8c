"""TC001 yaml-syntax-error: PASS/FAIL tables; a broken file is a finding, never a crash."""

import pytest
import yaml

from tests.conftest import findings_for, lint_text
from trackcheck.engine import Selection
from trackcheck.lint.discover import classify
from trackcheck.lint.runner import lint
from trackcheck.policy import load_policy

# (text, line, column) of where the parser stopped
FAIL = [
    ("mlflow:\n  experiment_name: ${project.name}\n   run_name: ${model.name}\n", 3, 12),
    ("mlflow: [a, b\n", 2, 1),
    ("mlflow:\n\ttracking_uri: x\n", 2, 1),
    ("run_name: \"unclosed\n", 2, 1),
    ("a: b: c\n", 1, 5),
    ("- a\nb: c\n", 2, 1),
    ("key: @value\n", 1, 6),
    ("a: *undefined_anchor\n", 1, 4),
]
PASS = [
    "mlflow:\n  experiment_name: ${project.name}\n",
    "",
    "# only a comment\n",
    "---\na: 1\n---\nb: 2\n",
    "a: 'it''s'\n",
    "a: |\n  multi\n  line\n",
    "a: &x 1\nb: *x\n",
]


@pytest.mark.parametrize(("text", "line", "column"), FAIL)
def test_flags(text: str, line: int, column: int) -> None:
    with pytest.raises(yaml.YAMLError):  # the YAML library agrees the file is broken
        list(yaml.safe_load_all(text))
    (f,) = findings_for("TC001", text)
    assert (f.line, f.column) == (line, column), f.message
    assert f.message.startswith("invalid YAML") and f.severity.value == "error"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    list(yaml.safe_load_all(text))
    assert findings_for("TC001", text) == []


def test_non_hydra_yaml_is_checked_too() -> None:
    assert len(findings_for("TC001", "on: [push\n", ".github/workflows/ci.yaml")) == 1


def test_broken_file_reports_nothing_else() -> None:
    text = "mlflow:\n  tracking_uri: http://mlflow:5000\n bad: indent\n"
    assert [f.rule for f in lint_text(text).findings] == ["TC001"]


def test_the_value_is_not_quoted() -> None:
    (f,) = findings_for("TC001", "password: \"hunter2-secret\nother: 1\n")
    assert "hunter2" not in f.message


def test_other_files_are_still_linted(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config/a.yaml").write_text("a: [1\n")
    (tmp_path / "config/b.yaml").write_text("mlflow:\n  tracking_uri: http://mlflow:5000\n")
    policy = load_policy("default")[0]
    targets = [classify(p, policy) for p in ("config/a.yaml", "config/b.yaml")]
    report = lint([t for t in targets if t is not None], policy, Selection())
    assert [(f.path, f.rule) for f in report.findings] == [
        ("config/a.yaml", "TC001"), ("config/b.yaml", "TC101")]
