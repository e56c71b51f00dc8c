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
]
PASS = [
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
    "mlflow:\n  tracking_uri: null\n",
    "mlflow:\n  tracking_uri: ???\n",
    "mlflow:\n  tracking_uri:\n",
    "mlflow:\n  tracking_uri: ${paths.mlflow_uri}\n",
    "mlflow:\n  registry_uri: ${mlflow.tracking_uri}\n",
    "mlflow:\n  experiment_uri_note: https://example.com\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    found = findings_for("TC101", text)
    assert len(found) == 1, text
    assert found[0].line is not None and found[0].key.endswith(
        ("tracking_uri", "registry_uri", "URI")
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
    ["${{ secrets.MLFLOW_TRACKING_URI }}", "${MLFLOW_TRACKING_URI}", "$MLFLOW_TRACKING_URI"],
)
def test_ci_and_compose_substitutions_are_the_environment(value: str) -> None:
    text = f"jobs:\n  train:\n    env:\n      MLFLOW_TRACKING_URI: '{value}'\n"
    assert findings_for("TC101", text, ".github/workflows/train.yaml") == []
    literal = "jobs:\n  train:\n    env:\n      MLFLOW_TRACKING_URI: https://mlflow.example.com\n"
    assert len(findings_for("TC101", literal, ".github/workflows/train.yaml")) == 1
