"""TC102 server-setting-in-repo: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import findings_for, lint_text
from trackcheck.lint.rules.tc102_server_setting_in_repo import RULE

FAIL = [
    "mlflow:\n  backend_store_uri: sqlite:///mlflow.db\n",
    "mlflow:\n  default_artifact_root: s3://bucket/mlflow\n",
    "server:\n  artifacts_destination: ./mlartifacts\n",
    "mlflow:\n  artifact_root: /mnt/artifacts\n",
    "mlflow:\n  serve_artifacts: true\n",
    "env:\n  MLFLOW_BACKEND_STORE_URI: postgresql://db:5432/mlflow\n",
    "mlflow:\n  backend-store-uri: sqlite:///mlflow.db\n",
    "mlflow:\n  Backend_Store_URI: sqlite:///mlflow.db\n",
    # the setting is the problem, wherever its value comes from
    "mlflow:\n  backend_store_uri: ${oc.env:MLFLOW_BACKEND_STORE_URI}\n",
    "mlflow:\n  default_artifact_root: ${paths.artifacts}\n",
]
PASS = [
    "mlflow:\n  backend_store_uri: null\n",
    "mlflow:\n  backend_store_uri:\n",
    "mlflow:\n  backend_store_uri: ''\n",
    "mlflow:\n  default_artifact_root: ???\n",
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
    "data:\n  root: /mnt/data\n",
    "mlflow:\n  artifact_path: model\n",  # log_model's artifact_path, a client-side name
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    found = findings_for("TC102", text)
    assert len(found) == 1, text
    assert found[0].line == 2


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC102", text) == []


def test_position_key_and_message() -> None:
    (f,) = findings_for("TC102", "project: x\nmlflow:\n  default_artifact_root: s3://b/mlflow\n")
    assert (f.line, f.column, f.key) == (3, 26, "mlflow.default_artifact_root")
    assert "mlflow.default_artifact_root" in f.message and "s3://b" not in f.message


def test_password_in_backend_store_never_printed() -> None:
    text = "mlflow:\n  backend_store_uri: postgresql://mlflow:Sup3rS3cret@db:5432/mlflow\n"
    report = lint_text(text)
    (f,) = [f for f in report.findings if f.rule == "TC102"]
    assert "Sup3rS3cret" not in f.message
    assert any("Sup3rS3cret" in s for s in report.secrets)


def test_other_yaml_is_not_checked() -> None:
    # a docker-compose file for the server itself is where these settings belong
    text = "services:\n  mlflow:\n    environment:\n      MLFLOW_BACKEND_STORE_URI: sqlite:///m.db\n"
    assert findings_for("TC102", text, rel="docker-compose.yml") == []


def test_policy_server_keys_are_used() -> None:
    from trackcheck.policy import load_policy

    policy = replace(load_policy("default")[0], server_keys=["my_store"])
    assert len(findings_for("TC102", "x:\n  my_store: /srv/store\n", policy=policy)) == 1
    assert findings_for("TC102", "x:\n  backend_store_uri: /srv/db\n", policy=policy) == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC102", example)) == 2
    assert findings_for("TC102", use_instead) == []


# SPEC (decisions, deploy files): a server's own settings in the file that runs it are how it is
# deployed; TC102 never applies there, by path or by shape
SERVER_IN_DEPLOY = [
    ("docker-compose.yml",
     "services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow\n    command: >\n"
     "      mlflow server --backend-store-uri postgresql://mlflow@db:5432/mlflow\n"
     "      --default-artifact-root s3://mlflow/artifacts --host 0.0.0.0\n"
     "    environment:\n      - MLFLOW_BACKEND_STORE_URI=postgresql://mlflow@db/mlflow\n"
     "      - MLFLOW_ARTIFACTS_DESTINATION=s3://mlflow/artifacts\n"),
    ("infra/stack.yaml",  # a compose file known by its shape
     "services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow\n    environment:\n"
     "      MLFLOW_DEFAULT_ARTIFACT_ROOT: s3://mlflow/artifacts\n"),
    ("k8s/mlflow.yaml",
     "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
     "        - name: mlflow\n          env:\n            - name: MLFLOW_BACKEND_STORE_URI\n"
     "              value: postgresql://mlflow@db/mlflow\n"),
    ("charts/mlflow/values.yaml", "mlflow:\n  backend_store_uri: postgresql://mlflow@db/mlflow\n"),
]


@pytest.mark.parametrize(("rel", "text"), SERVER_IN_DEPLOY)
def test_deploy_files_are_never_checked(rel: str, text: str) -> None:
    assert findings_for("TC102", text, rel=rel) == []


def test_the_same_settings_in_hydra_config_are() -> None:
    text = "mlflow:\n  backend_store_uri: postgresql://mlflow@db/mlflow\n"
    assert len(findings_for("TC102", text, rel="config/mlflow/server.yaml")) == 1
