"""TC120 unknown-run-tag: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import findings_for
from trackcheck.lint.rules.tc120_unknown_run_tag import RULE

FAIL = [
    "mlflow:\n  tags:\n    owner: alice\n",
    "mlflow:\n  tags:\n    project: p\n    model: resnet\n",
    "mlflow:\n  tags:\n    Env: dev\n",  # tag keys are case-sensitive in MLflow
    "mlflow:\n  tags: {project: p, team: ml}\n",
    "mlflow:\n  tags:\n    mlflow: {note: x}\n",  # a nested mapping is not an MLflow system tag
]
PASS = [
    "mlflow:\n  tags:\n    project: p\n    env: dev\n    model_name: m\n    data_name: d\n"
    "    debug: false\n    lifecycle_intent: dev\n",
    "mlflow:\n  tags:\n    project: p\n    mlflow.note.content: a note\n    mlflow.runName: r\n",
    "mlflow:\n  tags: null\n",
    "mlflow:\n  tags: {}\n",
    "mlflow:\n  tags: ${oc.create:${tag_defaults}}\n",
    "model:\n  owner: alice\n",
    "mlflow:\n  experiment_name: x\n  owner_tag: alice\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    assert len(findings_for("TC120", text)) == 1, text


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC120", text) == []


def test_reported_at_the_tag_key() -> None:
    (f,) = findings_for("TC120", "mlflow:\n  tags:\n    project: p\n    owner: alice\n")
    assert (f.line, f.column, f.key) == (4, 5, "mlflow.tags.owner")
    assert "'owner'" in f.message and "mlflow.tags" in f.message


def test_case_only_difference_is_named() -> None:
    (f,) = findings_for("TC120", "mlflow:\n  tags:\n    Model_Name: m\n")
    assert "did you mean 'model_name'" in f.message and "case-sensitive" in f.message


def test_near_miss_is_suggested() -> None:
    (f,) = findings_for("TC120", "mlflow:\n  tags:\n    modelname: m\n")
    assert "did you mean 'model_name'" in f.message


def test_mlflow_group_file_top_level_tags() -> None:
    # config/mlflow/*.yaml is package `mlflow`: its top-level `tags:` is mlflow.tags
    (f,) = findings_for("TC120", "tags:\n  owner: alice\n", rel="config/mlflow/default.yaml")
    assert f.key == "tags.owner" and f.path == "config/mlflow/default.yaml"


def test_package_header_moves_the_block() -> None:
    text = "# @package _global_\nmlflow:\n  tags:\n    owner: alice\n"
    assert len(findings_for("TC120", text, rel="config/experiment/x.yaml")) == 1

def test_blocks_come_from_the_policy() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    any_tags = replace(base, run_tags=replace(base.run_tags, blocks=["mlflow.tags", "tags"]))
    text = "# @package model\ntags:\n  owner: alice\n"
    # the default takes only mlflow.tags: a model's own `tags` mapping is not run tags
    assert findings_for("TC120", text, rel="config/mlflow/x.yaml") == []
    # a policy that adds a trailing `tags` block (e.g. a logger's tags) takes it as run tags
    assert len(findings_for("TC120", text, rel="config/mlflow/x.yaml", policy=any_tags)) == 1
    assert len(findings_for("TC120", "tags:\n  owner: a\n", rel="config/mlflow/x.yaml")) == 1


def test_not_hydra_yaml() -> None:
    text = "mlflow:\n  tags:\n    owner: alice\n"
    assert findings_for("TC120", text, rel=".github/workflows/ci.yml") == []


def test_policy_allowed_list() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, run_tags=replace(base.run_tags, allowed=["project", "owner"]))
    assert findings_for("TC120", "mlflow:\n  tags:\n    owner: a\n", policy=policy) == []
    assert len(findings_for("TC120", "mlflow:\n  tags:\n    env: dev\n", policy=policy)) == 1


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC120", example)) == 1
    assert findings_for("TC120", use_instead) == []
