"""TC121 missing-run-tag: PASS/FAIL tables."""

from dataclasses import replace

import pytest

from tests.conftest import findings_for
from trackcheck.lint.rules.tc121_missing_run_tag import RULE

FULL = "project: p\nenv: dev\nmodel_name: m\ndata_name: d\ndebug: false\n"


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


# (file, text): the mlflow group's base options and root configs without a defaults list
FAIL = [
    ("config/mlflow/default.yaml", "tags:\n  project: p\n"),
    ("config/mlflow/default.yaml", "enabled: true\ntags: {}\n"),
    ("config/mlflow/default.yaml", "defaults:\n  - _self_\ntags:\n  project: p\n"),
    ("config/train.yaml", "mlflow:\n  tags:\n    project: p\n"),
    ("config/snippet.yaml", "mlflow:\n  tags:\n" + _indent(FULL.replace("debug: false\n", ""), 4)),
    ("config/mlflow/default.yaml", "# @package _global_\nmlflow:\n  tags:\n    env: dev\n"),
]
PASS = [
    ("config/mlflow/default.yaml", "tags:\n" + _indent(FULL, 2)),
    ("config/mlflow/default.yaml", "tags: null\n"),
    ("config/mlflow/default.yaml", "tags:\n"),
    ("config/mlflow/default.yaml", "enabled: false\n"),  # no tags block at all
    ("config/mlflow/default.yaml", "tags:\n" + _indent(FULL, 2) + "  mlflow.note.content: x\n"),
    # an option that extends another one: Hydra merges its partial block over the base's
    ("config/mlflow/remote.yaml", "defaults:\n  - default\n  - _self_\ntags:\n  env: prod\n"),
    ("config/mlflow/remote.yaml", "defaults:\n  - override /mlflow/base: x\ntags:\n  env: ci\n"),
    # a root config that selects the mlflow option: its block is partial
    ("config/train.yaml",
     "defaults:\n  - mlflow: default\n  - _self_\nmlflow:\n  tags:\n    env: ci\n"),
    # other groups override partial blocks (experiments, nested groups)
    ("config/experiment/a.yaml", "# @package _global_\nmlflow:\n  tags:\n    env: dev\n"),
    ("config/mlflow/extra/x.yaml", "tags:\n  env: dev\n"),
    # a root config's top-level `tags:` is not the mlflow group's block
    ("config/train.yaml", "tags:\n  env: dev\n"),
    ("config/model/resnet.yaml", "logger:\n  tags:\n    env: dev\n"),
]


@pytest.mark.parametrize(("rel", "text"), FAIL)
def test_flags(rel: str, text: str) -> None:
    assert len(findings_for("TC121", text, rel=rel)) == 1, text


@pytest.mark.parametrize(("rel", "text"), PASS)
def test_passes(rel: str, text: str) -> None:
    assert findings_for("TC121", text, rel=rel) == []


def test_names_missing_keys_at_block_key() -> None:
    (f,) = findings_for("TC121", "enabled: true\ntags:\n  project: p\n  env: dev\n",
                        rel="config/mlflow/default.yaml")
    assert (f.line, f.column, f.key) == (2, 1, "tags")
    assert f.message.endswith("model_name, data_name, debug")


def test_fingerprint_stable_when_more_tags_are_added() -> None:
    (a,) = findings_for("TC121", "tags:\n  project: p\n", rel="config/mlflow/default.yaml")
    (b,) = findings_for("TC121", "# x\ntags:\n  project: p\n  env: dev\n",
                        rel="config/mlflow/default.yaml")
    assert a.fingerprint == b.fingerprint and a.line != b.line


def test_policy_required_list() -> None:
    from trackcheck.policy import load_policy

    base = load_policy("default")[0]
    policy = replace(base, run_tags=replace(base.run_tags, required=["project"]))
    text = "tags:\n  project: p\n"
    assert findings_for("TC121", text, rel="config/mlflow/a.yaml", policy=policy) == []


def test_other_config_root() -> None:
    from trackcheck.policy import load_policy

    policy = replace(load_policy("default")[0], config_roots=["conf"])
    text = "tags:\n  env: dev\n"
    assert len(findings_for("TC121", text, rel="conf/mlflow/a.yaml", policy=policy)) == 1
    assert findings_for("TC121", text, rel="conf/x/mlflow.yaml", policy=policy) == []
    assert findings_for("TC121", text, rel="config/mlflow/a.yaml", policy=policy) == []


def test_tags_merged_from_an_anchor_count() -> None:
    text = ("common: &tags\n  project: p\n  model_name: m\n  data_name: d\n"
            "tags:\n  <<: *tags\n  env: dev\n  debug: false\n")
    assert findings_for("TC121", text, rel="config/mlflow/default.yaml") == []


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC121", example)) == 1
    assert findings_for("TC121", use_instead) == []
