"""``trackcheck lint --compose``: entrypoints composed with Hydra's own API, never resolved, and
checked where each composed value was written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, assert_secret_hidden
from trackcheck.cli import build_parser, main
from trackcheck.engine import Report, Selection
from trackcheck.lint import compose
from trackcheck.lint.discover import discover
from trackcheck.lint.runner import lint
from trackcheck.policy import load_policy

TREE = Path(__file__).parent / "data" / "compose" / "tree"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), "utf-8")
    return root


Found = list[dict[str, object]]
Lint = Callable[..., tuple[int, Found, dict[str, object]]]


def run(cwd: Path, *argv: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, Found, dict[str, object]]:
    """``trackcheck lint ARGV --format json`` in ``cwd``: exit code, findings, summary."""
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    capsys.readouterr()
    rc = main(["lint", *argv, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    return rc, out["findings"], out["summary"]


def where(findings: Found) -> list[tuple[object, ...]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in findings)


def policy_file(tmp_path: Path, entrypoints: list[dict[str, object]]) -> str:
    p = tmp_path / "policy.yaml"
    p.write_text(yaml.safe_dump({"extends": "default", "entrypoints": entrypoints}), "utf-8")
    return str(p)


@pytest.fixture
def tree(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Lint:
    """Lint in the test tree (or ``cwd``): exit code, findings, summary."""
    def go(*argv: str, cwd: Path = TREE) -> tuple[int, Found, dict[str, object]]:
        return run(cwd, *argv, monkeypatch=monkeypatch, capsys=capsys)
    return go


# --- the required behaviours, on the test tree ------------------------------------------------
def test_a_tag_from_a_global_package_completes_the_block(tree: Lint) -> None:
    # per file, mlflow/default.yaml lacks data_name: data/churn.yaml supplies it (@package _global_)
    _, per_file, _ = tree()
    assert ("TC121", "config/mlflow/default.yaml", 5) in where(per_file)
    rc, found, summary = tree("--compose", "config", "-o", "data=churn")
    assert [f for f in found if f["rule"] == "TC121"] == []
    assert summary["compositions"] == 1


def test_a_tag_missing_after_composition_is_reported_at_the_base_file(tree: Lint) -> None:
    rc, found, _ = tree("--compose", "config", "-o", "data=sample")
    tc121 = [f for f in found if f["rule"] == "TC121"]
    assert [(f["path"], f["line"], f["key"]) for f in tc121] == [
        ("config/mlflow/default.yaml", 5, "tags")]
    assert "lack required tag: data_name" in str(tc121[0]["message"])
    assert "(entrypoint config, overrides: data=sample)" in str(tc121[0]["message"])
    assert rc == 1


def test_a_chain_to_a_literal_endpoint_is_reported_where_the_literal_is(tree: Lint) -> None:
    _, per_file, _ = tree()
    assert [f for f in per_file if f["rule"] == "TC101"] == []  # a pure reference passes per file
    _, found, _ = tree("--compose", "config", "-o", "mlflow=remote")
    tc101 = [f for f in found if f["rule"] == "TC101"]
    assert [(f["path"], f["line"], f["column"], f["key"]) for f in tc101] == [
        ("config/paths/default.yaml", 2, 16, "mlflow_server")]
    msg = str(tc101[0]["message"])
    assert "'mlflow.tracking_uri' -> 'paths.mlflow_server'" in msg and "mlflow=remote" in msg
    assert "mlflow.internal" not in msg  # the fact and the key path, not the value


def test_an_experiment_overriding_run_name_is_found_through_its_override_set(
        tree: Lint, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, [{"config": "config", "overrides": [["+experiment=scratch"]],
                                  "sweep": []}])
    _, found, summary = tree("--policy", pol, "--compose", "config")
    tc141 = [f for f in found if f["rule"] == "TC141"]
    assert [(f["path"], f["line"], f["column"]) for f in tc141] == [
        ("config/experiment/scratch.yaml", 3, 13)]
    assert "(entrypoint config, overrides: +experiment=scratch)" in str(tc141[0]["message"])
    assert summary["compositions"] == 1


def test_an_option_that_is_not_there_is_a_compose_warning(tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {"config/config.yaml": "defaults:\n  - _self_\n  - model: transformer\n",
                            "config/model/gbm.yaml": "name: gbm\n"})
    rc, found, summary = tree("--compose", "config", cwd=root)
    assert where(found) == [("TC006", "config/config.yaml", 3)]
    assert "Could not find 'model/transformer' (options: gbm)" in str(found[0]["message"])
    assert found[0]["severity"] == "warning" and rc == 0 and summary["compositions"] == 0
    rc, _, _ = tree("--compose", "config", "--fail-on", "warning", cwd=root)
    assert rc == 1


# --- what is composed: the config as committed, and the sweeps a policy asks for ---------------
@pytest.mark.parametrize(("entrypoint", "compositions"), [
    (None, 1),  # no policy entrypoint: the primary's defaults list as written, nothing swept
    ({"config": "config", "sweep": []}, 1),
    ({"config": "config", "sweep": ["model"]}, 2),  # + model=mlp
    ({"config": "config", "sweep": ["model", "experiment"]}, 3),  # + +experiment=scratch
    ({"config": "config"}, 5),  # sweep: all (the entrypoint's default)
])
def test_only_a_policy_entrypoint_sweeps(entrypoint: dict[str, object] | None, compositions: int,
                                         tree: Lint, tmp_path: Path) -> None:
    argv = ("--policy", policy_file(tmp_path, [entrypoint])) if entrypoint else ()
    _, _, summary = tree(*argv, "--compose", "config")
    assert summary["compositions"] == compositions


def test_a_bare_config_is_planned_as_committed() -> None:
    policy = load_policy("default")[0]
    (entry,) = compose.plan(policy, ["config"], [], TREE)
    assert (entry.config, entry.override_sets, entry.sweep) == ("config", ((),), ())
    assert compose.Entry("x", "x", "/x").sweep == ()  # nothing swept unless asked


def test_every_option_of_every_group_is_composed(tree: Lint, tmp_path: Path) -> None:
    rc, found, summary = tree("--policy", policy_file(tmp_path, [{"config": "config"}]),
                              "--compose", "config")
    # base, mlflow=remote, model=mlp, data=sample, +experiment=scratch (a group no default selects)
    assert summary["compositions"] == 5
    assert where(found) == [("TC101", "config/paths/default.yaml", 2),
                            ("TC121", "config/mlflow/default.yaml", 5),
                            ("TC141", "config/experiment/scratch.yaml", 3)]
    assert all("(entrypoint config, overrides: " in str(f["message"]) for f in found)
    # the per-file TC121/TC141 verdicts were replaced by the composed ones, not doubled
    assert all(str(f["message"]).startswith("composed") for f in found if f["rule"] != "TC101")


def test_an_option_no_entrypoint_reaches_is_still_linted_per_file(
        tree: Lint, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, [{"config": "config", "sweep": []}])
    _, found, summary = tree("--policy", pol, "--compose", "config")
    assert summary["compositions"] == 1
    assert where(found) == [("TC141", "config/experiment/scratch.yaml", 3)]
    assert "composed" not in str(found[0]["message"])  # the per-file verdict
    # mlflow/default.yaml was composed complete: its per-file TC121 is replaced by that verdict


def test_a_finding_reached_many_ways_is_reported_once(tree: Lint, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, [{"config": "config", "sweep": [],
                                  "overrides": [["data=sample"], ["data=sample", "model=mlp"]]}])
    _, found, _ = tree("--policy", pol, "--compose", "*")
    assert len(found) == 2 and {f["rule"] for f in found} == {"TC121", "TC141"}
    tc121 = next(f for f in found if f["rule"] == "TC121")
    assert str(tc121["message"]).endswith(
        "(entrypoint config, overrides: data=sample; and 1 more composition(s))")


def test_a_group_an_override_set_appends_is_swept_appended(tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {"config/config.yaml": "x: 1\n",
                            "config/experiment/a.yaml": "# @package _global_\ny: 1\n",
                            "config/experiment/b.yaml": "# @package _global_\ny: 2\n"})
    pol = policy_file(tmp_path, [{"config": "config", "overrides": [["+experiment=a"]],
                                  "sweep": ["experiment"]}])
    rc, found, summary = tree("--policy", pol, "--compose", "config", cwd=root)
    assert (rc, found, summary["compositions"]) == (0, [], 2)  # +experiment=a, +experiment=b


def test_the_example_config_composes_clean_for_every_option_of_every_group(
        tree: Lint, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, [{"config": "config", "sweep": "all"}])
    rc, found, summary = tree("config", "--policy", pol, "--compose", "config", "--fail-on",
                              "warning", cwd=REPO)
    assert (rc, found) == (0, [])
    root = REPO / "config"
    primary = yaml.safe_load((root / "config.yaml").read_text("utf-8"))
    chosen = {k for e in primary.get("defaults", []) if isinstance(e, dict) for k in e}
    groups = {p.name: len(list(p.glob("*.yaml"))) for p in root.iterdir() if p.is_dir()}
    expected = 1 + sum(n - 1 if g in chosen else n for g, n in groups.items())
    assert summary["compositions"] == expected


# --- where a composed value came from: Hydra's merge order -----------------------------------
MLFLOW = "mlflow/default.yaml"
MERGE_FAIL = [
    # the group file is merged after the primary's own keys: its literal stands
    ({"config.yaml": "defaults:\n  - _self_\n  - mlflow: default\n"
                     "mlflow:\n  run_name: ${model.name}\n",
      MLFLOW: "run_name: baseline\n"}, ("config/mlflow/default.yaml", 1)),
    # `???` never replaces a value in OmegaConf's merge: the earlier literal stands
    ({"config.yaml": "defaults:\n  - mlflow: default\n  - _self_\nmlflow:\n  run_name: ???\n",
      MLFLOW: "run_name: baseline\n"}, ("config/mlflow/default.yaml", 1)),
    # an option that extends another one overrides its value
    ({"config.yaml": "defaults:\n  - mlflow: debug\n",
      MLFLOW: "run_name: ${model.name}\n",
      "mlflow/debug.yaml": "defaults:\n  - default\n  - _self_\nrun_name: debug-run\n"},
     ("config/mlflow/debug.yaml", 4)),
]
MERGE_PASS = [
    # the primary config's keys come last (`_self_` last): its value stands
    {"config.yaml": "defaults:\n  - mlflow: default\n  - _self_\n"
                    "mlflow:\n  run_name: ${model.name}\n",
     MLFLOW: "run_name: baseline\n"},
    # a later option replaces the literal of the one it extends
    {"config.yaml": "defaults:\n  - mlflow: debug\n", MLFLOW: "run_name: baseline\n",
     "mlflow/debug.yaml": "defaults:\n  - default\n  - _self_\nrun_name: ${model.name}\n"},
]


@pytest.mark.parametrize(("files", "at"), MERGE_FAIL)
def test_the_last_writer_in_merge_order_is_blamed(files, at, tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {f"config/{k}": v for k, v in files.items()})
    _, found, _ = tree("--compose", "config", "--select", "TC141", cwd=root)
    assert [(f["path"], f["line"]) for f in found] == [at]


@pytest.mark.parametrize("files", MERGE_PASS)
def test_a_value_replaced_in_merge_order_is_not_blamed(files, tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {f"config/{k}": v for k, v in files.items()})
    _, per_file, _ = tree("--select", "TC141", cwd=root)
    assert per_file, "per file, the literal is flagged"
    pol = policy_file(tmp_path, [{"config": "config", "sweep": []}])  # just the primary's choices
    _, found, _ = tree("--policy", pol, "--compose", "config", "--select", "TC141", cwd=root)
    assert found == []


def test_hydras_public_defaults_list_gives_the_same_verdicts(
        tree: Lint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, [{"config": "config"}])
    _, recorded, _ = tree("--policy", pol, "--compose", "config")
    monkeypatch.setattr(compose, "RECORD_MERGES", False)
    _, computed, _ = tree("--policy", pol, "--compose", "config")
    assert computed == recorded and len(recorded) == 3


# --- reference chains (TC101) and cycles (TC002) ------------------------------------------------
def chain_tree(tmp_path: Path, mlflow: str, paths: str) -> Path:
    return write(tmp_path, {
        "config/config.yaml": "defaults:\n  - _self_\n  - mlflow: default\n  - paths: default\n",
        "config/mlflow/default.yaml": mlflow, "config/paths/default.yaml": paths})


CHAIN_FAIL = [
    ("tracking_uri: ${paths.uri}\n", "uri: http://10.0.0.5:5000\n", "config/paths/default.yaml", 1),
    ("tracking_uri: ${paths.a}\n", "a: ${.b}\nb: databricks\n", "config/paths/default.yaml", 2),
    ("registry_uri: ${.server}\nserver: file:./mlruns\n", "x: 1\n",
     "config/mlflow/default.yaml", 2),
    ("tracking_uri: ${paths.uri}\n", "root: /srv\nuri: ${paths.root}/mlruns\n",
     "config/paths/default.yaml", 2),
    # URI keys by word, as per file: a kebab key and an env-style name reach a literal too
    ("tracking-uri: ${paths.uri}\n", "uri: http://10.0.0.5:5000\n", "config/paths/default.yaml", 1),
    ("MLFLOW_TRACKING_URI: ${paths.uri}\n", "uri: databricks\n", "config/paths/default.yaml", 1),
]
CHAIN_PASS = [
    ("tracking_uri: ${paths.uri}\n", "uri: ${oc.env:MLFLOW_TRACKING_URI}\n"),
    ("tracking_uri: ${paths.uri}\n", "uri: ???\n"),
    ("tracking_uri: ${paths.uri}\n", "uri: null\n"),
    ("tracking_uri: ${paths.nowhere}\n", "uri: http://10.0.0.5:5000\n"),
    ("tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n", "uri: http://10.0.0.5:5000\n"),
]


@pytest.mark.parametrize(("mlflow", "paths", "path", "line"), CHAIN_FAIL)
def test_chain_flags(mlflow: str, paths: str, path: str, line: int, tree: Lint,
                     tmp_path: Path) -> None:
    _, found, _ = tree("--compose", "config", "--select", "TC101",
                       cwd=chain_tree(tmp_path, mlflow, paths))
    assert [(f["path"], f["line"]) for f in found] == [(path, line)]


@pytest.mark.parametrize(("mlflow", "paths"), CHAIN_PASS)
def test_chain_passes(mlflow: str, paths: str, tree: Lint, tmp_path: Path) -> None:
    _, found, _ = tree("--compose", "config", "--select", "TC101,TC002",
                       cwd=chain_tree(tmp_path, mlflow, paths))
    assert found == []


def test_an_interpolation_cycle_is_a_finding(tree: Lint, tmp_path: Path) -> None:
    root = chain_tree(tmp_path, "tracking_uri: ${.registry_uri}\nregistry_uri: ${paths.uri}\n",
                      "uri: ${mlflow.tracking_uri}\n")
    rc, found, _ = tree("--compose", "config", cwd=root)
    assert where(found) == [("TC002", "config/mlflow/default.yaml", 1)]
    assert "interpolation cycle" in str(found[0]["message"]) and rc == 1


def test_a_credential_reached_by_a_chain_never_reaches_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hunter2-hunter2-hunter2"
    root = chain_tree(tmp_path, "tracking_uri: ${paths.uri}\n",
                      f"uri: postgresql://mlflow:{secret}@db:5432/mlflow\n")
    monkeypatch.chdir(root)
    policy = load_policy("default")[0]
    report = lint(discover(["config"], policy, root).targets, policy, Selection(),
                  compose.plan(policy, ["config"], []))
    assert "TC101" in {f.rule for f in report.findings}
    assert_secret_hidden(report, secret)


def test_an_inline_suppression_applies_to_a_composed_finding(tree: Lint, tmp_path: Path) -> None:
    root = chain_tree(tmp_path, "tracking_uri: ${paths.uri}\n",
                      "uri: http://10.0.0.5:5000  # trackcheck: ignore[TC101] reason=\"lab\"\n")
    rc, found, summary = tree("--compose", "config", cwd=root)
    assert (rc, found, summary["suppressed"]) == (0, [], 1)


def test_a_suppression_composition_makes_idle_is_not_called_unused(
        tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {
        "config/config.yaml": "defaults:\n  - mlflow: default\n  - _self_\n"
                              "mlflow:\n  run_name: ${model.name}\n",
        "config/mlflow/default.yaml": "run_name: baseline  # trackcheck: ignore[TC141]\n"})
    pol = policy_file(tmp_path, [{"config": "config", "sweep": []}])
    _, per_file, summary = tree("--policy", pol, cwd=root)
    assert per_file == [] and summary["suppressed"] == 1
    _, found, summary = tree("--policy", pol, "--compose", "config", cwd=root)
    assert found == [] and summary["suppressed"] == 0  # the primary's value stands: nothing to hide


def test_values_set_by_an_override_are_left_to_the_command_line_rules(tree: Lint) -> None:
    # a URI or name given on the command line is no file's doing (TC170 judges command lines)
    _, found, _ = tree("--compose", "config", "-o", "mlflow=remote", "-o",
                       "paths.mlflow_server=${oc.env:MLFLOW_TRACKING_URI}", "-o",
                       "mlflow.run_name=adhoc")
    assert [f for f in found if "entrypoint" in str(f["message"])] == []


# --- broken compositions: a finding at the file and line, never a traceback ------------------
# TC001: one file's defaults list is broken whatever is composed with it; TC006 (a warning): a
# composition that cannot complete here (tests/lint/rules/test_tc006.py has more)
BROKEN = [
    ({"config.yaml": "defaults:\n  - mlflow: debug\n",
      "mlflow/debug.yaml": "defaults:\n  - nope\n  - _self_\n"}, "TC006", "mlflow/debug.yaml", 2,
     "Could not load 'mlflow/nope'"),
    ({"config.yaml": "defaults: 3\n"}, "TC001", "config.yaml", 1, "defaults must be a list"),
    ({"config.yaml": "defaults:\n  - model: gbm\n  - model: gbm\n", "model/gbm.yaml": "x: 1\n"},
     "TC001", "config.yaml", 3, "appears more than once"),
    ({"config.yaml": "defaults:\n  - _self_\n  - _self_\n"}, "TC001", "config.yaml", 3,
     "Duplicate _self_"),
    ({"config.yaml": "defaults:\n  - _self_\n  - override model: gbm\n",
      "model/gbm.yaml": "x: 1\n"}, "TC006", "config.yaml", 3, "Could not override 'model'"),
    ({"config.yaml": "defaults:\n  - [a]\n"}, "TC001", "config.yaml", 2, "Unsupported type"),
    ({"config.yaml": "- a\n- b\n"}, "TC001", "config.yaml", 1, "must be a DictConfig"),
    ({"config.yaml": "defaults:\n  - _self_\n  - db: ${db_type}\n", "db/a.yaml": "x: 1\n"},
     "TC006", "config.yaml", 3, "Error resolving interpolation '${db_type}'"),
    ({"config.yaml": "defaults:\n  - _self_\n  - db: ${oc.env:DB_KIND}\n", "db/a.yaml": "x: 1\n"},
     "TC006", "config.yaml", 3, "without reading the environment"),
    ({"config.yaml": "hydra:\n  job:\n    env_copy: [DB_KIND]\n"}, "TC004", "config.yaml", 3,
     "copies environment variables"),
]


@pytest.mark.parametrize(("files", "code", "path", "line", "fragment"), BROKEN)
def test_broken_compositions(files, code, path, line, fragment, tree: Lint, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_KIND", "a")  # a valid option: the finding must not depend on it
    root = write(tmp_path, {f"config/{k}": v for k, v in files.items()})
    rc, found, summary = tree("--compose", "config", cwd=root)
    assert [(f["rule"], f["path"], f["line"]) for f in found] == [(code, f"config/{path}", line)]
    assert fragment in str(found[0]["message"]) and "(entrypoint config" in str(found[0]["message"])
    assert rc == (0 if code == "TC006" else 1) and summary["compositions"] == 0


def test_a_bad_override_is_a_finding_naming_it(tree: Lint) -> None:
    _, found, _ = tree("--compose", "config", "-o", "model=transformer")
    tc006 = [f for f in found if f["rule"] == "TC006"]
    assert [(f["path"], f["line"]) for f in tc006] == [("config/config.yaml", 3)]
    assert "override 'model=transformer': Could not find 'model/transformer'" in str(
        tc006[0]["message"])


def test_a_secret_in_an_override_hydra_quotes_is_masked(tree: Lint) -> None:
    token = "dapi0123456789abcdef0123456789abcdef"
    _, found, _ = tree("--compose", "config", "-o", f"auth@x={token}")
    tc006 = [f for f in found if f["rule"] == "TC006"]
    assert len(tc006) == 1 and "looks like a config group override" in str(tc006[0]["message"])
    assert token not in json.dumps(found) and "auth@x=dapi*" in str(tc006[0]["message"])


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))
REFUSED = [
    ("bomb.yaml", BOMB, "TC004"),
    ("dup.yaml", "x: 1\nx: 2\n", "TC003"),
    ("interp.yaml", "x: ${oc.env:FOO\n", "TC002"),
    ("syntax.yaml", "x: [1, 2\n", "TC001"),
]


@pytest.mark.parametrize(("name", "text", "code"), REFUSED)
def test_a_file_refused_per_file_is_never_handed_to_hydra(name: str, text: str, code: str,
                                                          tree: Lint, tmp_path: Path) -> None:
    root = write(tmp_path, {"config/config.yaml": f"defaults:\n  - _self_\n  - m: {name[:-5]}\n",
                            f"config/m/{name}": text})
    # only the primary is linted per file: the refused option is reported all the same
    _, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    assert [(f["rule"], f["path"]) for f in found] == [(code, f"config/m/{name}")]
    assert summary["compositions"] == 0 and summary["skipped compositions"] == 1
    assert f"config/m/{name} is not composed ({code}" in str(summary["composition notes"])


def test_a_package_search_path_is_dropped_and_never_imported(tmp_path: Path) -> None:
    root = write(tmp_path, {"config/config.yaml": "hydra:\n  searchpath: [pkg://mlflow]\nx: 1\n"})
    loaded, rc, out, _ = probe(["lint", "--compose", "config", "--format", "json"], root)
    assert "mlflow" not in loaded and rc == 0
    report = json.loads(out)
    assert [(f["rule"], f["line"], f["key"]) for f in report["findings"]] == [
        ("TC006", 2, "hydra.searchpath[0]")]
    assert "a Python package" in report["findings"][0]["message"]
    assert report["summary"]["compositions"] == 1  # composed without it


# --- never outside the repository: hydra.searchpath, links ------------------------------------
LEAK = "# @package _global_\nmlflow:\n  run_name: leaked\n"  # composed, it would trip TC141
SEARCHPATH_OUT = [  # the primary's hydra block; {out} is a folder beside the repository
    "hydra:\n  searchpath:\n    - file://{out}\n",
    "hydra:\n  searchpath:\n    - file://../outside\n",  # relative to the working directory
    "hydra:\n  searchpath:\n    - ../outside\n",  # no scheme: Hydra takes it as file://
    "hydra:\n  searchpath:\n    - file://config/../../outside\n",
    "hydra:\n  searchpath:\n    - ${oc.env:TC_OUTSIDE}\n",  # Hydra would resolve it first
    "hydra:\n  searchpath:\n    - file://linked\n",  # a link inside the repository to {out}
]


def searchpath_repo(tmp_path: Path, hydra_block: str) -> Path:
    """A repository whose primary selects ``ext: leak``, an option only ``{out}`` holds."""
    out = tmp_path / "outside"
    write(out, {"ext/leak.yaml": LEAK})
    root = write(tmp_path / "repo", {
        "config/config.yaml": "defaults:\n  - _self_\n  - ext: leak\n"
                              + hydra_block.replace("{out}", str(out))})
    (root / "linked").symlink_to(out, target_is_directory=True)
    return root


@pytest.mark.parametrize("hydra_block", SEARCHPATH_OUT)
def test_a_search_path_outside_the_repository_is_never_read(
        hydra_block: str, tree: Lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = searchpath_repo(tmp_path, hydra_block)
    monkeypatch.setenv("TC_OUTSIDE", str(tmp_path / "outside"))
    rc, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    # the option only the outside folder holds is not found: Hydra never listed that folder
    assert summary["compositions"] == 0
    assert where(found) == [("TC006", "config/config.yaml", 3), ("TC006", "config/config.yaml", 6)]
    dropped = next(f for f in found if f["line"] == 6)
    assert dropped["key"] == "hydra.searchpath[0]" and "not read" in str(dropped["message"])
    assert str(tmp_path / "outside") not in json.dumps(found) and rc == 0


def test_a_search_path_inside_the_repository_is_read(tree: Lint, tmp_path: Path) -> None:
    # the control of the test above: the same option, inside the repository, is composed
    root = searchpath_repo(tmp_path, "hydra:\n  searchpath:\n    - file://extra\n")
    write(root, {"extra/ext/leak.yaml": LEAK})
    _, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    assert summary["compositions"] == 1
    assert where(found) == [("TC141", "extra/ext/leak.yaml", 3)]


def test_an_interpolated_search_path_list_is_never_resolved(tree: Lint, tmp_path: Path) -> None:
    root = searchpath_repo(tmp_path, "extra: [file://../outside]\n"
                                     "hydra:\n  searchpath: ${extra}\n")
    _, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    assert summary["compositions"] == 0
    assert where(found) == [("TC006", "config/config.yaml", 3), ("TC006", "config/config.yaml", 6)]


def test_a_search_path_reached_through_an_interpolation_is_never_read(
        tree: Lint, tmp_path: Path) -> None:
    # Hydra resolves `${extra}` to find the search path: what it finds is checked again
    root = searchpath_repo(tmp_path, "extra:\n  searchpath: [file://../outside]\n"
                                     "hydra: ${extra}\n")
    _, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    assert summary["compositions"] == 0
    assert where(found) == [("TC006", "config/config.yaml", 3), ("TC006", "config/config.yaml", 6)]
    assert "a directory outside the repository" in str(found[1]["message"])


def test_a_config_file_linked_from_outside_is_never_read(tree: Lint, tmp_path: Path) -> None:
    root = searchpath_repo(tmp_path, "")
    (root / "config" / "ext").mkdir()
    (root / "config" / "ext" / "leak.yaml").symlink_to(tmp_path / "outside" / "ext" / "leak.yaml")
    _, found, summary = tree("config/config.yaml", "--compose", "config", cwd=root)
    assert summary["compositions"] == 0
    assert where(found) == [("TC006", "config/config.yaml", 3)]
    assert "outside the repository" in str(found[0]["message"])


def test_a_policy_entrypoint_outside_the_repository_is_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"outside/config.yaml": "x: 1\n", "repo/config/config.yaml": "x: 1\n"})
    pol = policy_file(tmp_path, [{"config": "config", "config_dir": "../outside"}])
    monkeypatch.chdir(tmp_path / "repo")
    assert main(["lint", "--policy", pol, "--compose", "config"]) == 2
    assert "outside the repository" in capsys.readouterr().err


# --- never the repository's code: hydra_plugins/ packages, _target_s ---------------------------
EVIL = {
    "config/config.yaml": "defaults:\n  - _self_\n  - model: evil\n",
    # instantiated, this would import evilmod; composing never instantiates
    "config/model/evil.yaml": "_target_: evilmod.Model\nlr: 0.1\n",
    "evilmod.py": "import pathlib\npathlib.Path('TARGET_IMPORTED').write_text('x')\n",
    # Hydra imports every hydra_plugins package on sys.path when it starts
    "hydra_plugins/evil/__init__.py":
        "import pathlib\npathlib.Path('PLUGIN_IMPORTED').write_text('x')\n",
}


@pytest.mark.parametrize("how", ["python -m", "console script", "console script, PYTHONPATH=."])
def test_composing_never_imports_repository_code(how: str, tmp_path: Path) -> None:
    root = write(tmp_path, EVIL)
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    if how.endswith("PYTHONPATH=."):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (".", env.get("PYTHONPATH")) if p)
    start = ([sys.executable, "-m", "trackcheck"] if how == "python -m"
             else [str(Path(sys.executable).parent / "trackcheck")])
    p = subprocess.run([*start, "lint", "--compose", "config", "--format", "json"], cwd=root,
                       env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(p.stdout)["summary"]["compositions"] == 1, p.stderr
    assert sorted(x.name for x in root.iterdir()) == ["config", "evilmod.py", "hydra_plugins"]
    assert not (root / "hydra_plugins" / "evil" / "__pycache__").exists()


# --- never the environment, never left-over global state --------------------------------------
def test_the_environment_is_never_read_and_hydra_state_is_restored(
        tree: Lint, monkeypatch: pytest.MonkeyPatch) -> None:
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://prod-mlflow.example.com")
    monkeypatch.setenv("TC_COMPOSE_PROBE", "visible")
    _, found, summary = tree("--compose", "config", "-o", "data=churn")
    assert where(found) == [("TC141", "config/experiment/scratch.yaml", 3)]  # not composed
    assert summary["compositions"] == 1
    assert not GlobalHydra.instance().is_initialized()
    # oc.env works again for everyone else once composition is over
    assert OmegaConf.create({"x": "${oc.env:TC_COMPOSE_PROBE}"}).x == "visible"
    from hydra._internal.sources_registry import SourcesRegistry
    assert SourcesRegistry.instance().resolve("file").load_config.__name__ == "load_config"


def test_an_override_is_shown_with_its_secret_masked() -> None:
    policy = load_policy("default")[0]
    entry = compose.Entry("config", "config", "/x")
    token = "dapi0123456789abcdef0123456789abcdef"
    text = compose.describe(entry, ("model=mlp", f"+auth.token={token}"), policy)
    assert text.startswith("entrypoint config, overrides: model=mlp +auth.token=")
    assert token not in text


# --- the command line -------------------------------------------------------------------------
PROBE = (
    "import sys\n"
    "if sys.argv[1] == 'no-hydra':\n"
    "    sys.modules['hydra'] = None  # as if the extra were not installed\n"
    "from trackcheck.cli import main\n"
    "rc = main(sys.argv[2:])\n"
    "print()\n"
    "print(sorted({m.split('.')[0] for m in sys.modules} & {'hydra', 'mlflow'}))\n"
    "print(rc)\n"
)


def probe(argv: list[str], cwd: Path, hydra: bool = True) -> tuple[list[str], int, str, str]:
    """``main(argv)`` in a fresh interpreter: hydra/mlflow modules loaded, exit code, output."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", PROBE, "hydra" if hydra else "no-hydra", *argv],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    *out, _, loaded, rc = p.stdout.rstrip("\n").split("\n")
    return eval(loaded), int(rc), "\n".join(out), p.stderr  # noqa: S307 - our own probe's output


def test_lint_without_compose_imports_neither_hydra_nor_mlflow() -> None:
    loaded, rc, _, err = probe(["lint", "config"], TREE)
    assert (loaded, rc) == ([], 1), err
    loaded, rc, _, err = probe(["lint", "--compose", "config"], TREE)
    assert (loaded, rc) == (["hydra"], 0), err  # composed, data/churn.yaml completes the tags


def test_compose_without_hydra_says_how_to_install_it() -> None:
    loaded, rc, out, err = probe(["lint", "--compose", "config"], TREE, hydra=False)
    assert rc == 2 and out == ""
    assert "pip install 'trackcheck[hydra]'" in err and "Traceback" not in err
    loaded, rc, _, err = probe(["lint"], TREE, hydra=False)
    assert rc == 1, err  # per-file lint does not need it


@pytest.mark.parametrize(("argv", "fragment"), [
    (["-o", "model=mlp"], "-o/--override needs --compose"),
    (["--compose", "nope"], "no primary config 'nope.yaml'"),
    (["--compose", "config", "-o", "model=a=b"], "cannot parse overrides"),
    (["--compose", "missing/*"], "no entrypoint of the policy matches"),
    (["--compose", "config", "-o", "hydra.searchpath=[pkg://mlflow]"], "a Python package"),
    (["--compose", "config", "-o", "hydra.searchpath=[file:///etc]"], "outside the repository"),
    (["--compose", "config", "-o", "hydra.searchpath=[file://../..]"], "outside the repository"),
    (["--compose", "config", "-o", "hydra.searchpath=[/etc]"], "outside the repository"),
    (["--compose", "config", "-o", "hydra.searchpath=['${oc.env:HOME}']"], "an interpolation"),
])
def test_usage_errors_exit_2(argv: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(TREE)
    assert main(["lint", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_o_is_an_override_and_output_is_long_only() -> None:
    args = build_parser().parse_args(["lint", "--compose", "config", "-o", "model=mlp", "-o",
                                      "+experiment=x", "--output", "r.json"])
    assert args.compose == ["config"] and args.output == "r.json"
    assert args.override == ["model=mlp", "+experiment=x"]
    assert main(["audit", "--registry", "-o", "r.json"]) == 2


def test_a_report_counts_compositions_in_its_summary(tree: Lint) -> None:
    _, _, summary = tree("--compose", "config", "-o", "data=churn")
    assert summary["files"] == 9 and summary["compositions"] == 1
    assert "skipped compositions" not in summary


def test_compose_through_the_runner_is_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TREE)
    policy = load_policy("default")[0]
    entries = compose.plan(policy, ["config"], [])
    report = lint(discover([], policy, TREE).targets, policy, None, entries)
    assert isinstance(report, Report) and report.summary["compositions"] == 1


# --- each config file read and parsed once per run ----------------------------------------------
def sweep_tree(root: Path) -> Path:
    """4 groups x 3 options: a chain to a literal (mlflow=remote over paths=b), a broken option
    (model=o2 selects a data option that is not there), and plain options."""
    files = {
        "config/config.yaml": "defaults:\n  - _self_\n  - mlflow: default\n  - paths: b\n"
                              "  - model: o0\n  - data: o0\nproject:\n  name: churn\n",
        "config/mlflow/default.yaml": "tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
        "config/mlflow/remote.yaml": "tracking_uri: ${paths.uri}\n",
        "config/mlflow/local.yaml": "registry_uri: ${.server}\nserver: file:./mlruns\n",
        "config/paths/a.yaml": "uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
        "config/paths/b.yaml": "uri: http://10.0.0.5:5000\n",
        "config/paths/c.yaml": "uri: ???\n",
        "config/model/o2.yaml": "defaults:\n  - /data: nowhere\n  - _self_\nname: o2\n",
    }
    files |= {f"config/model/o{i}.yaml": f"name: o{i}\nlr: 0.{i}\n" for i in range(2)}
    files |= {f"config/data/o{i}.yaml": f"name: d{i}\nrows: {i}\n" for i in range(3)}
    return write(root, files)


def hydra_file_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every config file Hydra's file source reads and parses, as (source dir, config path)."""
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins

    from trackcheck.lint.compose.plan import repo_off_path

    with repo_off_path(REPO):  # Hydra's plugin scan registers the file source it uses
        Plugins.instance()
    source = SourcesRegistry.instance().resolve("file")
    load = source.__dict__["load_config"]
    loads: list[tuple[str, str]] = []

    def counted(src: object, config_path: str) -> object:
        loads.append((str(src.path), config_path))  # type: ignore[attr-defined]
        return load(src, config_path)

    monkeypatch.setattr(source, "load_config", counted)
    return loads


def test_each_config_file_is_read_once_per_run_whatever_the_compositions(
        tree: Lint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = sweep_tree(tmp_path / "repo")
    pol = policy_file(tmp_path, [{"config": "config", "sweep": "all"}])
    loads = hydra_file_loads(monkeypatch)
    _, cached, summary = tree("--policy", pol, "--compose", "config", cwd=root)
    assert summary["compositions"] == 8  # base + 2 per group, model=o2 cannot complete
    assert len(loads) == len(set(loads)) == 13  # every file of the tree, each once
    once = list(loads)
    monkeypatch.setattr(compose, "CACHE_LOADS", False)  # Hydra alone: files read per composition
    loads.clear()
    _, uncached, _ = tree("--policy", pol, "--compose", "config", cwd=root)
    assert set(loads) == set(once) and len(loads) > 3 * len(once)
    # the same findings either way, composed ones included
    assert uncached == cached
    assert {("TC101", "config/paths/b.yaml", 1), ("TC101", "config/mlflow/local.yaml", 2)} <= set(
        where(cached)) and "TC006" in {f["rule"] for f in cached}


def test_a_composition_never_sees_what_another_did_to_a_config(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from hydra._internal.sources_registry import SourcesRegistry

    from trackcheck.lint.compose.session import Session

    root = sweep_tree(tmp_path)
    monkeypatch.chdir(root)
    conf = str(root / "config")
    sources = SourcesRegistry.instance()
    with Session(conf, load_policy("default")[0], {}, root) as session:
        first = session.compose("config", ())
        assert first[0]["model"] == {"name": "o0", "lr": 0.0}
        # a config Hydra is handed is its own: changing it changes no other load's
        source = sources.resolve("file")("main", f"file://{conf}")
        mine = source.load_config("model/o1")
        mine.config.name, mine.config.extra, mine.header["package"] = "changed", 1, "x"
        again = source.load_config("model/o1")
        assert again.config is not mine.config
        assert dict(again.config) == {"name": "o1", "lr": 0.1}
        assert again.header["package"] is None
        assert session.loads is not None
        assert [k for k in session.loads if k[3] == "model/o1"] == [
            ("file", "main", conf, "model/o1")]
        # Hydra takes ``defaults`` out of each config it loads: the next composition has them
        assert session.compose("config", ("model=o1",))[0]["model"]["name"] == "o1"
        assert session.compose("config", ()) == first
    # nothing of Hydra is left patched
    assert sources.resolve("file").load_config.__qualname__ == "FileConfigSource.load_config"
    assert sources.resolve("pkg").load_config.__qualname__ == \
        "ImportlibResourcesConfigSource.load_config"
    assert sources.resolve("structured").load_config.__qualname__ == \
        "StructuredConfigSource.load_config"
