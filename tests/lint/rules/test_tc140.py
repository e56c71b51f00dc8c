"""TC140 experiment-name-convention: PASS/FAIL tables."""

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
    "mlflow:\n  experiment_name: my-project\n",
    "mlflow:\n  experiment_name: ${model.name}\n",
    "mlflow:\n  experiment_name: ${project.name}-${model.name}\n",
    "mlflow:\n  experiment_name: ${oc.env:MLFLOW_EXPERIMENT_NAME}\n",
    "mlflow:\n  experiment_name: ${project.name }x\n",
    "train:\n  mlflow:\n    experiment_name: scratch\n",
    "# @package _global_\nmlflow:\n  experiment_name: debug\n",
]
PASS = [
    "mlflow:\n  experiment_name: ${project.name}\n",
    "mlflow:\n  experiment_name: ${ project.name }\n",
    "mlflow:\n  experiment_name: '${project.name}'\n",
    "mlflow:\n  experiment_name: ???\n",
    "mlflow:\n  experiment_name: null\n",
    "mlflow:\n  experiment_name:\n",
    "mlflow:\n  run_name: ${model.name}\n",  # missing key: not this rule's business
    "mlflow:\n  experiment_name: {name: x}\n",  # a wrong type is TC150's
    "experiment_name: scratch\n",  # not in the mlflow group
    "tracking:\n  experiment_name: scratch\n",
    "defaults:\n  - mlflow: default\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    found = findings_for("TC140", text)
    assert len(found) == 1, text
    assert found[0].key.endswith("experiment_name") and found[0].severity.value == "warning"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC140", text) == []


def test_group_file_root_is_the_mlflow_group() -> None:
    rel = "config/mlflow/debug.yaml"
    (f,) = findings_for("TC140", "enabled: true\nexperiment_name: scratch\n", rel)
    assert (f.line, f.column, f.key, f.path) == (2, 18, "experiment_name", rel)
    assert "project-level" in f.message and "${project.name}" in f.message
    assert findings_for("TC140", "experiment_name: ${project.name}\n", rel) == []


def test_other_groups_root_is_not() -> None:
    assert findings_for("TC140", "experiment_name: scratch\n", "config/model/gbm.yaml") == []


def test_outside_hydra_config_is_not_checked() -> None:
    text = "jobs:\n  mlflow:\n    experiment_name: scratch\n"
    assert findings_for("TC140", text, ".github/workflows/train.yaml") == []


def test_policy_names_the_convention() -> None:
    policy = load_policy_text(
        "naming:\n  experiment_name: ['${project.name}', 'shared-${project.name}']\n")
    text = "mlflow:\n  experiment_name: shared-${project.name}\n"
    assert findings_for("TC140", text) != []
    assert findings_for("TC140", text, policy=policy) == []


def test_empty_convention_checks_nothing() -> None:
    policy = load_policy_text("naming:\n  experiment_name: []\n")
    assert findings_for("TC140", "mlflow:\n  experiment_name: scratch\n", policy=policy) == []


def test_severity_from_policy() -> None:
    policy = load_policy_text("rules:\n  TC140: {severity: error}\n")
    (f,) = findings_for("TC140", "mlflow:\n  experiment_name: scratch\n", policy=policy)
    assert f.severity.value == "error"
