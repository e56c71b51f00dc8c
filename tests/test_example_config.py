"""The example Hydra tree in ``config/`` lints clean under this repository's policy, and every file
is config OmegaConf loads; references between groups point at keys that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from tests.conftest import REPO
from trackcheck.cli import main
from trackcheck.engine import Selection
from trackcheck.lint.discover import discover
from trackcheck.lint.interpolation import analyse
from trackcheck.lint.runner import lint
from trackcheck.policy import load_policy

CONFIG = REPO / "config"
FILES = sorted(p.relative_to(REPO).as_posix() for p in CONFIG.rglob("*") if p.is_file())


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return REPO


def test_the_tree_is_small_and_realistic() -> None:
    assert 6 <= len(FILES) <= 15
    groups = {Path(f).parent.name for f in FILES}
    assert {"mlflow", "model", "data", "paths", "deploy"} <= groups


def test_lints_clean_under_the_repository_policy(in_repo: Path) -> None:
    policy, origin = load_policy()
    assert origin == "policies/trackcheck.yaml"
    found = discover(["config"], policy, in_repo)
    assert sorted(t.rel for t in found.targets) == FILES and found.skipped == 0
    report = lint(found.targets, found.policy, Selection())
    assert [f"{f.path}:{f.line}: {f.rule} {f.message}" for f in report.findings] == []
    assert report.suppressed == []  # clean, not silenced


def test_lints_clean_through_the_cli_with_warnings_failing(
        in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "config", "--fail-on", "warning"]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


@pytest.mark.parametrize("policy", ["default", "strict"])
def test_lints_clean_under_the_builtin_policies(policy: str, in_repo: Path) -> None:
    p = load_policy(policy)[0]
    report = lint(discover(["config"], p, in_repo).targets, p, Selection())
    assert [f"{f.path}:{f.line}: {f.rule}" for f in report.findings] == []


def test_the_repository_policy_is_valid(in_repo: Path) -> None:
    assert main(["check-policy", "policies/trackcheck.yaml"]) == 0


@pytest.mark.parametrize("rel", FILES)
def test_every_file_loads_with_omegaconf(rel: str) -> None:
    cfg = OmegaConf.load(REPO / rel)
    assert isinstance(cfg, DictConfig) and len(cfg) > 0


def _compose(primary: str, **choices: str) -> DictConfig:
    """The primary config with each group option merged under its group, following the defaults
    lists (an option extending another one of its group included); Hydra itself is not needed
    to know which keys exist."""
    root = OmegaConf.load(CONFIG / primary)
    selected = {}
    for entry in root.pop("defaults"):
        if isinstance(entry, DictConfig):
            ((group, option),) = entry.items()
            selected[group] = choices.get(group, option)
    out = OmegaConf.create({})
    for group, option in selected.items():
        out[group] = _option(group, option)
    return OmegaConf.merge(out, root)


def _option(group: str, option: str) -> DictConfig:
    cfg = OmegaConf.load(CONFIG / group / f"{option}.yaml")
    base = OmegaConf.create({})
    for entry in cfg.pop("defaults", []):
        if entry != "_self_":
            base = OmegaConf.merge(base, _option(group, entry))
    return OmegaConf.merge(base, cfg)


def _refs(node: object) -> list[str]:
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=False)
    if isinstance(node, dict):
        return [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return list(analyse(node).refs) if isinstance(node, str) else []


def _has(tree: object, dotted: str) -> bool:
    for part in dotted.strip().split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


@pytest.mark.parametrize("choices", [
    {}, {"mlflow": "debug", "model": "mlp", "data": "churn_sample"},
])
def test_every_reference_points_at_a_key(choices: dict[str, str]) -> None:
    tree = OmegaConf.to_container(_compose("config.yaml", **choices), resolve=False)
    assert isinstance(tree, dict)
    refs = _refs(tree)
    assert "project.name" in refs and "model.name" in refs
    assert [r for r in refs if not _has(tree, r)] == []
    mlflow = tree["mlflow"]
    assert mlflow["tags"]["debug"] is (choices.get("mlflow") == "debug")
    assert (mlflow["experiment_name"], mlflow["run_name"]) == ("${project.name}", "${model.name}")
    assert mlflow["register"]["enabled"] is not (choices.get("mlflow") == "debug")
