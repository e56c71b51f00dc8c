"""Docs-as-tests for the write-time rules: each Example trips its rule, each Use instead not."""

from __future__ import annotations

import inspect

import pytest

from trackcheck.codes import CODES
from trackcheck.guard.fixture import write_from_yaml
from trackcheck.guard.judge import judge
from trackcheck.guard.rules import RULES
from trackcheck.policy import load_policy
from trackcheck.rule import REQUIRED_SECTIONS, Rule, doc_sections

DEFAULT = load_policy("default")[0]
IDS = [r.code for r in RULES]


def codes(rule: Rule, section: str) -> list[str]:
    text = rule.first_yaml_block(section)
    assert text, f"{rule.code}: no ```yaml block under '## {section}'"
    write, policy = write_from_yaml(text, DEFAULT)
    return [v.code for v in judge(write, policy).violations]


def test_every_guard_rule_is_registered_once_and_in_the_catalog() -> None:
    assert IDS == ["TC301", "TC302", "TC303"]
    assert {r.code: r.name for r in RULES} == {c: n for c, n in CODES.items() if c >= "TC3"}


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_doc_has_exactly_the_four_sections(rule: Rule) -> None:
    assert rule.engine == "guard"
    assert list(doc_sections(rule.doc)) == list(REQUIRED_SECTIONS)
    assert rule.doc.strip().splitlines()[1] == "", "the summary is one line"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_example_trips_the_rule_and_use_instead_does_not(rule: Rule) -> None:
    assert rule.code in codes(rule, "Example")
    assert rule.code not in codes(rule, "Use instead")


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_module_stays_small(rule: Rule) -> None:
    module = inspect.getmodule(rule.check)
    assert module is not None
    code = inspect.getsource(module).split('"""', 2)[2]
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 60
