"""TC150 mlflow-schema: PASS/FAIL tables for types, typos and strict_schema."""

import tempfile
from pathlib import Path

import pytest

from tests.conftest import findings_for, lint_text
from trackcheck.lint.rules.tc150_mlflow_schema import typo_of
from trackcheck.policy import Policy, load_policy


def load_policy_text(text: str) -> Policy:
    """A team policy file (layered over the default) with ``text`` in it."""
    path = Path(tempfile.mkdtemp(prefix="tc-policy-")) / "trackcheck.yaml"
    path.write_text(text, "utf-8")
    return load_policy(path)[0]


def block(body: str) -> str:
    return "mlflow:\n" + "".join(f"  {line}\n" for line in body.splitlines())


WRONG_TYPE = [
    ('enabled: "yes"', "mlflow.enabled", "bool"),
    ("enabled: 1", "mlflow.enabled", "bool"),
    ("enabled: null", "mlflow.enabled", "bool"),  # a switch is on or off
    ("log_models: 'false'", "mlflow.log_models", "bool"),
    ("log_datasets: on-${x}", "mlflow.log_datasets", "bool"),  # text around it: a string
    ("tags: [project, env]", "mlflow.tags", "mapping"),
    ("tags: none", "mlflow.tags", "mapping"),
    ("register: true", "mlflow.register", "mapping"),
    ("register:\n  enabled: 'true'", "mlflow.register.enabled", "bool"),
    ("register:\n  alias: [dev]", "mlflow.register.alias", "str"),
    ("experiment_name:\n  name: x", "mlflow.experiment_name", "str"),
    ("run_name: 42", "mlflow.run_name", "str"),
    ("defaults: mlflow", "mlflow.defaults", "list"),
]
TYPO = [
    ("experment_name: ${project.name}", "mlflow.experment_name", "experiment_name"),
    ("expriment_name: ${project.name}", "mlflow.expriment_name", "experiment_name"),
    ("tag: {env: dev}", "mlflow.tag", "tags"),
    ("log_model: true", "mlflow.log_model", "log_models"),
    ("Enabled: true", "mlflow.Enabled", "enabled"),
    ("regsiter: {alias: dev}", "mlflow.regsiter", "register"),
    ("tracking_url: ${oc.env:MLFLOW_TRACKING_URI}", "mlflow.tracking_url", "tracking_uri"),
    ("runname: ${model.name}", "mlflow.runname", "run_name"),
    ("register:\n  model_nme: churn", "mlflow.register.model_nme", "model_name"),
    ("register:\n  enable: true", "mlflow.register.enable", "enabled"),
]
PASS = [
    # the full default schema, as the example config writes it
    "defaults: []\nenabled: true\ntracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\nregistry_uri: null\n"
    "experiment_name: ${project.name}\nrun_name: ${model.name}\ntags:\n  env: dev\n"
    "register:\n  enabled: false\n  model_name: ${project.name}\n  alias: dev\n"
    "log_models: true\nlog_datasets: false\nlog_artifacts: true",
    "tags: null",  # no tags
    "tags:",
    "tags: ${base.tags}",  # a lone interpolation may be any type
    "enabled: ${oc.env:MLFLOW_ENABLED,true}",
    "enabled: ???",
    "register: ???",
    "register: null",
    "run_name: ${model.name}-${data.name}",  # a string built by interpolation is a string
    "run_name: null",
    "tracking_uri: ${oc.env:MLFLOW_TRACKING_URI",  # broken interpolation: TC002's
    # unknown keys that are other words, not typos: reported only with strict_schema
    "name: churn",
    "experiment_id: '3'",
    "experiment_tags: {team: ml}",
    "nested: true",
    "log_system_metrics: true",
    "alias: dev",
    "description: nightly training",
    "register:\n  description: churn model",
    # keys other rules own
    "backend_store_uri: sqlite:///mlflow.db",
    "default_artifact_root: s3://bucket/artifacts",
    "stage: Production",
    "register:\n  stage: Staging",
]


@pytest.mark.parametrize(("body", "key", "want"), WRONG_TYPE)
def test_wrong_type(body: str, key: str, want: str) -> None:
    found = findings_for("TC150", block(body))
    assert [f.key for f in found] == [key], body
    assert f"must be a {want}" in found[0].message
    assert found[0].severity.value == "warning"


@pytest.mark.parametrize(("body", "key", "guess"), TYPO)
def test_typo(body: str, key: str, guess: str) -> None:
    found = findings_for("TC150", block(body))
    assert [f.key for f in found] == [key], body
    assert f"did you mean '{guess}'?" in found[0].message


@pytest.mark.parametrize("body", PASS)
def test_passes(body: str) -> None:
    assert findings_for("TC150", block(body)) == []


@pytest.mark.parametrize("name", [
    "name", "experiment_id", "experiment_tags", "nested", "alias", "description",
    "log_system_metrics", "run_id", "artifact_location",
])
def test_strict_schema_reports_every_unknown_key(name: str) -> None:
    strict = load_policy_text("mlflow:\n  strict_schema: true\n")
    text = block(f"{name}: x")
    assert findings_for("TC150", text) == []
    (f,) = findings_for("TC150", text, policy=strict)
    assert f.key == f"mlflow.{name}" and "strict_schema" in f.message


def test_strict_builtin_policy() -> None:
    strict = load_policy("strict")[0]
    (f,) = findings_for("TC150", block("nested: true"), policy=strict)
    assert f.severity.value == "error"
    owned = block("stage: Production\nbackend_store_uri: x")
    assert findings_for("TC150", owned, policy=strict) == []
    (t,) = findings_for("TC150", block("experment_name: x"), policy=strict)
    assert "did you mean 'experiment_name'?" in t.message


def test_group_file_root_and_position() -> None:
    text = "# the debug option\nenabled: true\nexperment_name: ${project.name}\nlog_models: 'no'\n"
    found = findings_for("TC150", text, "config/mlflow/debug.yaml")
    assert [(f.line, f.column, f.key) for f in found] == [
        (3, 1, "experment_name"), (4, 13, "log_models")]


def test_mapping_of_wrong_type_is_reported_at_its_key() -> None:
    (f,) = findings_for("TC150", "mlflow:\n  tags:\n    - env\n")
    assert (f.line, f.column) == (2, 3)


def test_any_mlflow_block_elsewhere() -> None:
    text = "# @package _global_\nexperiment:\n  mlflow:\n    log_model: true\n"
    (f,) = findings_for("TC150", text, "config/experiment/fast.yaml")
    assert f.key == "experiment.mlflow.log_model"


def test_not_the_mlflow_group() -> None:
    text = "enabled: 'yes'\nexperment_name: x\n"
    assert findings_for("TC150", text, "config/model/gbm.yaml") == []
    text = "defaults:\n  - mlflow: default\n  - _self_\nmlflow_enabled: 'x'\n"
    assert findings_for("TC150", text) == []
    assert findings_for("TC150", "trainer:\n  mlflow: true\n") == []


def test_hydra_instantiated_object_is_not_the_group() -> None:
    text = ("logger:\n  mlflow:\n    _target_: lightning.pytorch.loggers.MLFlowLogger\n"
            "    log_model: true\n")
    assert findings_for("TC150", text) == []


def test_outside_hydra_config() -> None:
    text = "services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow\n    enabled: 'yes'\n"
    assert findings_for("TC150", text, "docker-compose.yaml") == []


def test_policy_schema_is_used() -> None:
    policy = load_policy_text("mlflow:\n  keys:\n    autolog: bool\n")
    assert findings_for("TC150", block("autolog: 'yes'")) == []
    (f,) = findings_for("TC150", block("autolog: 'yes'"), policy=policy)
    assert "must be a bool" in f.message
    (t,) = findings_for("TC150", block("autologg: true"), policy=policy)
    assert "did you mean 'autolog'?" in t.message


def test_value_never_in_the_message() -> None:
    body = "tracking_uir: https://ml:s3cretpassw0rd@mlflow.example.com\nenabled: 's3cret'"
    report = lint_text(block(body))
    found = [f for f in report.findings if f.rule == "TC150"]
    assert len(found) == 2
    assert all("s3cret" not in f.message for f in found)


def test_fingerprint_of_a_typo_survives_line_moves() -> None:
    (a,) = findings_for("TC150", block("experment_name: x"))
    (b,) = findings_for("TC150", "# header\n" + block("enabled: true\nexperment_name: y"))
    assert a.fingerprint == b.fingerprint


@pytest.mark.parametrize(("name", "guess"), [
    ("experment_name", "experiment_name"), ("tgas", "tags"), ("log_artifact", "log_artifacts"),
    ("name", None), ("experiment_id", None), ("experiment", None), ("run", None), ("x" * 500, None),
    ("registered", None), ("tracking", None),
])
def test_typo_of(name: str, guess: str | None) -> None:
    known = ["enabled", "tracking_uri", "registry_uri", "experiment_name", "run_name", "tags",
             "register", "log_models", "log_datasets", "log_artifacts", "defaults"]
    assert typo_of(name, known) == guess
