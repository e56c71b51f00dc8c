"""TC141 run-name-convention: PASS/FAIL tables."""

import tempfile
from pathlib import Path

import pytest

from tests.conftest import findings_for
from trackcheck.policy import Policy, load_policy


def load_policy_text(text: str) -> Policy:
    """A team policy file (layered over the default) with ``text`` in it."""
    path = Path(tempfile.mkdtemp(prefix="tc-policy-")) / "trackcheck.yaml"
    path.write_text(text, "utf-8")
    return load_policy(path)[0]


FAIL = [
    "mlflow:\n  run_name: baseline-v2\n",
    "mlflow:\n  run_name: ${project.name}\n",
    "mlflow:\n  run_name: ${model.name}-${now:%Y%m%d}\n",
    "mlflow:\n  run_name: ${data.name}\n",
    "mlflow:\n  run_name: 42\n",
    "experiment:\n  mlflow:\n    run_name: try-lr-0.1\n",
]
PASS = [
    "mlflow:\n  run_name: ${model.name}\n",
    "mlflow:\n  run_name: ${ model.name }\n",
    "mlflow:\n  run_name: \"${model.name}\"\n",
    "mlflow:\n  run_name: ???\n",
    "mlflow:\n  run_name: null\n",
    "mlflow:\n  run_name: ''\n",
    "mlflow:\n  experiment_name: ${project.name}\n",  # missing key: MLflow generates a name
    "mlflow:\n  run_name: [a, b]\n",  # a wrong type is TC150's
    "run_name: baseline\n",  # not in the mlflow group
    "model:\n  run_name: baseline\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    found = findings_for("TC141", text)
    assert len(found) == 1, text
    assert found[0].key.endswith("run_name") and found[0].severity.value == "warning"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC141", text) == []


def test_position_key_and_message() -> None:
    (f,) = findings_for("TC141", "project: {name: p}\nmlflow:\n  run_name: baseline-v2\n")
    assert (f.line, f.column, f.key) == (3, 13, "mlflow.run_name")
    assert "model-level" in f.message and "${model.name}" in f.message


def test_group_file_root() -> None:
    (f,) = findings_for("TC141", "run_name: debug\n", "config/mlflow/debug.yaml")
    assert f.key == "run_name"
    assert findings_for("TC141", "run_name: ${model.name}\n", "config/mlflow/default.yaml") == []


def test_policy_names_the_convention() -> None:
    policy = load_policy_text(
        "naming:\n  run_name: ['${model.name}', '${model.name}-${data.name}']\n")
    text = "mlflow:\n  run_name: ${model.name}-${data.name}\n"
    assert len(findings_for("TC141", text)) == 1
    assert findings_for("TC141", text, policy=policy) == []


def test_fingerprint_follows_the_value_not_the_line() -> None:
    (a,) = findings_for("TC141", "mlflow:\n  run_name: baseline\n")
    (b,) = findings_for("TC141", "# moved\n\nmlflow:\n  run_name: baseline\n")
    (c,) = findings_for("TC141", "mlflow:\n  run_name: other\n")
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.line != b.line
