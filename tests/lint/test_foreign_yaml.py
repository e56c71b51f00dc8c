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
    rel = ".github/workflows/ci.yml"
    assert codes("env:\n  tracking_uri: str\n", rel=rel) == []
    assert codes("env:\n  MLFLOW_TRACKING_URI: ${{ secrets.URI }}\n", rel=rel) == []
    report = lint_text("env:\n  MLFLOW_TRACKING_URI: https://mlflow.example.com\n", rel=rel)
    assert [f.rule for f in report.findings] == ["TC101"]
