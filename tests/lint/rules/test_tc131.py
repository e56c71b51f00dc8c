"""TC131 model-uri-not-alias: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import codes, findings_for
from trackcheck.lint.rules.tc131_model_uri_not_alias import RULE

# (file, text): versions, stages and `latest` everywhere; runs and logged-model ids in deploy config
FAIL = [
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn/Production\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn/production\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn/7\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn/latest\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn/${oc.env:MODEL_VERSION}\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: ${oc.env:MODEL_URI,models:/churn/Staging}\n"),
    ("config/snippet.yaml", "serve:\n  cmd: mlflow models serve -m models:/churn/3 -p 5001\n"),
    ("config/model/ft.yaml", "base_model_uri: models:/base/3\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: runs:/0a1b2c3d/model\n"),
    ("config/deploy/prod.yaml", "model_uri: runs:/0a1b2c3d/model\n"),
    ("config/deploy/prod.yaml", "# @package _global_\nserving:\n  uri: runs:/0a1b2c3d/model\n"),
    ("config/deploy/prod.yaml", "model_uri: models:/m-074689226d3b40bfbbdf4c3ff35832cd\n"),
]
PASS = [
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/churn@prod\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/${model.name}@${oc.env:ALIAS}\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: ${oc.env:MODEL_URI}\n"),
    ("config/snippet.yaml", "deploy:\n  model_uri: models:/${deploy.model_ref}\n"),
    ("config/deploy/prod.yaml", "model_uri: models:/churn@prod\n"),
    # training may read a run's artifacts or a logged model (evaluation, fine-tuning)
    ("config/snippet.yaml", "evaluate:\n  model_uri: runs:/0a1b2c3d/model\n"),
    ("config/model/ft.yaml", "init_from: models:/m-074689226d3b40bfbbdf4c3ff35832cd\n"),
    ("config/snippet.yaml", "notes: see mymodels:/x/3 and https://models.example.com/a/7\n"),
    ("config/deploy/prod.yaml", "model_uri: models:/\n"),  # not a model URI at all
]


@pytest.mark.parametrize(("rel", "text"), FAIL)
def test_flags(rel: str, text: str) -> None:
    assert len(findings_for("TC131", text, rel=rel)) == 1, text


@pytest.mark.parametrize(("rel", "text"), PASS)
def test_passes(rel: str, text: str) -> None:
    assert findings_for("TC131", text, rel=rel) == []


@pytest.mark.parametrize(("uri", "suggested"), [
    ("models:/churn/Production", "models:/churn@prod"),
    ("models:/churn/STAGING", "models:/churn@staging"),
    ("models:/churn/Archived", "models:/churn@archived"),
    ("models:/churn/7", "models:/churn@<alias>"),
    ("models:/churn/latest", "models:/churn@<alias>"),
    ("runs:/abc/model", "models:/<name>@<alias>"),
])
def test_suggestion(uri: str, suggested: str) -> None:
    (f,) = findings_for("TC131", f"deploy:\n  model_uri: {uri}\n")
    assert f.message.endswith(f"use {suggested}") and "deploy.model_uri" in f.message
    assert (f.line, f.column) == (2, 14)


def test_stage_uri_is_not_also_a_stage_finding() -> None:
    text = "mlflow:\n  register:\n    stage: models:/churn/Production\n"
    assert codes(text, select=("TC13",)) == ["TC131"]


def test_two_references_in_one_string() -> None:
    found = findings_for("TC131", "deploy:\n  cmd: cmp models:/a/1 models:/b/Production\n")
    assert len(found) == 2 and found[0].fingerprint != found[1].fingerprint


def test_policy_stage_to_alias() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, aliases=replace(base.aliases,
                                           stage_to_alias={"Production": "champion"}))
    (f,) = findings_for("TC131", "deploy:\n  uri: models:/m/Production\n", policy=policy)
    assert f.message.endswith("use models:/m@champion")


def test_not_hydra_yaml() -> None:
    text = "env:\n  MODEL_URI: models:/churn/Production\n"
    assert findings_for("TC131", text, rel=".github/workflows/deploy.yml") == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC131", example)) == 1
    assert findings_for("TC131", use_instead) == []
