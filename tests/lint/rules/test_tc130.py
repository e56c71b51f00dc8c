"""TC130 unknown-alias: PASS/FAIL tables."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import codes, findings_for
from trackcheck.lint.rules.tc130_unknown_alias import RULE

FAIL = [
    "deploy:\n  model_uri: models:/churn@champion\n",
    "deploy:\n  model_uri: models:/churn@Prod\n",  # aliases are case-sensitive
    "deploy:\n  model_uri: models:/${model.name}@production\n",
    "serve:\n  cmd: mlflow models serve -m models:/churn@blue --port 5000\n",
    "deploy:\n  model_uri: ${oc.env:MODEL_URI,models:/churn@canary}\n",
    "deploy:\n  models: [models:/a@prod, models:/b@shadow]\n",
    "mlflow:\n  register:\n    alias: production\n",
    "mlflow:\n  register:\n    aliases: [dev, nightly]\n",
    "deploy:\n  alias: Staging\n",
    "serving:\n  model_name: churn\n  alias: blue\n",
    "model:\n  registered_model_name: churn\n  alias: green\n",
    "mlflow:\n  tags:\n    lifecycle_intent: experiment\n",
    "train:\n  lifecycle_intent: candidate\n",
]
PASS = [
    "deploy:\n  model_uri: models:/churn@prod\n",
    "deploy:\n  model_uri: models:/churn@${oc.env:DEPLOY_ALIAS}\n",
    "deploy:\n  model_uri: models:/churn@${deploy.alias}\n",
    "deploy:\n  model_uri: models:/churn/3\n",  # TC131's
    "mlflow:\n  register:\n    alias: dev\n",
    "mlflow:\n  register:\n    alias: null\n",
    "mlflow:\n  register:\n    alias: ''\n",
    "mlflow:\n  register:\n    alias: ???\n",
    "mlflow:\n  register:\n    alias: ${oc.env:ALIAS}\n",
    "mlflow:\n  tags:\n    lifecycle_intent: staging\n",
    # `alias` outside registry context names something else
    "model:\n  backbone:\n    alias: resnet50\n",
    "loss:\n  alias: ce\n",
    "docs:\n  note: see mymodels:/x@foo\n",
    # invalid names are TC134's only
    "deploy:\n  model_uri: models:/churn@latest\n",
    "mlflow:\n  register:\n    alias: my alias\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    assert len(findings_for("TC130", text)) == 1, text


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC130", text) == []


def test_case_sensitivity_is_named() -> None:
    (f,) = findings_for("TC130", "deploy:\n  model_uri: models:/churn@Prod\n")
    assert "'Prod'" in f.message and "did you mean 'prod'?" in f.message
    assert "case-sensitive" in f.message
    assert (f.line, f.column, f.key) == (2, 14, "deploy.model_uri")


def test_near_miss_is_suggested() -> None:
    (f,) = findings_for("TC130", "mlflow:\n  register:\n    alias: stagng\n")
    assert "did you mean 'staging'?" in f.message and "registration alias" in f.message


def test_two_uris_in_one_string_are_two_findings() -> None:
    found = findings_for("TC130", "deploy:\n  a: models:/x@blue models:/y@green\n")
    assert len(found) == 2 and found[0].fingerprint != found[1].fingerprint


def test_policy_allowed_and_case_insensitive_policy() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, aliases=replace(base.aliases, allowed=["champion"],
                                           case_sensitive=False))
    assert findings_for("TC130", "deploy:\n  uri: models:/m@Champion\n", policy=policy) == []
    assert len(findings_for("TC130", "deploy:\n  uri: models:/m@prod\n", policy=policy)) == 1


def test_not_hydra_yaml() -> None:
    text = "env:\n  MODEL: models:/m@blue\n"
    assert findings_for("TC130", text, rel=".github/workflows/d.yml") == []


def test_training_promotion_with_unknown_alias_is_reported_once() -> None:
    assert codes("mlflow:\n  register:\n    alias: Prod\n", select=("TC13",)) == ["TC130"]


def test_aliases_through_yaml_anchors_and_merges() -> None:
    text = "defaults_reg: &reg\n  alias: blue\nmlflow:\n  register:\n    <<: *reg\n"
    (f,) = findings_for("TC130", text)
    assert (f.key, f.line) == ("mlflow.register.alias", 2)
    text = "deploy: &d\n  alias: blue\nserving: *d\n"
    assert [f.key for f in findings_for("TC130", text)] == ["deploy.alias"]


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["${oc.env:ALIAS}", "${oc.env:ALIAS,blue}", "${deploy.alias}",
                        "${oc.select:deploy.alias,blue}", "x${oc.env:A}"]),
       st.sampled_from(["deploy:\n  model_uri: 'models:/m@{v}'\n",
                        "mlflow:\n  register:\n    alias: '{v}'\n",
                        "mlflow:\n  tags:\n    lifecycle_intent: '{v}'\n"]))
def test_interpolated_aliases_are_never_judged(value: str, template: str) -> None:
    text = template.replace("{v}", value)
    assert codes(text, select=("TC13", "TC122")) == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC130", example)) == 1
    assert findings_for("TC130", use_instead) == []
