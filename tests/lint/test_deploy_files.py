"""Deploy files (compose, Kubernetes, CI): the environment they provide is not a leak, a literal
secret in them is (SPEC, decisions for issues 6-10: deploy files)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_secret_hidden, lint_text
from trackcheck.detect.redact import scrub_report
from trackcheck.reporters import REPORTERS

# an MLflow stack as docker-compose files write it: postgres + minio + the tracking server and a
# trainer; environment in both the list and the mapping form; one literal secret planted (line 11)
COMPOSE = """\
name: mlflow-stack
x-aws: &aws
  AWS_ACCESS_KEY_ID: ${MINIO_ROOT_USER:-minio}
  AWS_SECRET_ACCESS_KEY: ${MINIO_ROOT_PASSWORD:?set it in .env}
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=mlflow
      - POSTGRES_DB=mlflow
      - POSTGRES_PASSWORD=mlflow
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "mlflow"]
    volumes:
      - pgdata:/var/lib/postgresql/data
  minio:
    image: minio/minio:latest
    command: server /data --console-address ":9001"
    environment:
      MINIO_ROOT_USER: ${MINIO_ROOT_USER:-minio}
      MINIO_ROOT_PASSWORD: ${MINIO_ROOT_PASSWORD:?set it in .env}
  mlflow:
    image: ghcr.io/mlflow/mlflow:v2.14.1
    depends_on: [db, minio]
    ports: ["5000:5000"]
    command: >
      mlflow server --host 0.0.0.0 --port 5000
      --backend-store-uri postgresql://mlflow:${POSTGRES_PASSWORD}@db:5432/mlflow
      --artifacts-destination s3://mlflow/artifacts --serve-artifacts
    environment:
      <<: *aws
      MLFLOW_TRACKING_URI: http://0.0.0.0:5000
      MLFLOW_S3_ENDPOINT_URL: http://minio:9000
      MLFLOW_BACKEND_STORE_URI: postgresql://mlflow@db:5432/mlflow
  trainer:
    build: .
    command: python train.py experiment=churn mlflow.tracking_uri=http://mlflow:5000
    environment:
      - MLFLOW_TRACKING_URI=http://mlflow:5000
      - MLFLOW_TRACKING_USERNAME=trainer
      - "MLFLOW_TRACKING_PASSWORD=${MLFLOW_TRACKING_PASSWORD}"
      - HF_HOME=/cache/hf
volumes:
  pgdata: {}
"""

# a training Deployment and its Service: env entries from a secretKeyRef, a literal password
# (line 29) and the cluster's tracking server
LITERAL = "Pg-s3cr3t-2024!"
MANIFEST = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: trainer
  namespace: ml
spec:
  replicas: 1
  selector:
    matchLabels: {{app: trainer}}
  template:
    metadata:
      labels: {{app: trainer}}
    spec:
      containers:
        - name: trainer
          image: registry.example.com/ml/trainer:1.4.0
          args: ["python", "train.py", "experiment=churn"]
          env:
            - name: MLFLOW_TRACKING_URI
              value: http://mlflow.mlflow.svc:5000
            - name: MLFLOW_TRACKING_USERNAME
              value: trainer
            - name: MLFLOW_TRACKING_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: mlflow-auth
                  key: password
            - name: DB_PASSWORD
              value: "{LITERAL}"
            - name: DB_HOST
              value: postgres.ml.svc
---
apiVersion: v1
kind: Service
metadata:
  name: trainer
spec:
  selector: {{app: trainer}}
  ports: [{{port: 8080}}]
"""

WORKFLOW = """\
on: [pull_request]
jobs:
  train:
    runs-on: ubuntu-latest
    env:
      MLFLOW_TRACKING_URI: https://mlflow.example.com
      MLFLOW_TRACKING_TOKEN: ${{ secrets.MLFLOW_TRACKING_TOKEN }}
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
    steps:
      - uses: actions/checkout@v4
      - run: python train.py trainer.max_epochs=1
  reuse:
    uses: ./.github/workflows/deploy.yml
    secrets: inherit
"""


def _found(text: str, rel: str) -> list[tuple[str, int | None, int | None, str]]:
    return [(f.rule, f.line, f.column, f.key) for f in lint_text(text, rel).findings]


@pytest.mark.parametrize("rel", ["docker-compose.yml", "deploy/mlflow/stack.yaml"])
def test_compose_stack(rel: str) -> None:
    """By path or by shape: the server's own settings, the endpoints the services give each other
    and `${VAR}` references pass; the one literal password is TC111 at its item, named by its
    variable."""
    assert _found(COMPOSE, rel) == [
        ("TC111", 11, 27, "services.db.environment.POSTGRES_PASSWORD")]
    (f,) = lint_text(COMPOSE, rel).findings
    assert f.message == ("secret-like key 'services.db.environment.POSTGRES_PASSWORD' holds a "
                         "literal value; read it from the environment")


def test_compose_secret_is_masked_not_the_words_around_it() -> None:
    """The planted password equals a word of the file (`mlflow`): the value is recorded for
    masking, and every other field of the output stays as written."""
    report = lint_text(COMPOSE, "docker-compose.yml")
    assert "mlflow" in report.secrets
    shown = scrub_report(report)  # the masking every format goes through
    (f,) = shown.findings
    assert (f.path, f.key) == ("docker-compose.yml", "services.db.environment.POSTGRES_PASSWORD")
    data = json.loads(REPORTERS["json"](shown, {}, False))
    assert data["findings"][0]["key"] == "services.db.environment.POSTGRES_PASSWORD"


def test_compose_other_secrets_are_still_reported() -> None:
    """A literal secret in a deploy file is always reported, in either environment form."""
    text = COMPOSE.replace("${MINIO_ROOT_PASSWORD:?set it in .env}\n  mlflow:",
                           "minio-Adm1n-pw\n  mlflow:")
    text = text.replace("- MLFLOW_TRACKING_USERNAME=trainer",
                        "- MLFLOW_TRACKING_USERNAME=trainer\n      - API_TOKEN=tok-4f9a1c")
    assert [(r, k) for r, _, _, k in _found(text, "docker-compose.yml")] == [
        ("TC111", "services.db.environment.POSTGRES_PASSWORD"),
        ("TC111", "services.minio.environment.MINIO_ROOT_PASSWORD"),
        ("TC111", "services.trainer.environment.API_TOKEN"),
    ]
    creds = COMPOSE.replace("${POSTGRES_PASSWORD}@db", "hunter2@db")
    assert [(r, line) for r, line, _, _ in _found(creds, "docker-compose.yml")] == [
        ("TC111", 11), ("TC103", 26)]


def test_compose_remote_override_on_a_command_line_is_tc170() -> None:
    text = COMPOSE.replace("mlflow.tracking_uri=http://mlflow:5000",
                           "mlflow.tracking_uri=https://mlflow.example.com")
    assert [(r, line, k) for r, line, _, k in _found(text, "docker-compose.yml")] == [
        ("TC111", 11, "services.db.environment.POSTGRES_PASSWORD"),
        ("TC170", 37, "mlflow.tracking_uri")]


@pytest.mark.parametrize("rel", ["k8s/trainer.yaml", "deploy/trainer.yaml"])
def test_kubernetes_deployment(rel: str) -> None:
    """`valueFrom.secretKeyRef` and the cluster's service address pass; the literal password is
    TC111 at its value, named by its variable, and never printed."""
    assert _found(MANIFEST, rel) == [
        ("TC111", 29, 22, "spec.template.spec.containers[0].env.DB_PASSWORD")]
    assert_secret_hidden(lint_text(MANIFEST, rel), LITERAL)


def test_ci_workflow() -> None:
    """The tracking URI a workflow gives its jobs is the environment; `secrets: inherit` is a
    keyword; a service container's literal password is still a literal secret."""
    assert _found(WORKFLOW, ".github/workflows/train.yml") == [
        ("TC111", 12, 30, "jobs.train.services.postgres.env.POSTGRES_PASSWORD")]


def test_the_same_values_in_hydra_config_are_reported() -> None:
    """Outside deploy files the rules stand: a pinned tracking URI and a server setting."""
    text = ("mlflow:\n  tracking_uri: http://mlflow:5000\n"
            "  backend_store_uri: postgresql://mlflow@db:5432/mlflow\n")
    assert [r for r, _, _, _ in _found(text, "config/mlflow/default.yaml")] == ["TC101", "TC102"]
