"""TC101 tracking-uri-literal: PASS/FAIL tables."""

import pytest

from tests.conftest import findings_for

FAIL = [
    "mlflow:\n  tracking_uri: https://mlflow.example.com\n",
    "mlflow:\n  tracking_uri: databricks\n",
    "mlflow:\n  registry_uri: databricks-uc\n",
    "mlflow:\n  tracking_uri: file:./mlruns\n",
    "mlflow:\n  tracking_uri: /mnt/shared/mlruns\n",
    "mlflow:\n  tracking_uri: ${paths.root}/mlruns\n",
    "mlflow:\n  tracking_uri: http://${oc.env:HOST}:5000\n",
    "MLFLOW_TRACKING_URI: http://10.0.0.5:5000\n",
    # the names real projects use, matched by words
    "mlflow_tracking_uri: http://10.0.0.5:5000\n",
    "cfg:\n  mlflow_uri: https://mlflow.example.com\n",
    "paths:\n  mlflow_uri: ${paths.log_dir}/mlflow/mlruns\n",  # where a reference leads
    "server_uri: https://mlflow.example.com\n",
    "remote_server_uri: https://mlflow.example.com\n",
    "mlflow:\n  tracking-uri: https://mlflow.example.com\n",
    "mlflow:\n  trackingUri: https://mlflow.example.com\n",
    "mlflow:\n  uri: https://mlflow.example.com\n",  # `uri` inside an mlflow block
    "mlflow: {uri: 'file:./mlruns'}\n",
    "mlflow.tracking_uri: https://mlflow.example.com\n",  # a dotted key written as one
    "mlflow:\n  model_registry_uri: databricks-uc\n",
    # lightning-hydra-template's logger config
    "mlflow:\n  _target_: lightning.pytorch.loggers.mlflow.MLFlowLogger\n"
    "  tracking_uri: ${paths.log_dir}/mlflow/mlruns\n  tags: null\n",
]
PASS = [
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
    "mlflow:\n  tracking_uri: null\n",
    "mlflow:\n  tracking_uri: ???\n",
    "mlflow:\n  tracking_uri:\n",
    "mlflow:\n  tracking_uri: ${paths.mlflow_uri}\n",
    "mlflow:\n  registry_uri: ${mlflow.tracking_uri}\n",
    "mlflow:\n  experiment_uri_note: https://example.com\n",
    # URI keys that are not where runs go
    "mlflow:\n  artifact_uri: s3://bucket/mlflow\n",
    "data:\n  uri: s3://bucket/data\n  data_uri: s3://bucket/x\n",
    "deploy:\n  model_uri: models:/churn@prod\n",
    "api:\n  base_uri: https://api.example.com\n",
    "cache:\n  redis_server_uri: redis://cache:6379\n",
    "logger:\n  uri: https://wandb.example.com\n",
    # a template's fill-in, not a pinned server
    "mlflow:\n  tracking_uri: <your-tracking-uri>\n",
    "mlflow:\n  tracking_uri: changeme\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    found = findings_for("TC101", text)
    assert len(found) == 1, text
    assert found[0].line is not None and found[0].key.endswith(
        ("tracking_uri", "registry_uri", "URI", "_uri", "-uri", "Uri", ".uri")
    )


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC101", text) == []


def test_env_default_is_left_to_tc104() -> None:
    assert (
        findings_for(
            "TC101", "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,http://x:5000}\n"
        )
        == []
    )


def test_position_and_key() -> None:
    (f,) = findings_for(
        "TC101", "project: x\nmlflow:\n  tracking_uri: https://mlflow.example.com\n"
    )
    assert (f.line, f.column, f.key, f.path) == (
        3,
        17,
        "mlflow.tracking_uri",
        "config/snippet.yaml",
    )


@pytest.mark.parametrize(
    "value",
    ["${{ secrets.MLFLOW_TRACKING_URI }}", "${MLFLOW_TRACKING_URI}", "$MLFLOW_TRACKING_URI",
     "https://mlflow.example.com", "http://mlflow:5000", "http://0.0.0.0:5000"],
)
def test_deploy_files_provide_the_environment(value: str) -> None:
    """SPEC (decisions, deploy files): TC101 never applies to CI workflows, compose files and
    manifests, whatever the value; the same key in other YAML is still checked."""
    text = f"jobs:\n  train:\n    env:\n      MLFLOW_TRACKING_URI: '{value}'\n"
    assert findings_for("TC101", text, ".github/workflows/train.yaml") == []
    compose = f"services:\n  t:\n    environment:\n      - MLFLOW_TRACKING_URI={value}\n"
    assert findings_for("TC101", compose, "docker-compose.yml") == []
    assert findings_for("TC101", compose, "ops/stack.yml") == []  # a compose file by its shape
    literal = "env:\n  MLFLOW_TRACKING_URI: https://mlflow.example.com\n"
    assert len(findings_for("TC101", literal, "settings/train.yml")) == 1


# an alias is judged where it is used, and reported there once
ALIAS_FAIL = [
    ("_common: &uri http://mlflow.corp:5000\nmlflow:\n  tracking_uri: *uri\n",
     "mlflow.tracking_uri", 3, 17),
    ("a: &u databricks\nb: {x: 1}\nmlflow: {registry_uri: *u}\n", "mlflow.registry_uri", 3, 24),
    ("hosts: [&h 'https://m.example.com']\nlogger:\n  mlflow:\n    tracking_uri:   *h\n",
     "logger.mlflow.tracking_uri", 4, 21),
]


@pytest.mark.parametrize(("text", "key", "line", "column"), ALIAS_FAIL)
def test_alias_is_judged_where_used(text: str, key: str, line: int, column: int) -> None:
    (f,) = findings_for("TC101", text)
    assert (f.key, f.line, f.column) == (key, line, column)


@pytest.mark.parametrize("text", [
    "_env: &uri ${oc.env:MLFLOW_TRACKING_URI}\nmlflow:\n  tracking_uri: *uri\n",
    "_none: &n null\nmlflow:\n  tracking_uri: *n\n",
    "_common: &uri http://mlflow.corp:5000\nservice:\n  endpoint: *uri\n",
])
def test_alias_passes(text: str) -> None:
    assert findings_for("TC101", text) == []


def test_alias_on_a_uri_key_is_reported_at_each_uri_key() -> None:
    text = "mlflow:\n  tracking_uri: &u https://m.example.com\n  registry_uri: *u\n"
    assert [(f.key, f.line) for f in findings_for("TC101", text)] == [
        ("mlflow.tracking_uri", 2), ("mlflow.registry_uri", 3)]


def test_uri_key_in_a_config_group_file() -> None:
    # config/mlflow/remote.yaml is the `mlflow` package: its top-level `uri` is `mlflow.uri`
    (f,) = findings_for("TC101", "uri: https://mlflow.example.com\n", "config/mlflow/remote.yaml")
    assert f.key == "uri"
    assert findings_for("TC101", "uri: s3://bucket/x\n", "config/data/remote.yaml") == []
