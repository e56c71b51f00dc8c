"""TC132 training-promotes: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import codes, findings_for
from trackcheck.lint.rules.tc132_training_promotes import RULE

# (file, text)
FAIL = [
    ("config/mlflow/default.yaml", "register:\n  enabled: true\n  alias: prod\n"),
    ("config/mlflow/default.yaml", "register:\n  aliases: [staging, archived]\n"),
    ("config/train.yaml", "mlflow:\n  register:\n    alias: prod\n"),
    ("config/mlflow/default.yaml", "tags:\n  lifecycle_intent: prod\n"),
    ("config/experiment/a.yaml",
     "# @package _global_\nmlflow:\n  tags:\n    lifecycle_intent: archived\n"),
    ("conf/train.yaml", "mlflow:\n  tags:\n    lifecycle_intent: prod\n"),
    ("config/register/default.yaml", "model_name: churn\nalias: prod\n"),
]
PASS = [
    ("config/mlflow/default.yaml", "register:\n  alias: staging\n"),
    ("config/mlflow/default.yaml", "register:\n  alias: dev\n"),
    ("config/mlflow/default.yaml", "tags:\n  lifecycle_intent: staging\n"),
    ("config/mlflow/default.yaml", "register:\n  alias: ${oc.env:REGISTER_ALIAS}\n"),
    # reading a prod model (fine-tuning from it) is a reference, not a declaration
    ("config/model/ft.yaml", "base_model_uri: models:/churn@prod\n"),
    ("config/mlflow/default.yaml", "evaluate:\n  baseline:\n    alias: prod\n    model_name: m\n"),
    # deployment config is where prod belongs
    ("config/deploy/prod.yaml", "register:\n  alias: prod\n"),
    ("config/train.yaml", "deploy:\n  register:\n    alias: prod\n"),
    ("config/deploy/prod.yaml",
     "# @package _global_\nmlflow:\n  tags:\n    lifecycle_intent: prod\n"),
    # not training config (outside training_paths)
    ("ops/promote.yaml", "mlflow:\n  register:\n    alias: prod\n"),
]


@pytest.mark.parametrize(("rel", "text"), FAIL)
def test_flags(rel: str, text: str) -> None:
    assert len(findings_for("TC132", text, rel=rel)) == 1, text


@pytest.mark.parametrize(("rel", "text"), PASS)
def test_passes(rel: str, text: str) -> None:
    assert findings_for("TC132", text, rel=rel) == []


def test_message_and_position() -> None:
    (f,) = findings_for("TC132", "register:\n  enabled: true\n  alias: prod\n",
                        rel="config/mlflow/default.yaml")
    assert (f.line, f.column, f.key) == (3, 10, "register.alias")
    assert "'prod'" in f.message and "outside training" in f.message and "dev, staging" in f.message


def test_lifecycle_intent_prod_is_reported_once() -> None:
    text = "mlflow:\n  tags:\n    lifecycle_intent: prod\n"
    assert codes(text, select=("TC122", "TC13")) == ["TC132"]


def test_policy_training_may_declare() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, aliases=replace(base.aliases,
                                           training_may_declare=["dev", "staging", "prod"]))
    text = "mlflow:\n  register:\n    alias: prod\n"
    assert findings_for("TC132", text, policy=policy) == []
    policy = replace(base, training_paths=["train/**"], config_roots=["config", "train"])
    assert findings_for("TC132", text, policy=policy) == []
    assert len(findings_for("TC132", text, rel="train/x.yaml", policy=policy)) == 1


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC132", example)) == 1
    assert findings_for("TC132", use_instead) == []
