"""Discovery: what a directory expands to, what each file is, and explicit files as given."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.lint.discover import UsageError, classify, discover, rel_posix
from trackcheck.policy import Policy, load_policy, validate_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("default")[0]


def make(root: Path, *rels: str) -> None:
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("a: 1\n")


def found(policy: Policy, *args: str) -> list[tuple[str, str, bool]]:
    run = discover(list(args), policy, Path.cwd())
    return [(t.rel, t.kind, t.secret_file) for t in run.targets]


@pytest.mark.parametrize(("rel", "kind", "secret_file"), [
    ("config/mlflow/default.yaml", "hydra", False),
    ("config/x.YML", "hydra", False),
    ("configs/logger/mlflow.yaml", "hydra", False),
    ("conf/db/mysql.yaml", "hydra", False),
    ("deploy.yaml", "yaml", False),  # outside every config root: YAML, not Hydra config
    ("src/app/settings.yml", "yaml", False),
    ("pnpm-lock.yaml", "generated", False),
    ("web/yarn-lock.yml", "generated", False),
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
    run = discover(["elsewhere/b.yaml", "node_modules/c.yaml", "README.md", "config/a.yaml"],
                   policy, tmp_path)
    # the order given, even in a folder a directory walk would skip; unknown kinds are counted
    assert [t.rel for t in run.targets] == [
        "elsewhere/b.yaml", "node_modules/c.yaml", "config/a.yaml"]
    assert run.skipped == 1 and run.only_files


def test_a_file_given_twice_is_linted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", "config/b.yaml")
    assert [r for r, _, _ in found(policy, "config/a.yaml", "config", "./config/a.yaml")] == [
        "config/a.yaml", "config/b.yaml"]


def test_no_arguments_outside_git_walks_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", ".env", ".databrickscfg", "deploy.yaml", "train.py",
         "docs/x.yaml", ".env.example", "README.md")
    assert found(policy) == [
        (".databrickscfg", "ini", True),
        (".env", "env", True),
        (".env.example", "env", False),
        ("config/a.yaml", "hydra", False),
        ("deploy.yaml", "yaml", False),
        ("docs/x.yaml", "yaml", False),
        ("train.py", "python", False),
    ]


def test_a_virtualenv_named_env_is_no_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy,
) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", ".env/pyvenv.cfg", ".env/lib/site/conf.yaml",
         "venv/lib/x.yaml", "node_modules/p/q.yaml")
    # a folder named .env is walked, not flagged; its pyvenv.cfg is nothing trackcheck reads
    assert [r for r, _, _ in found(policy)] == [".env/lib/site/conf.yaml", "config/a.yaml"]


def test_the_walk_honours_gitignore_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "config/a.yaml", ".env", "outputs/x/.hydra/config.yaml", "sub/keep.yaml",
         "sub/drop.yaml", "sub/deep/drop.yaml", "logs/run.yaml", "logs/keep.yaml")
    (tmp_path / ".gitignore").write_text(".env\noutputs/\nlogs/*\n!logs/keep.yaml\n")
    (tmp_path / "sub/.gitignore").write_text("drop.yaml\n")
    assert [r for r, _, _ in found(policy)] == ["config/a.yaml", "logs/keep.yaml", "sub/keep.yaml"]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "init.defaultBranch=main", *args], cwd=root, check=True,
                   capture_output=True)


def test_in_git_the_files_git_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "configs/train.yaml", "scripts/run.sh", "new.py", ".env", "mlruns/0/meta.yaml",
         "gone.yaml", "forced/x.yaml")
    (tmp_path / ".gitignore").write_text(".env\nmlruns/\nforced/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".gitignore", "configs", "scripts", "gone.yaml")
    git(tmp_path, "add", "-f", "forced/x.yaml")
    git(tmp_path, "commit", "-qm", "init")
    (tmp_path / "gone.yaml").unlink()  # deleted in the work tree, still in the index
    # tracked files, untracked ones git does not ignore (new.py), and a force-added file;
    # never what git ignores (a developer's .env is the environment, not a leak)
    assert found(policy) == [
        ("configs/train.yaml", "hydra", False),
        ("forced/x.yaml", "yaml", False),
        ("new.py", "python", False),
        ("scripts/run.sh", "shell", False),
    ]
    # named on the command line, an ignored file is linted
    assert found(policy, ".env") == [(".env", "env", True)]
    # a directory is expanded the way git lists it; one git ignores as a whole, named on
    # purpose, is walked
    assert found(policy, "configs", "scripts") == [("configs/train.yaml", "hydra", False),
                                                   ("scripts/run.sh", "shell", False)]
    assert found(policy, "mlruns") == [("mlruns/0/meta.yaml", "yaml", False)]


def test_from_a_subdirectory_git_lists_that_subtree(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    policy: Policy) -> None:
    make(tmp_path, "proj/conf/config.yaml", "other/x.yaml")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    monkeypatch.chdir(tmp_path / "proj")
    assert found(policy) == [("conf/config.yaml", "hydra", False)]


def test_no_arguments_and_nothing_to_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "README.md", "LICENSE")
    run = discover([], policy, tmp_path)
    assert run.targets == [] and not run.only_files and run.listed == 2
    assert run.searched == ["a walk honouring .gitignore under ."]


def test_config_roots_come_from_the_policy(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "conf/a.yaml", "config/b.yaml")
    policy = validate_policy({"config_root": "conf"})  # the 0.1 spelling: one root
    assert policy.config_roots == ["conf"]
    assert found(policy) == [("conf/a.yaml", "hydra", False), ("config/b.yaml", "yaml", False)]
    two = validate_policy({"config_roots": ["conf", "config"]})
    assert found(two) == [("conf/a.yaml", "hydra", False), ("config/b.yaml", "hydra", False)]


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
    targets = discover(["config"], policy, tmp_path).targets
    assert [(t.rel, t.path.as_posix()) for t in targets] == [
        ("config/a.yaml", "config/a.yaml"), ("config/b.yaml", "config/b.yaml"),
        ("config/c.yaml", "config/c.yaml")]


def test_rel_posix(tmp_path: Path) -> None:
    assert rel_posix(tmp_path / "a" / "b.yaml", tmp_path) == "a/b.yaml"
    assert rel_posix(tmp_path / "a" / ".." / "b.yaml", tmp_path) == "b.yaml"
    assert rel_posix(tmp_path / "b.yaml", tmp_path / "sub") == "../b.yaml"


# --- path globs: one compiled regex agrees with fnmatch and PurePosixPath.match ---------------
def _reference_matches(rel: str, patterns: list[str]) -> bool:
    """The per-pattern reading the compiled regex stands for (fnmatch, then PurePath.match)."""
    import fnmatch
    from pathlib import PurePosixPath

    pp = PurePosixPath(rel)
    for pat in patterns:
        if fnmatch.fnmatchcase(rel, pat) or pp.match(pat):
            return True
        if pat.endswith("/**") and (rel + "/").startswith(pat[:-2]):
            return True
        if pat.startswith("**/") and fnmatch.fnmatchcase(pp.name, pat[3:]):
            return True
    return False


_SEGMENTS = ["k8s", "ops", ".github", "workflows", "ci.yml", "docker-compose.yml", "compose.yaml",
             "charts", "a.yaml", ".env", ".env.prod", "id_rsa", "x.pem", "policies", "helm",
             "service-account-1.json", "deploy", "values.yaml", ".gitlab-ci.yml", "action.yml"]


@given(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_compiled_globs_agree_with_fnmatch(segments: list[str]) -> None:
    from trackcheck.lint.discover import _matches

    policy = load_policy("default")[0]
    rel = "/".join(segments)
    for patterns in (policy.non_hydra_yaml, policy.deploy_files, policy.secret_files,
                     ["[!.]*.yaml", "ops/?8s/*", "/k8s/*"]):
        assert _matches(rel, patterns) == _reference_matches(rel, patterns), (rel, patterns)
