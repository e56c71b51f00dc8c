"""TC134 invalid-alias-name: PASS/FAIL tables, checked against MLflow's own rules."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import codes, findings_for
from trackcheck.lint.aliases import MAX_ALIAS_LENGTH, invalid_alias
from trackcheck.lint.rules.tc134_invalid_alias_name import RULE

BAD = ["latest", "LATEST", "Latest", "v1", "V22", "v0", "my alias", "prod.1", "prod/x", "a:b",
       "x" * 256, "pröd!", "café latte"]
GOOD = ["prod", "dev", "blue-green", "champion_2", "v", "v1a", "va1", "version1", "x" * 255,
        "pröd", "latest2", "ab-latest", "1"]


@pytest.mark.parametrize("alias", BAD)
def test_invalid_names(alias: str) -> None:
    assert invalid_alias(alias) is not None
    assert _mlflow_rejects(alias)


@pytest.mark.parametrize("alias", GOOD)
def test_valid_names(alias: str) -> None:
    assert invalid_alias(alias) is None
    assert not _mlflow_rejects(alias)


def test_empty_name() -> None:
    assert invalid_alias("") == "an alias cannot be empty"
    assert len(findings_for("TC134", "deploy:\n  model_uri: models:/m@\n")) == 1


def _mlflow_rejects(alias: str) -> bool:
    """MLflow's own verdict (the registry stores call both validators before setting an alias)."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils import validation

    try:
        validation._validate_model_alias_name(alias)
        validation._validate_model_alias_name_reserved(alias)
    except MlflowException:
        return True
    return False


def test_length_limit_matches_mlflow() -> None:
    from mlflow.utils import validation

    assert MAX_ALIAS_LENGTH == validation.MAX_REGISTERED_MODEL_ALIAS_LENGTH


_ALIASES = st.one_of(
    st.text(st.sampled_from("abvV019_-. @/:é\u0661\t"), max_size=8),
    st.sampled_from(["latest", "LaTeSt", "v7", "V0", "prod", ""]),
    st.integers(250, 260).map(lambda n: "x" * n),
    st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(_ALIASES)
def test_agrees_with_mlflow(alias: str) -> None:
    # MLflow's `$` lets one trailing newline through; trackcheck rejects it on purpose
    assume(not alias.endswith("\n"))
    assert (invalid_alias(alias) is not None) == _mlflow_rejects(alias), repr(alias)


FAIL = [
    "deploy:\n  model_uri: models:/churn@latest\n",
    "deploy:\n  model_uri: models:/churn@v3\n",
    "mlflow:\n  register:\n    alias: Latest\n",
    "mlflow:\n  register:\n    aliases: [dev, V2]\n",
    "mlflow:\n  register:\n    alias: 'prod env'\n",
    "deploy:\n  alias: prod.v2\n",
    "mlflow:\n  tags:\n    lifecycle_intent: v1\n",
    f"mlflow:\n  register:\n    alias: {'a' * 300}\n",
]
PASS = [
    "deploy:\n  model_uri: models:/churn@prod\n",
    "deploy:\n  model_uri: models:/churn/latest\n",  # a version reference: TC131's
    "mlflow:\n  register:\n    alias: ${oc.env:ALIAS}\n",
    "mlflow:\n  register:\n    alias: ''\n",  # empty value: no alias set
    "model:\n  alias: v2\n",  # not registry context
    "deploy:\n  model_uri: models:/churn@champion\n",  # valid name, unknown: TC130's
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    assert len(findings_for("TC134", text)) == 1, text


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC134", text) == []


@pytest.mark.parametrize("text", FAIL)
def test_not_also_unknown_or_promoting(text: str) -> None:
    assert codes(text, select=("TC13",)) == ["TC134"]


def test_message_names_the_reason_and_a_long_alias_is_cut() -> None:
    (f,) = findings_for("TC134", "deploy:\n  model_uri: models:/churn@latest\n")
    assert "reserved" in f.message and "'latest'" in f.message and f.key == "deploy.model_uri"
    (f,) = findings_for("TC134", FAIL[-1])
    assert "a" * 61 not in f.message and "300 characters" in f.message


def test_control_characters_are_escaped_in_the_message() -> None:
    (f,) = findings_for("TC134", "mlflow:\n  register:\n    alias: |\n      prod\n")
    assert "'prod\\n'" in f.message and "\n" not in f.message


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC134", example)) == 1
    assert findings_for("TC134", use_instead) == []
