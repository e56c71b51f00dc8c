"""TC122 bad-tag-value: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import codes, findings_for
from trackcheck.lint.rules.tc122_bad_tag_value import RULE

ALIAS_RULES = ("TC122", "TC13")


def _tags(body: str) -> str:
    return "mlflow:\n  tags:\n" + "".join("    " + line + "\n" for line in body.splitlines())


FAIL = [
    _tags("env: production"),
    _tags("env: Prod"),  # tag values are case-sensitive
    _tags("env: 1"),
    _tags("debug: 'no'"),
    _tags("debug: 'yes'"),
    _tags("debug: 1"),
    _tags("debug: off-ish"),
    _tags("debug: [true]"),
    _tags("env: {name: dev}"),
    _tags("lifecycle_intent: prod"),  # in deploy config (see test below) this is TC122's
]
PASS = [
    _tags("env: dev"),
    _tags("env: prod\ndebug: true"),
    _tags("debug: false"),
    _tags("debug: False"),
    _tags("debug: yes"),  # a YAML 1.1 boolean, and OmegaConf reads it as one
    _tags("debug: 'true'"),  # MLflow stores str(True); "true" matches in any case
    _tags("debug: 'FALSE'"),
    _tags("env: ${oc.env:DEPLOY_ENV}"),
    _tags("env: ${oc.env:DEPLOY_ENV,dev}"),
    _tags("env: ${env.name}"),
    _tags("debug: ${debug}"),
    _tags("env: ???"),
    _tags("env: null"),
    _tags("env: ''"),  # empty, like null: not set (a placeholder for every rule)
    _tags("lifecycle_intent: staging"),
    _tags("project: anything at all"),
    "data:\n  env: production\n",  # not a run-tags block
]


@pytest.mark.parametrize("text", FAIL[:-1])
def test_flags(text: str) -> None:
    assert len(findings_for("TC122", text)) == 1, text


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC122", text) == []


def test_message_position_and_allowed_values() -> None:
    (f,) = findings_for("TC122", _tags("project: p\nenv: production"))
    assert (f.line, f.column, f.key) == (4, 10, "mlflow.tags.env")
    assert "'production'" in f.message and "local, dev, ci, staging, prod" in f.message


def test_quoted_bool_message_says_text() -> None:
    (f,) = findings_for("TC122", _tags("debug: 'no'"))
    assert "the text 'no'" in f.message and "true or false" in f.message


def test_lifecycle_intent_in_deploy_config() -> None:
    # prod is an allowed alias, and deploy config is not training: only the tag policy speaks
    assert codes(FAIL[-1], rel="config/deploy/x.yaml", select=ALIAS_RULES) == ["TC122"]


@pytest.mark.parametrize(("value", "code"), [
    ("prod", "TC132"), ("archived", "TC132"), ("Prod", "TC130"), ("release", "TC130"),
    ("latest", "TC134"), ("v2", "TC134")])
def test_lifecycle_intent_alias_problems_belong_to_alias_rules(value: str, code: str) -> None:
    assert codes(_tags(f"lifecycle_intent: {value}"), select=ALIAS_RULES) == [code]


def test_policy_values() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, run_tags=replace(
        base.run_tags, values={"env": ["production"], "gpu": "bool"}))
    assert findings_for("TC122", _tags("env: production"), policy=policy) == []
    assert len(findings_for("TC122", _tags("gpu: 'maybe'"), policy=policy)) == 1
    assert findings_for("TC122", _tags("debug: 'maybe'"), policy=policy) == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC122", example)) == 2
    assert findings_for("TC122", use_instead) == []
