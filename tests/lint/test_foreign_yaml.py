"""YAML shaped like CI or manifests gets no OmegaConf interpolation rules, wherever it lives."""

import pytest

from tests.conftest import codes, lint_text

WORKFLOW = """\
on: [pull_request]
jobs:
  audit:
    runs-on: ubuntu-latest
    env:
      MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}
      DATABRICKS_TOKEN: ${{ secrets.DATABRICKS_TOKEN }}
    steps:
      - run: trackcheck audit --registry
"""
ACTION = "runs:\n  using: composite\n  steps:\n    - run: echo ${{ inputs.token }}\n"
MANIFEST = "apiVersion: v1\nkind: ConfigMap\ndata:\n  url: ${{ not.omegaconf }}\n"
COMPOSE = "services:\n  mlflow:\n    image: x\n    environment:\n      A: ${{ weird }}\n"


@pytest.mark.parametrize("text", [WORKFLOW, ACTION, MANIFEST, COMPOSE])
def test_ci_and_manifests_outside_known_paths_are_not_hydra(text: str) -> None:
    assert codes(text, rel="examples/ci/thing.yml") == []


def test_the_same_shape_under_the_config_root_is_still_hydra() -> None:
    # a Hydra group may well have keys named `on` and `jobs`: under config/ it stays Hydra config
    assert "TC002" in codes(WORKFLOW, rel="config/ci/thing.yaml")


def test_secret_rules_still_apply_to_foreign_yaml() -> None:
    text = WORKFLOW.replace("${{ secrets.DATABRICKS_TOKEN }}", "dapi" + "0123456789abcdef" * 2)
    assert codes(text, rel="deploy/workflow.yml") == ["TC110"]


def test_tc101_outside_hydra_reports_real_uris_only() -> None:
    rel = "settings/train.yml"  # YAML that is neither Hydra config nor a deploy file
    assert codes("env:\n  tracking_uri: str\n", rel=rel) == []
    assert codes("env:\n  MLFLOW_TRACKING_URI: ${{ secrets.URI }}\n", rel=rel) == []
    report = lint_text("env:\n  MLFLOW_TRACKING_URI: https://mlflow.example.com\n", rel=rel)
    assert [f.rule for f in report.findings] == ["TC101"]
    # a CI workflow provides the environment: SPEC (decisions, deploy files)
    ci = ".github/workflows/ci.yml"
    assert codes("env:\n  MLFLOW_TRACKING_URI: https://mlflow.example.com\n", rel=ci) == []


def _doc(text: str, rel: str):  # type: ignore[no-untyped-def]
    from trackcheck.lint.document import build

    return build(rel, "yaml", text, config_root=None)


# (path, text, whether it is a deploy file)
DEPLOY = [
    (".github/workflows/ci.yml", "name: ci\n", True),  # by path
    (".gitlab-ci.yml", "train:\n  script: [make]\n", True),
    ("docker-compose.prod.yaml", "x: 1\n", True),
    ("ops/compose.yaml", "x: 1\n", True),
    ("k8s/base/deploy.yaml", "x: 1\n", True),
    ("charts/mlflow/values.yaml", "x: 1\n", True),
    ("examples/ci/thing.yml", WORKFLOW, True),  # by shape, wherever it lives
    ("examples/ci/thing.yml", ACTION, True),
    ("examples/thing.yml", MANIFEST, True),
    ("examples/thing.yml", COMPOSE, True),
    ("ops/stack.yml", "x-common: &env {A: 1}\nservices:\n  a: {image: x, environment: *env}\n",
     True),  # compose with an extension field
    ("ops/stack.yml", "services:\n  a:\n    build: .\nsecrets:\n  pw: {file: ./pw}\n", True),
    ("ops/all.yaml", "kind: List\n---\napiVersion: v1\nkind: Secret\n", True),  # 2nd doc
    (".pre-commit-config.yaml", "repos: []\n", False),
    ("policies/team.yaml", "extends: default\n", False),
    ("settings/train.yml", "services:\n  api: {port: 8080}\nworkers: 4\n", False),
    ("settings/train.yml", "jobs: 4\n", False),
]


@pytest.mark.parametrize(("rel", "text", "deploy"), DEPLOY)
def test_deploy_file(rel: str, text: str, deploy: bool) -> None:
    from trackcheck.lint.context import LintContext
    from trackcheck.policy import load_policy

    ctx = LintContext(load_policy("default")[0])
    assert ctx.deploy_file(_doc(text, rel)) is deploy


def test_hydra_config_is_never_a_deploy_file() -> None:
    from trackcheck.lint.context import LintContext
    from trackcheck.lint.document import build
    from trackcheck.policy import load_policy

    ctx = LintContext(load_policy("default")[0])
    doc = build("config/ci/thing.yaml", "hydra", COMPOSE, config_root="config")
    assert not ctx.deploy_file(doc)
