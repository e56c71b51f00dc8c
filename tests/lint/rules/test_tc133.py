"""TC133 deprecated-stage: PASS/FAIL tables."""

import pytest

from tests.conftest import findings_for
from trackcheck.lint.rules.tc133_deprecated_stage import RULE

FAIL = [
    "mlflow:\n  register:\n    stage: Production\n",
    "mlflow:\n  register:\n    stage: staging\n",
    "mlflow:\n  register:\n    stage: ARCHIVED\n",
    "mlflow:\n  register:\n    stage: None\n",  # YAML text, not null: the stage named None
    "mlflow:\n  stage: Production\n",
    "deploy:\n  stage: Production\n",
    "serving:\n  target_stage: Staging\n",
    "registry:\n  promote_stage: Production\n",
    "train:\n  model_stage: Production\n",
    "promotion:\n  registry_stage: Staging\n",
    "mlflow:\n  register:\n    transition_stage: Production\n",
    "promote:\n  archive_existing_versions: true\n",
    "promote:\n  archive_existing_versions: false\n",
    "promote:\n  transition_model_version_stage: ${oc.env:STAGE}\n",
    "promote:\n  stage_transition: Staging\n",
]
PASS = [
    "pipeline:\n  stage: train\n",
    "trainer:\n  stage: fit\n",
    "env:\n  stage: staging\n",  # an environment name, not a registry stage
    "data:\n  split_stage: production\n",
    "mlflow:\n  register:\n    stage: null\n",
    "mlflow:\n  register:\n    stage: ???\n",
    "mlflow:\n  register:\n    stage: ${oc.env:STAGE}\n",
    "mlflow:\n  register:\n    alias: staging\n",
    "promote:\n  archive_existing_versions: null\n",
    "deploy:\n  model_uri: models:/churn/Production\n",  # TC131's
    "mlflow:\n  register:\n    stage: candidate\n",  # not a registry stage name
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    assert len(findings_for("TC133", text)) == 1, text


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC133", text) == []


def test_message_names_the_alias_to_use() -> None:
    (f,) = findings_for("TC133", "mlflow:\n  register:\n    stage: Production\n")
    assert (f.line, f.column, f.key) == (3, 12, "mlflow.register.stage")
    assert "deprecated" in f.message and "use the alias 'prod'" in f.message
    (f,) = findings_for("TC133", "mlflow:\n  register:\n    stage: None\n")
    assert "remove it" in f.message


def test_transition_message() -> None:
    (f,) = findings_for("TC133", "promote:\n  archive_existing_versions: true\n")
    assert "stage transition setting 'promote.archive_existing_versions'" in f.message


def test_mlflow_group_file() -> None:
    assert len(findings_for("TC133", "register:\n  stage: Production\n",
                            rel="config/mlflow/default.yaml")) == 1
    assert len(findings_for("TC133", "stage: Staging\n", rel="config/deploy/prod.yaml")) == 1


def test_not_hydra_yaml() -> None:
    text = "mlflow:\n  register:\n    stage: Production\n"
    assert findings_for("TC133", text, rel=".github/workflows/promote.yml") == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC133", example)) == 1
    assert findings_for("TC133", use_instead) == []
