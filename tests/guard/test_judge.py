"""The verdict: findings a write would introduce, applied as the policy says (pure, no server)."""

from __future__ import annotations

import textwrap
from dataclasses import asdict, replace

import pytest

from trackcheck.guard.fixture import write_from_yaml
from trackcheck.guard.judge import judge
from trackcheck.policy import Policy, load_policy, validate_policy

DEFAULT = load_policy("default")[0]
RUN = ("runs:\n  r1: {tags: {project: p, env: prod, model_name: m, data_name: d, debug: 'false',"
       " mlflow.source.git.commit: abc}, datasets: [{name: d, digest: x}]}\n")


def verdict(text: str, policy: Policy = DEFAULT):  # type: ignore[no-untyped-def]
    write, policy = write_from_yaml(textwrap.dedent(text), policy)
    return judge(write, policy)


def with_guard(**guard: object) -> Policy:
    return replace(DEFAULT, guard=replace(DEFAULT.guard, **guard))


def test_a_clean_promotion_is_allowed() -> None:
    v = verdict("models: {churn: {aliases: {staging: 1}, versions: {1: {run: r1}}}}\n" + RUN
                + "change: {action: set_alias, alias: prod, version: 1}\n")
    assert v.allowed and v.name == "allowed" and v.violations == []


def test_a_new_violation_is_refused_with_what_to_do() -> None:
    v = verdict("models: {churn: {aliases: {archived: 2}, versions: {2: {run: r1}}}}\n"
                + RUN + "change: {action: set_alias, alias: prod, version: 2}\n"
                "held: {2: [staging]}\n")
    assert not v.allowed and v.rules == "TC201"
    text = v.explain("setting alias 'prod' of 'churn' to version 2")
    assert text.startswith("trackcheck guard refused setting alias 'prod' of 'churn'")
    assert "TC201 conflicting-aliases" in text and "take the conflicting alias off" in text


def test_an_old_violation_blocks_neither_unrelated_writes_nor_its_fix() -> None:
    old = "models: {churn: {aliases: {staging: 1, archived: 1}, versions: {1: {run: r1}}}}\n" + RUN
    assert verdict(old + "change: {action: set_model_tag, key: team, value: ml}\n").allowed
    assert verdict(old + "change: {action: delete_alias, alias: archived}\n").allowed


def test_a_rename_does_not_make_old_findings_new() -> None:
    old = "models: {churn: {aliases: {champion: 1}}}\n"  # TC202 before and after
    assert verdict(old + "change: {action: rename_model, new_name: fraud}\n").allowed


def test_observe_mode_allows_and_names_the_rules() -> None:
    text = ("models: {churn: {versions: {1: {run: r1}}}}\n" + RUN
            + "change: {action: set_alias, alias: prod, version: 1}\n")
    assert verdict(text).rules == "TC301" and not verdict(text).allowed
    v = verdict(text, with_guard(rules={"TC3": "observe"}))
    assert v.allowed and v.name == "observed" and v.rules == "TC301"
    assert verdict(text, with_guard(mode="observe")).allowed
    # the longest prefix wins
    assert not verdict(text, with_guard(mode="observe", rules={"TC3": "observe",
                                                               "TC301": "enforce"})).allowed


def test_warnings_are_only_recorded_and_disabled_rules_not_judged() -> None:
    text = ("models: {churn: {versions: {1: {run: r1}}}}\n" + RUN
            + "change: {action: set_alias, alias: prod, version: 1}\n")
    warned = validate_policy({**asdict(DEFAULT), "rules": {
        "TC301": {"severity": "warning"}}})
    assert verdict(text, warned).name == "observed"
    off = validate_policy({**asdict(DEFAULT), "rules": {
        "TC301": {"enabled": False}}})
    assert verdict(text, off).violations == []


@pytest.mark.parametrize(("actor", "allowed"), [("alice", True), ("bob", False), (None, False)])
def test_protected_aliases_by_actor(actor: str | None, allowed: bool) -> None:
    who = f", actor: {actor}" if actor else ""
    v = verdict("models: {churn: {aliases: {prod: 1, staging: 1}}}\n"
                f"change: {{action: delete_alias, alias: prod{who}}}\n"
                "protected: {prod: [alice]}\n")
    assert v.allowed is allowed


def test_a_secret_tag_is_refused_without_its_value_in_the_message() -> None:
    token = "ghp_" + "Q7x9K2mP4vL8nR3tW6yZ1aB5cD0eF2gH4jK6"
    v = verdict("models: {churn: {versions: {1: {}}}}\n"
                f"change: {{action: set_version_tag, version: 1, key: note, value: {token}}}\n")
    assert v.rules == "TC208" and token not in v.explain("x") and token not in v.summary()
