"""The published pre-commit hooks, run by the real ``pre-commit`` in temporary git repositories.

The hook repository is a snapshot of this working tree (tracked and untracked files, as
``pre-commit try-repo`` means to test), committed in a temporary repository and named in a
``.pre-commit-config.yaml`` by path and sha, the way a user pins a release. ``try-repo`` itself
is not used: it builds the hook environment in a throwaway store on every call (one pip install
per case) and leaves untracked files out of its shadow commit. Here pre-commit pip-installs the
package once per module into a per-session ``PRE_COMMIT_HOME``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from trackcheck.lint.discover import classify
from trackcheck.policy import load_policy

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRE_COMMIT = str(BIN / "pre-commit")
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
# a Databricks personal access token shape, built at run time so no scanner trips on this file
TOKEN = "dapi" + "3f9c" * 8
PACKAGE_FILES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "setup.cfg",
    "MANIFEST.in",
    ".pre-commit-hooks.yaml",
)


def _hook(hook_id: str) -> dict[str, object]:
    return next(h for h in HOOKS if h["id"] == hook_id)


# --- the manifest, statically -------------------------------------------------------------
def test_manifest_is_valid_for_pre_commit() -> None:
    r = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lint, policy = _hook("trackcheck"), _hook("trackcheck-policy")
    assert lint["entry"] == "trackcheck lint" and policy["entry"] == "trackcheck check-policy"
    for h in (lint, policy):
        assert h["language"] == "python" and h.get("pass_filenames", True) is True
        # the base install: the hook environment never pulls in mlflow
        assert not any(
            "mlflow" in d or "registry" in d for d in h.get("additional_dependencies", [])
        )
        assert "--write-baseline" not in str(h.get("entry")) + str(h.get("args", ""))
    assert re.search(str(policy["files"]), "policies/trackcheck.yaml")
    assert not re.search(str(policy["files"]), "config/mlflow/default.yaml")


SAMPLE_NAMES = [
    "config/config.yaml",
    "config/mlflow/default.yml",
    "deploy/x.YAML",
    ".github/workflows/ci.yml",
    ".env",
    ".env.local",
    "svc/.env.production",
    ".env.example",
    ".databrickscfg",
    ".netrc",
    "_netrc",
    ".pgpass",
    "certs/server.pem",
    "tls.key",
    "store.p12",
    "a.pfx",
    "id_rsa",
    "home/id_ed25519",
    "credentials.json",
    "gcp/service-account-prod.json",
    "aws-credentials.json",
    "notes.txt",
    "train.py",
    "id_rsa.pub",
    "data.json",
    ".envrc",
    "README.md",
    "keys.txt",
    "Makefile",
    "src/train.py",
    "Train.PY",
    "scripts/run.sh",
    "tools/x.bash",
    "rules.mk",
    "GNUmakefile",
    "Dockerfile",
    "docker/Dockerfile.gpu",
    "app.dockerfile",
    "Containerfile",
    "config/.hydra/overrides.yaml",
    "notebook.ipynb",
    "setup.cfg",
    "Dockerfile-old",
    "Makefile.am",
]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_files_pattern_matches_what_lint_reads(name: str) -> None:
    """The hook passes exactly the files ``trackcheck lint`` reads under the built-in policy."""
    policy = load_policy("default")[0]
    assert bool(re.search(str(_hook("trackcheck")["files"]), name)) == (
        classify(name, policy) is not None
    )


# --- the real pre-commit --------------------------------------------------------------------
def _git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def _package_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return sorted(
        f
        for f in out
        if (f.startswith("src/") or f in PACKAGE_FILES)
        and "__pycache__" not in f
        and (REPO / f).is_file()
    )


@dataclass(frozen=True)
class PreCommit:
    env: dict[str, str]
    repo: str  # the committed snapshot of this tree
    rev: str
    base: Path


@pytest.fixture(scope="module")
def pc(tmp_path_factory: pytest.TempPathFactory) -> PreCommit:
    """A committed snapshot of this tree, a PRE_COMMIT_HOME, and a git environment of our own."""
    base = tmp_path_factory.mktemp("pre-commit")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        PRE_COMMIT_HOME=str(base / "home"),
        PRE_COMMIT_COLOR="never",
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    env.pop("GITHUB_ACTIONS", None)  # the user sees the text format in a terminal
    snap = base / "trackcheck"
    for rel in _package_files():
        (snap / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, snap / rel)
    _git(snap, "init", "-q", env=env)
    _git(snap, "add", "-A", env=env)
    _git(snap, "commit", "-q", "-m", "snapshot", env=env)
    return PreCommit(env, str(snap), _git(snap, "rev-parse", "HEAD", env=env), base)


def _user_repo(pc: PreCommit, name: str, hooks: list[dict[str, object]]) -> Path:
    env = pc.env
    root = pc.base / name
    root.mkdir()
    _git(root, "init", "-q", env=env)
    config = {"repos": [{"repo": pc.repo, "rev": pc.rev, "hooks": hooks}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    _git(root, "add", ".pre-commit-config.yaml", env=env)
    _git(root, "commit", "-q", "-m", "init", env=env)
    t0 = time.perf_counter()
    r = subprocess.run(
        [PRE_COMMIT, "install", "--install-hooks"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"\npre-commit install --install-hooks: {time.perf_counter() - t0:.1f} s")
    return root


def _commit(root: Path, env: dict[str, str], files: dict[str, str]) -> tuple[int, str]:
    """Write, stage and ``git commit`` with the hook installed: (exit code, what git printed)."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    _git(root, "add", *files, env=env)
    r = subprocess.run(
        ["git", "commit", "-m", "change"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return r.returncode, r.stdout


def _commits(root: Path, env: dict[str, str]) -> int:
    return int(_git(root, "rev-list", "--count", "HEAD", env=env))


@pytest.fixture(scope="module")
def user(pc: PreCommit) -> Path:
    return _user_repo(pc, "user", [{"id": "trackcheck"}, {"id": "trackcheck-policy"}])


def test_hook_environment_has_no_mlflow(pc: PreCommit, user: Path) -> None:
    pythons = list((pc.base / "home").glob("repo*/py_env-*/bin/python"))
    assert pythons, "pre-commit built no python environment for the hook"
    for py in pythons:
        r = subprocess.run(
            [
                str(py),
                "-c",
                "import importlib.util as u, trackcheck;print(u.find_spec('mlflow') is None)",
            ],
            capture_output=True,
            text=True,
        )
        assert r.stdout.strip() == "True", r.stdout + r.stderr


BLOCKED = [
    (
        "config/mlflow/default.yaml",
        "mlflow:\n  tracking_uri: https://mlflow.example.com\n",
        "TC101",
        None,
    ),
    (
        "config/db/databricks.yaml",
        f"databricks:\n  host: ${{oc.env:DATABRICKS_HOST}}\n  token: {TOKEN}\n",
        "TC11",
        TOKEN,
    ),
]


@pytest.mark.parametrize(("rel", "text", "code", "secret"), BLOCKED, ids=["tracking-uri", "token"])
def test_commit_with_a_finding_is_blocked(
    pc: PreCommit, user: Path, rel: str, text: str, code: str, secret: str | None
) -> None:
    before = _commits(user, pc.env)
    rc, out = _commit(user, pc.env, {rel: text})
    print(f"\n--- git commit (blocked) printed:\n{out}--- end")
    assert rc != 0, out
    assert _commits(user, pc.env) == before
    assert re.search(r"^trackcheck\.+Failed$", out, re.M), out
    assert re.search(rf"^{re.escape(rel)}:\d+:\d+: {code}\d* ", out, re.M), out
    if secret:
        assert secret not in out and secret[4:] not in out
    _git(user, "reset", "-q", "--hard", env=pc.env)


def test_clean_commit_passes(pc: PreCommit, user: Path) -> None:
    before = _commits(user, pc.env)
    rc, out = _commit(
        user,
        pc.env,
        {
            "config/mlflow/default.yaml": (
                "enabled: true\ntracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"
                "experiment_name: ${project.name}\nrun_name: ${model.name}\n"
            ),
            ".env.example": "MLFLOW_TRACKING_URI=\nDATABRICKS_TOKEN=\n",
        },
    )
    assert rc == 0, out
    assert re.search(r"^trackcheck\.+Passed$", out, re.M), out
    assert _commits(user, pc.env) == before + 1


def test_file_outside_the_patterns_is_not_read(pc: PreCommit, user: Path) -> None:
    rc, out = _commit(
        user, pc.env, {"notes.txt": f"token: {TOKEN}\ntracking_uri: https://x.example\n"}
    )
    assert rc == 0, out
    assert re.search(r"^trackcheck\.+\(no files to check\)Skipped$", out, re.M), out
    assert TOKEN not in out


def test_policy_hook(pc: PreCommit, user: Path) -> None:
    rc, out = _commit(
        user, pc.env, {"policies/trackcheck.yaml": "extends: default\nalises:\n  allowed: [prod]\n"}
    )
    assert rc != 0, out
    assert re.search(r"^trackcheck policy\.+Failed$", out, re.M)
    assert "policies/trackcheck.yaml:2: unknown key 'alises' (did you mean 'aliases'?)" in out, out
    _git(user, "reset", "-q", "--hard", env=pc.env)
    rc, out = _commit(
        user,
        pc.env,
        {"policies/trackcheck.yaml": "extends: default\naliases:\n  allowed: [prod]\n"},
    )
    assert rc == 0, out
    assert re.search(r"^trackcheck policy\.+Passed$", out, re.M), out


def test_hook_with_a_baseline_reports_only_new_findings_and_never_rewrites_it(
    pc: PreCommit,
) -> None:
    env = pc.env
    root = _user_repo(
        pc, "baselined", [{"id": "trackcheck", "args": ["--baseline", ".trackcheck-baseline.json"]}]
    )
    legacy = "mlflow:\n  tracking_uri: https://legacy.example.com\n"
    (root / "config").mkdir()
    (root / "config/legacy.yaml").write_text(legacy, "utf-8")
    r = subprocess.run(
        [str(BIN / "trackcheck"), "lint", "--write-baseline", ".trackcheck-baseline.json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    baseline = root / ".trackcheck-baseline.json"
    rc, out = _commit(
        root, env, {"config/legacy.yaml": legacy, ".trackcheck-baseline.json": baseline.read_text()}
    )
    assert rc == 0, out
    snapshot = (baseline.read_bytes(), baseline.stat().st_mtime_ns)
    # lines moved above the accepted finding, plus a new secret elsewhere
    rc, out = _commit(
        root,
        env,
        {
            "config/legacy.yaml": "# moved\nproject: x\n" + legacy,
            "config/new.yaml": f"hf_token: {TOKEN}\n",
        },
    )
    assert rc != 0, out
    assert "config/new.yaml" in out and "config/legacy.yaml" not in out and TOKEN not in out
    assert (baseline.read_bytes(), baseline.stat().st_mtime_ns) == snapshot
    assert _git(root, "status", "--porcelain", "--", ".trackcheck-baseline.json", env=env) == ""


def test_example_config_passes_the_hook(pc: PreCommit, user: Path) -> None:
    """This repository's config/ (with its own policy) is clean through the published hook."""
    env = pc.env
    root = pc.base / "example"
    shutil.copytree(REPO / "config", root / "config")
    for extra in ("policies", "pyproject.toml"):
        if (REPO / extra).is_dir():
            shutil.copytree(REPO / extra, root / extra)
        elif (REPO / extra).is_file():
            shutil.copy2(REPO / extra, root / extra)
    _git(root, "init", "-q", env=env)
    shutil.copy2(user / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
    _git(root, "add", "-A", env=env)
    n = len(list((root / "config").rglob("*.y*ml")))
    t0 = time.perf_counter()
    r = subprocess.run(
        [PRE_COMMIT, "run", "trackcheck", "--all-files"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    took = time.perf_counter() - t0
    print(
        f"\npre-commit run trackcheck on the example config/ ({n} files): {took:.2f} s\n{r.stdout}"
    )
    assert r.returncode == 0, r.stdout


def test_this_repositorys_own_config(pc: PreCommit) -> None:
    """.pre-commit-config.yaml is valid and its local trackcheck hook passes on config/."""
    env = dict(pc.env)
    r = subprocess.run(
        [PRE_COMMIT, "validate-config", str(REPO / ".pre-commit-config.yaml")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    cfg = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text("utf-8"))
    local = [h for repo in cfg["repos"] if repo["repo"] == "local" for h in repo["hooks"]]
    tc = next(h for h in local if h["entry"].startswith("trackcheck lint"))
    assert re.search(tc["files"], "config/mlflow/default.yaml") and not re.search(
        tc["files"], "src/x.yaml"
    )
    root = pc.base / "self"
    shutil.copytree(REPO / "config", root / "config")
    for extra in ("policies", "pyproject.toml", ".pre-commit-config.yaml"):
        if (REPO / extra).is_dir():
            shutil.copytree(REPO / extra, root / extra)
        elif (REPO / extra).is_file():
            shutil.copy2(REPO / extra, root / extra)
    _git(root, "init", "-q", env=env)
    _git(root, "add", "-A", env=env)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # language: system uses the dev venv
    r = subprocess.run(
        [PRE_COMMIT, "run", tc["id"], "--all-files"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert r.returncode == 0, r.stdout
    assert "Passed" in r.stdout, r.stdout
