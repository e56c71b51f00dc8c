"""TC002 interpolation-syntax-error: PASS/FAIL tables, checked against OmegaConf's own grammar."""

import pytest
from omegaconf import grammar_parser
from omegaconf.errors import GrammarParseError

from tests.conftest import findings_for, lint_text
from trackcheck.reporters import REPORTERS

FAIL = [
    "${oc.env:MLFLOW_TRACKING_URI",
    "${project.name",
    "runs/${model.name}/${now:%Y",
    "${}",
    "${ }",
    "${.}",
    "${a..b}",
    "${a b}",
    "${:x}",
    "${oc.env:X,${}",
    "${{ github.sha }}",  # GitHub's syntax inside Hydra config
]
PASS = [
    "${oc.env:MLFLOW_TRACKING_URI}",
    "${oc.env:MLFLOW_REGISTRY_URI,null}",
    "${project.name}",
    "${ project.name }",
    "${now:%Y-%m-%d_%H-%M-%S}",
    "runs/${model.name}-${data.name}",
    "\\${not.an.interpolation",  # escaped: text
    "$HOME/data",
    "{a}",
    "${a.b}}",  # a stray closing brace after an interpolation is text
    "${oc.env:X,'a,b'}",
    "${oc.select:a.b, default}",
    "${model.layers[0]}",
]


@pytest.mark.parametrize("value", FAIL)
def test_flags(value: str) -> None:
    with pytest.raises(GrammarParseError):
        grammar_parser.parse(value)
    (f,) = findings_for("TC002", f"mlflow:\n  run_name: '{value}'\n")
    assert (f.line, f.column, f.key) == (2, 13, "mlflow.run_name")
    assert f.severity.value == "error"


@pytest.mark.parametrize("value", PASS)
def test_passes(value: str) -> None:
    grammar_parser.parse(value)
    assert findings_for("TC002", f"mlflow:\n  run_name: '{value}'\n") == []


def test_only_hydra_config() -> None:
    text = "jobs:\n  a:\n    steps:\n      - run: echo ${{ github.sha }} ${oc.env:X\n"
    assert findings_for("TC002", text, ".github/workflows/ci.yaml") == []
    assert findings_for("TC002", "image: app:${TAG\n", "docker-compose.yaml") == []


def test_keys_and_non_strings_are_not_values() -> None:
    assert findings_for("TC002", "'${a': 1\nb: 2\n") == []


def test_value_never_printed() -> None:
    report = lint_text("db:\n  password: ${oc.env:DB_PASSWORD,hunter2-s3cret\n")
    (f,) = [f for f in report.findings if f.rule == "TC002"]
    assert "hunter2" not in f.message
    for name, render in REPORTERS.items():
        from trackcheck.detect.redact import scrub

        out = scrub(render(report, {}, True), report.secrets)
        assert "hunter2-s3cret" not in out, name


@pytest.mark.parametrize(("value", "why"), [
    ("${a." * 40 + "b" + "}" * 40, "interpolations nested deeper than 32: not parsed"),
    ("${oc.env:X,\\" + "y" * 5_000 + "}",
     "an interpolation longer than 4096 characters: not parsed"),
])
def test_an_interpolation_too_deep_or_long_to_parse_is_reported(value: str, why: str) -> None:
    (f,) = findings_for("TC002", f"mlflow:\n  run_name: '{value}'\n")
    assert f.message == f"invalid interpolation in 'mlflow.run_name': {why}"
