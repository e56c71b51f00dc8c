"""What a write would leave: ``apply`` on plain records (pure, no server)."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from trackcheck.audit.fixture import snapshot_from_yaml
from trackcheck.guard.changes import Change, apply

BEFORE = snapshot_from_yaml(
    "models:\n  churn:\n    aliases: {prod: 1, staging: 2}\n    versions:\n"
    "      1: {run: r1}\n      2: {stage: Staging}\n      3: {}\n")


def aliases_of(snap, number):  # type: ignore[no-untyped-def]
    return snap.version("churn", number).aliases


def test_setting_an_alias_moves_it_off_its_old_version() -> None:
    after = apply(Change("set_alias", "churn", version=2, alias="prod"), BEFORE)
    assert after.models["churn"].aliases == {"prod": 2, "staging": 2}
    assert aliases_of(after, 1) == () and aliases_of(after, 2) == ("prod", "staging")
    assert after.wanted_runs == set()  # version 1's run backs no alias any more


def test_deleting_a_version_drops_the_aliases_on_it() -> None:
    after = apply(Change("delete_version", "churn", version=1), BEFORE)
    assert [v.version for v in after.versions] == [2, 3]
    assert after.models["churn"].aliases == {"staging": 2}


def test_renaming_carries_versions_and_aliases() -> None:
    after = apply(Change("rename_model", "churn", new_name="fraud"), BEFORE)
    assert list(after.models) == ["fraud"]
    assert {v.model for v in after.versions} == {"fraud"}
    assert after.models["fraud"].aliases == {"prod": 1, "staging": 2}


def test_a_stage_transition_may_archive_the_others() -> None:
    after = apply(Change("transition_stage", "churn", version=3, stage="Staging",
                         archive_existing=True), BEFORE)
    assert [(v.version, v.stage) for v in after.versions] == [
        (1, "None"), (2, "Archived"), (3, "Staging")]


def test_deleting_the_model_leaves_nothing() -> None:
    after = apply(Change("delete_model", "churn"), BEFORE)
    assert after.models == {} and after.versions == []


def test_tags_and_new_versions() -> None:
    after = apply(Change("set_version_tag", "churn", version=3, key="k", value="v"), BEFORE)
    assert after.version("churn", 3).tags == {"k": "v"}
    after = apply(Change("create_version", "churn", version=4, run_id="r4",
                         tags={"a": "b"}), BEFORE)
    assert after.version("churn", 4).status == "READY" and after.version("churn", 4).tags
    after = apply(Change("set_model_tag", "churn", key="team", value="ml"), BEFORE)
    assert after.models["churn"].tags == {"team": "ml"}


ACTIONS = st.sampled_from(["set_alias", "delete_alias", "delete_version", "set_version_tag",
                           "transition_stage", "rename_model", "delete_model"])


@given(ACTIONS, st.integers(1, 4), st.sampled_from(["prod", "staging", "dev"]))
def test_apply_never_changes_before_and_keeps_aliases_consistent(action: str, version: int,
                                                                 alias: str) -> None:
    snapshot = copy.deepcopy(BEFORE)
    change = Change(action, "churn", version=version, alias=alias, key="k", value="v",
                    stage="Production", new_name="other")
    after = apply(change, snapshot)
    assert snapshot == BEFORE
    for model in after.models.values():
        for v in after.versions:
            assert v.model == model.name
            assert set(v.aliases) == {a for a, n in model.aliases.items() if n == v.version}
