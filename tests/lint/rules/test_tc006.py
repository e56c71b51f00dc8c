"""TC006 compose-failed: PASS/FAIL tables of small config trees linted with ``--compose``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from trackcheck.cli import main
from trackcheck.lint.rules.tc006_compose_failed import RULE

Files = dict[str, str]
MODELS: Files = {"config/model/gbm.yaml": "depth: 3\n", "config/model/mlp.yaml": "layers: 2\n"}
PRIMARY = "defaults:\n  - _self_\n  - model: gbm\n"


@pytest.fixture
def composed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Write ``files`` and run ``trackcheck lint --compose ARGV --format json`` there: exit
    code, findings, summary."""
    def go(files: Files, *argv: str) -> tuple[int, list[dict[str, object]], dict[str, object]]:
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(textwrap.dedent(text), "utf-8")
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        capsys.readouterr()
        rc = main(["lint", *[f for f in files if f.endswith(".yaml")], "--compose",
                   *(argv or ("config",)), "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        return rc, out["findings"], out["summary"]
    return go


def at(findings: list[dict[str, object]], code: str = "TC006") -> list[tuple[object, object]]:
    return sorted((f["path"], f["line"]) for f in findings if f["rule"] == code)


# (files, --compose arguments, where TC006 points, a fragment of its message)
FAIL = [
    # a Hydra plugin that is not installed, selected by the primary config
    ({"config/config.yaml": "defaults:\n  - _self_\n  - override hydra/job_logging: colorlog\n"},
     (), [("config/config.yaml", 3)], "pip install hydra-colorlog"),
    ({"config/config.yaml": "defaults:\n  - _self_\n  - override hydra/launcher: joblib\n"},
     (), [("config/config.yaml", 3)], "pip install hydra-joblib-launcher"),
    # lightning-hydra-template: the hydra group's own file selects colorlog, relative to it
    ({"config/train.yaml": "defaults:\n  - _self_\n  - hydra: default\n",
      "config/hydra/default.yaml": "defaults:\n  - override hydra_logging: colorlog\n"
                                  "  - override job_logging: colorlog\n"},
     ("train",), [("config/hydra/default.yaml", 2), ("config/hydra/default.yaml", 3)],
     "'hydra/job_logging/colorlog' comes with hydra-colorlog"),
    # ... or by an override
    ({"config/config.yaml": PRIMARY, **MODELS}, ("config", "-o", "hydra/sweeper=optuna"),
     [("config/config.yaml", 2)], "override 'hydra/sweeper=optuna': Hydra plugin not installed"),
    # not a plugin trackcheck knows: a plugin or a misspelt option
    ({"config/config.yaml": "defaults:\n  - _self_\n  - override hydra/job_logging: fancy\n"},
     (), [("config/config.yaml", 3)], "a Hydra plugin that is not installed, or a misspelt"),
    # options that do not combine: an experiment overriding a group the primary does not select
    ({"config/config.yaml": "x: 1\n", "config/data/a.yaml": "y: 1\n",
      "config/experiment/a.yaml": "# @package _global_\ndefaults:\n  - override /data: a\n"},
     ("config", "-o", "+experiment=a"), [("config/experiment/a.yaml", 3)],
     "Could not override 'data'"),
    # ... an option that is not there under one experiment
    ({"config/config.yaml": PRIMARY, "config/model/gbm.yaml": "depth: 3\n",
      "config/experiment/a.yaml": "# @package _global_\ndefaults:\n  - override /model: mlp\n"},
     ("config", "-o", "+experiment=a"), [("config/experiment/a.yaml", 3)],
     "Could not find 'model/mlp' (options: gbm)"),
    # ... a key one option lacks
    ({"config/config.yaml": PRIMARY, **MODELS},
     ("config", "-o", "model=mlp", "-o", "model.depth=4"),
     [("config/config.yaml", 2)], "Could not override 'model.depth'"),
    # a defaults list that needs the environment, which trackcheck never reads
    ({"config/config.yaml": "defaults:\n  - _self_\n  - model: ${oc.env:MODEL}\n", **MODELS},
     (), [("config/config.yaml", 3)], "without reading the environment"),
    # a search path entry that is not a directory of the repository is never read
    ({"config/config.yaml": PRIMARY + "hydra:\n  searchpath:\n    - pkg://my_configs\n",
      **MODELS}, (), [("config/config.yaml", 6)], "a Python package"),
]
PASS = [
    ({"config/config.yaml": PRIMARY, **MODELS}, ()),
    # Hydra's built-in options, and a team's own option of a Hydra group
    ({"config/config.yaml": PRIMARY + "  - override hydra/job_logging: default\n", **MODELS}, ()),
    ({"config/config.yaml": PRIMARY + "  - override hydra/launcher: basic\n", **MODELS}, ()),
    ({"config/config.yaml": PRIMARY + "  - override hydra/job_logging: quiet\n",
      "config/hydra/job_logging/quiet.yaml": "version: 1\n", **MODELS}, ()),
    # an experiment that overrides a group the primary selects
    ({"config/config.yaml": PRIMARY, **MODELS,
      "config/experiment/a.yaml": "# @package _global_\ndefaults:\n  - override /model: mlp\n"},
     ("config", "-o", "+experiment=a")),
    # a search path inside the repository
    ({"config/config.yaml": "defaults:\n  - _self_\n  - model: gbm\nhydra:\n  searchpath:\n"
                            "    - file://shared\n", "shared/model/gbm.yaml": "depth: 3\n"}, ()),
    # a choice made on the command line instead of from the environment
    ({"config/config.yaml": "defaults:\n  - _self_\n  - model: ???\n", **MODELS},
     ("config", "-o", "model=gbm")),
]


@pytest.mark.parametrize(("files", "argv", "where", "fragment"), FAIL)
def test_flags(files: Files, argv: tuple[str, ...], where: list[tuple[str, int]], fragment: str,
               composed) -> None:  # type: ignore[no-untyped-def]
    rc, found, _ = composed(files, *argv)
    assert at(found) == where, found
    tc006 = [f for f in found if f["rule"] == "TC006"]
    assert any(fragment in str(f["message"]) for f in tc006), tc006
    assert all("(entrypoint " in str(f["message"]) for f in tc006)
    assert all(f["severity"] == "warning" for f in tc006) and rc == 0


@pytest.mark.parametrize(("files", "argv"), PASS)
def test_passes(files: Files, argv: tuple[str, ...], composed) -> None:  # type: ignore[no-untyped-def]
    rc, found, summary = composed(files, *argv)
    assert (rc, found, summary["compositions"]) == (0, [], 1)


# --- what stays with the per-file rules ---------------------------------------------------------
@pytest.mark.parametrize(("text", "code"), [
    ("defaults: 3\n", "TC001"),  # one file's own defaults list, broken whatever is composed
    ("defaults:\n  - _self_\n  - _self_\n", "TC001"),
    ("defaults:\n  - model: gbm\n  - model: gbm\n", "TC001"),
    ("defaults:\n  - _self_\nx: ${oc.env:A\n", "TC002"),  # never handed to Hydra
])
def test_a_file_broken_on_its_own_is_not_tc006(text: str, code: str, composed) -> None:  # type: ignore[no-untyped-def]
    _, found, _ = composed({"config/config.yaml": text, **MODELS})
    assert [f["rule"] for f in found] == [code]


# --- a missing plugin does not stop the checks --------------------------------------------------
def test_the_rest_is_composed_and_checked_without_the_plugin(composed) -> None:  # type: ignore[no-untyped-def]
    rc, found, summary = composed({
        "config/config.yaml": "defaults:\n  - _self_\n  - mlflow: default\n"
                              "  - override hydra/job_logging: colorlog\n",
        "config/mlflow/default.yaml": "defaults:\n  - _self_\ntags:\n  project: p\n"})
    assert summary["compositions"] == 1
    assert sorted((f["rule"], f["path"]) for f in found) == [
        ("TC006", "config/config.yaml"), ("TC121", "config/mlflow/default.yaml")]
    tc121 = next(f for f in found if f["rule"] == "TC121")
    assert str(tc121["message"]).startswith("composed run tags")  # the composed verdict
    tc006 = next(f for f in found if f["rule"] == "TC006")
    assert "trackcheck composes 'hydra/job_logging=default' in its place" in str(tc006["message"])
    assert rc == 1  # TC121 is an error; TC006 alone would not fail the run


def test_a_plugin_whose_settings_need_it_stops_the_composition(composed) -> None:  # type: ignore[no-untyped-def]
    _, found, summary = composed({
        "config/config.yaml": "defaults:\n  - _self_\n  - override hydra/job_logging: colorlog\n"
                              "  - override hydra/sweeper: optuna\n"
                              "hydra:\n  sweeper:\n    sampler:\n      seed: 1\n"})
    assert summary["compositions"] == 0
    assert at(found) == [("config/config.yaml", 3), ("config/config.yaml", 4)]
    colorlog, optuna = sorted(found, key=lambda f: f["line"])  # type: ignore[arg-type, return-value]
    # Hydra's built-in sweeper does not take optuna's settings: optuna is to blame, not colorlog
    assert "(pip install hydra-optuna-sweeper); nothing could be composed without it" in str(
        optuna["message"])
    assert "trackcheck composes 'hydra/job_logging=default' in its place" in str(
        colorlog["message"])


def test_a_warning_fails_the_run_only_when_asked(composed) -> None:  # type: ignore[no-untyped-def]
    files = {"config/config.yaml": "defaults:\n  - _self_\n  - override hydra/launcher: joblib\n"}
    assert composed(files)[0] == 0
    assert composed(files, "config", "--fail-on", "warning")[0] == 1


def test_a_suppression_on_the_defaults_entry_hides_it(composed) -> None:  # type: ignore[no-untyped-def]
    files = {"config/config.yaml": "defaults:\n  - _self_\n  - override hydra/launcher: joblib"
                                   "  # trackcheck: ignore[TC006] reason=\"CI has no joblib\"\n"}
    rc, found, summary = composed(files)
    assert (rc, found, summary["suppressed"]) == (0, [], 1)


def test_one_failure_reached_by_many_compositions_is_reported_once(
        composed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.yaml"
    policy.write_text("extends: default\nentrypoints: [{config: config, sweep: [model]}]\n")
    _, found, summary = composed({
        "config/config.yaml": PRIMARY + "  - override hydra/launcher: joblib\n", **MODELS},
        "config", "--policy", str(policy))
    assert summary["compositions"] == 2 and len(found) == 1
    assert str(found[0]["message"]).endswith(
        "(entrypoint config, no overrides; and 1 more composition(s))")


def test_the_rule_is_a_warning_with_nothing_to_say_per_file() -> None:
    assert (RULE.code, RULE.name, RULE.severity.value) == ("TC006", "compose-failed", "warning")
    assert list(RULE.check(None, None)) == []
