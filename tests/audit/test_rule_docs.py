"""Docs-as-tests for the live rules: each doc's Example trips its rule, its Use instead does not."""

from __future__ import annotations

import inspect

import pytest

from trackcheck.audit.context import AuditContext
from trackcheck.audit.fixture import config_refs_from_yaml, snapshot_from_yaml
from trackcheck.audit.rules import RULES
from trackcheck.policy import load_policy
from trackcheck.rule import REQUIRED_SECTIONS, Rule, doc_sections

DEFAULT = load_policy("default")[0]
IDS = [r.code for r in RULES]


def run_block(rule: Rule, section: str) -> list[str]:
    text = rule.first_yaml_block(section)
    assert text, f"{rule.code}: no ```yaml block under '## {section}'"
    ctx = AuditContext(DEFAULT, config_refs_from_yaml(text))
    return [h.message for h in rule.check(snapshot_from_yaml(text), ctx)]


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_doc_has_exactly_the_four_sections(rule: Rule) -> None:
    assert rule.engine == "audit" and rule.code.startswith("TC2")
    assert list(doc_sections(rule.doc)) == list(REQUIRED_SECTIONS)
    assert rule.summary and not rule.summary.startswith("#")
    assert rule.doc.strip().splitlines()[1] == "", "the summary is one line"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_example_trips_the_rule(rule: Rule) -> None:
    assert run_block(rule, "Example"), f"{rule.code}: its Example registry state is clean"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_use_instead_is_clean(rule: Rule) -> None:
    assert run_block(rule, "Use instead") == []


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_module_stays_small(rule: Rule) -> None:
    module = inspect.getmodule(rule.check)
    assert module is not None
    source = inspect.getsource(module)
    code = source.split('"""', 2)[2]  # after the module docstring
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 60


def test_every_live_rule_is_registered_once() -> None:
    assert IDS == [f"TC2{i:02d}" for i in range(1, 13)]
    assert len({r.name for r in RULES}) == len(RULES)
