"""Discovery: what a directory expands to, what each file is, and explicit files as given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trackcheck.lint.discover import UsageError, classify, discover, rel_posix
from trackcheck.policy import Policy, load_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("default")[0]


def make(root: Path, *rels: str) -> None:
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("a: 1\n")


def found(policy: Policy, *args: str) -> list[tuple[str, str, bool]]:
    targets, _ = discover(list(args), policy, Path.cwd())
    return [(t.rel, t.kind, t.secret_file) for t in targets]


@pytest.mark.parametrize(("rel", "kind", "secret_file"), [
    ("config/mlflow/default.yaml", "hydra", False),
    ("config/x.YML", "hydra", False),
    ("deploy.yaml", "hydra", False),
    (".github/workflows/ci.yml", "yaml", False),
    (".gitlab-ci.yml", "yaml", False),
    ("docker-compose.yml", "yaml", False),
    ("ops/docker-compose.prod.yaml", "yaml", False),
    ("k8s/deployment.yaml", "yaml", False),
    (".pre-commit-config.yaml", "yaml", False),
    ("policies/trackcheck.yaml", "yaml", False),
    ("outputs/2024-01-01/12-00-00/.hydra/config.yaml", "yaml", False),
    ("multirun/2024-01-01/12-00-00/0/.hydra/overrides.yaml", "yaml", False),
    (".env", "env", True),
    (".env.production", "env", True),
    (".env.example", "env", False),
    ("app/.env.local", "env", True),
    (".databrickscfg", "ini", True),
    (".netrc", "netrc", True),
    ("keys/deploy.pem", "secret-file", True),
    ("id_rsa", "secret-file", True),
    ("gcp/service-account-prod.json", "secret-file", True),
])
def test_classify(rel: str, kind: str, secret_file: bool, policy: Policy) -> None:
    t = classify(rel, policy)
    assert t is not None and (t.kind, t.secret_file) == (kind, secret_file)


@pytest.mark.parametrize("rel", ["README.md", "config/notes.txt", "data.json", "config.toml"])
def test_classify_ignores_the_rest(rel: str, policy: Policy) -> None:
    assert classify(rel, policy) is None


def test_directory_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/b.yaml", "config/a.yml", "config/mlflow/default.yaml", "config/notes.md",
         "config/.env", "config/.git/x.yaml", "config/node_modules/y.yaml", "config/.venv/z.yaml",
         "config/__pycache__/w.yaml")
    assert found(policy, "config") == [
        ("config/.env", "env", True),
        ("config/a.yml", "hydra", False),
        ("config/b.yaml", "hydra", False),
        ("config/mlflow/default.yaml", "hydra", False),
    ]


def test_explicit_files_are_linted_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", "elsewhere/b.yaml", "node_modules/c.yaml", "README.md")
    targets, skipped = discover(["elsewhere/b.yaml", "node_modules/c.yaml", "README.md",
                                 "config/a.yaml"], policy, tmp_path)
    # the order given, even in a folder a directory walk would skip; unknown kinds are counted
    assert [t.rel for t in targets] == ["elsewhere/b.yaml", "node_modules/c.yaml", "config/a.yaml"]
    assert skipped == 1


def test_a_file_given_twice_is_linted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", "config/b.yaml")
    assert [r for r, _, _ in found(policy, "config/a.yaml", "config", "./config/a.yaml")] == [
        "config/a.yaml", "config/b.yaml"]


def test_no_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", ".env", ".databrickscfg", "deploy.yaml", "train.py",
         "docs/x.yaml", ".env.example")
    assert found(policy) == [
        ("config/a.yaml", "hydra", False),
        (".databrickscfg", "ini", True),
        (".env", "env", True),
        (".env.example", "env", False),
    ]


def test_a_virtualenv_named_env_is_no_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy,
) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", ".env/pyvenv.cfg", ".env/lib/site/conf.yaml")
    assert found(policy) == [("config/a.yaml", "hydra", False)]


def test_no_arguments_without_a_config_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    assert found(policy) == []


def test_config_root_comes_from_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "conf/a.yaml", "config/b.yaml")
    policy = Policy.model_validate({"config_root": "conf"})
    assert found(policy) == [("conf/a.yaml", "hydra", False)]


def test_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^nope\.yaml: no such file or directory$"):
        discover(["nope.yaml"], policy, tmp_path)


def test_symlinks_stay_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "real/x.yaml")
    (tmp_path / "config").mkdir()
    os.symlink("b.yaml", tmp_path / "config/a.yaml")
    os.symlink("a.yaml", tmp_path / "config/b.yaml")
    os.symlink("../real", tmp_path / "config/linked")  # a directory symlink is not followed
    os.symlink("../real/x.yaml", tmp_path / "config/c.yaml")
    targets, _ = discover(["config"], policy, tmp_path)
    assert [(t.rel, t.path.as_posix()) for t in targets] == [
        ("config/a.yaml", "config/a.yaml"), ("config/b.yaml", "config/b.yaml"),
        ("config/c.yaml", "config/c.yaml")]


def test_rel_posix(tmp_path: Path) -> None:
    assert rel_posix(tmp_path / "a" / "b.yaml", tmp_path) == "a/b.yaml"
    assert rel_posix(tmp_path / "a" / ".." / "b.yaml", tmp_path) == "b.yaml"
    assert rel_posix(tmp_path / "b.yaml", tmp_path / "sub") == "../b.yaml"
