"""Docs as tests: every static rule documents itself in the four sections, its *Example* trips it
and its *Use instead* does not, linted as ``config/snippet.yaml`` with the default policy.

A rule whose subject is not a Hydra snippet is listed in ``ELSEWHERE`` with the reason and the
file its examples are linted as (or how: ``--compose``); nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml

import trackcheck.lint.rules as rules_pkg
from tests.conftest import codes, lint_text
from trackcheck.engine import Selection
from trackcheck.lint.discover import classify
from trackcheck.lint.rules import RULES
from trackcheck.lint.runner import lint
from trackcheck.policy import load_policy
from trackcheck.rule import REQUIRED_SECTIONS, Rule, doc_sections

SNIPPET = "config/snippet.yaml"
FILE_NAMES = "<file names>"
COMPOSED = "<composed>"
# code -> (the file the examples are linted as, or FILE_NAMES; the fence language; why)
ELSEWHERE: dict[str, tuple[str, str, str]] = {
    "TC160": (FILE_NAMES, "yaml",
              "its subject is a file's name, not its contents: the examples are YAML lists of "
              "file names, and each name is created and linted as that file"),
    "TC170": (".github/workflows/train.yaml", "yaml",
              "its examples are CI workflows, which are not Hydra config (`${{ ... }}` is "
              "GitHub's syntax, an interpolation error in Hydra config)"),
    "TC171": ("src/train.py", "python", "its subject is Python source, not YAML"),
    "TC006": (COMPOSED, "yaml",
              "its subject is a composition, not a file: each example is the primary config "
              "config/config.yaml of a tree of its own, linted with `--compose config`"),
}
# SPEC: "warnings: TC005, TC140, TC141, TC150; the rest are errors"; its catalog: TC006 warns
WARNINGS = {"TC005", "TC006", "TC140", "TC141", "TC150"}


def ids(rule: Rule) -> str:
    return rule.code


def block(rule: Rule, section: str) -> str:
    lang = ELSEWHERE.get(rule.code, (SNIPPET, "yaml", ""))[1]
    m = re.search(rf"```{lang}\n(.*?)```", rule.section(section), re.S)
    assert m is not None, f"{rule.code}: no ```{lang} block under '## {section}'"
    return m.group(1)


def tripped(rule: Rule, section: str) -> list[tuple[str, list[str]]]:
    """(file linted, codes it trips) for each file the section's example stands for."""
    text = block(rule, section)
    where = ELSEWHERE.get(rule.code, (SNIPPET, "yaml", ""))[0]
    if where == COMPOSED:
        return [("config/config.yaml with --compose config", composed(text))]
    if where != FILE_NAMES:
        return [(where, codes(text, where))]
    names = yaml.safe_load(text)
    assert isinstance(names, list) and names and all(isinstance(n, str) for n in names), (
        f"{rule.code}: the example must be a YAML list of file names")
    # a harmless body: the file's name is the subject, not what it holds
    return [(name, [f.rule for f in lint_text("# local settings\n", name).findings])
            for name in names]


def composed(text: str) -> list[str]:
    """The codes ``text`` trips as the primary config of a tree of its own, linted with
    ``--compose config`` and the default policy."""
    # TC006's Example selects an option of a plugin that must not be installed here
    assert not _installed("hydra_plugins.hydra_colorlog"), "uninstall hydra-colorlog for TC006"
    base = Path(tempfile.mkdtemp(prefix="tc-"))
    (base / "config").mkdir()
    (base / "config" / "config.yaml").write_text(text, "utf-8")
    old = os.getcwd()
    os.chdir(base)
    try:
        from trackcheck.lint import compose

        policy = load_policy("default")[0]
        target = classify("config/config.yaml", policy)
        assert target is not None
        entries = compose.plan(policy, ["config"], [], base)
        return [f.rule for f in lint([target], policy, Selection(), entries).findings]
    finally:
        os.chdir(old)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # not even its parent package
        return False


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_four_sections_in_order(rule: Rule) -> None:
    sections = doc_sections(rule.doc)
    assert tuple(sections) == REQUIRED_SECTIONS, f"{rule.code}: sections are {list(sections)}"
    for title, body in sections.items():
        assert body.strip(), f"{rule.code}: '## {title}' is empty"
    summary = rule.summary
    assert summary and not summary.startswith("#") and summary != rule.name
    assert len(summary) <= 100, f"{rule.code}: the summary line is {len(summary)} characters"


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_example_trips_the_rule(rule: Rule) -> None:
    for where, found in tripped(rule, "Example"):
        assert rule.code in found, f"{rule.code}: its Example, linted as {where}, trips {found}"


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_use_instead_does_not(rule: Rule) -> None:
    for where, found in tripped(rule, "Use instead"):
        assert rule.code not in found, f"{rule.code}: its Use instead, linted as {where}, trips it"


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_use_instead_trips_no_other_rule_either(rule: Rule) -> None:
    # what a rule recommends must not be what another rule forbids
    for where, found in tripped(rule, "Use instead"):
        assert found == [], f"{rule.code}: its Use instead, linted as {where}, trips {found}"


def test_every_exception_is_a_rule_and_says_why() -> None:
    codes_ = {r.code for r in RULES}
    for code, (where, lang, why) in ELSEWHERE.items():
        assert code in codes_, f"{code} is listed in ELSEWHERE but is not a rule"
        assert where and lang and len(why) > 20


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_code_name_severity_and_module(rule: Rule) -> None:
    assert re.fullmatch(r"TC\d{3}", rule.code) and rule.engine == "lint"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    expected = "warning" if rule.code in WARNINGS else "error"
    assert rule.severity.value == expected
    module = f"{rule.code.lower()}_{rule.name.replace('-', '_')}.py"
    assert (Path(rules_pkg.__file__).parent / module).is_file(), f"{rule.code}: expected {module}"


def test_codes_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)
