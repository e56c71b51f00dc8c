"""TC160 secret-file-committed: which names are flagged, once per file; git-ignored files."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import findings_for, lint_text
from trackcheck.engine import Selection
from trackcheck.lint.discover import classify, discover
from trackcheck.lint.runner import lint
from trackcheck.policy import Policy, load_policy

FAIL = [
    ".env", ".env.local", ".env.production", "config/.env", "deploy/.env.prod", ".databrickscfg",
    ".netrc", "_netrc", ".pgpass", "certs/client.pem", "tls/server.key", "keys/cert.p12",
    "keys/cert.pfx", "id_rsa", ".ssh/id_ed25519", "credentials.json",
    "secrets/service-account-training.json", "gcp-credentials.json",
]
# committed templates: scanned for secrets like any file, never flagged as files
TEMPLATES = [".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
             "config/.env.example"]
NOT_SECRET_FILES = ["config/mlflow/default.yaml", "environment.yml", ".github/workflows/ci.yaml"]
BODY = "MLFLOW_TRACKING_USERNAME=ml\n"


def load_policy_text(text: str) -> Policy:
    path = Path(tempfile.mkdtemp(prefix="tc-policy-")) / "trackcheck.yaml"
    path.write_text(text, "utf-8")
    return load_policy(path)[0]


@pytest.mark.parametrize("rel", FAIL)
def test_flags(rel: str) -> None:
    (f,) = findings_for("TC160", BODY, rel)
    assert (f.path, f.line, f.column, f.key) == (rel, None, None, "")
    assert Path(rel).name in f.message and "must not be committed" in f.message
    assert f.severity.value == "error"


@pytest.mark.parametrize("rel", TEMPLATES + NOT_SECRET_FILES)
def test_passes(rel: str) -> None:
    assert findings_for("TC160", "key: value\n", rel) == []


@pytest.mark.parametrize("rel", ["notes.txt", "model.pkl", "data/credentials.csv", "README.md"])
def test_other_files_are_not_linted_at_all(rel: str) -> None:
    assert classify(rel, load_policy("default")[0]) is None


def test_once_per_file_and_nothing_of_the_contents() -> None:
    body = "".join(f"TOKEN_{i}=dapi{'0123456789abcdef' * 2}\n" for i in range(5))
    report = lint_text(body, ".env")
    (f,) = [f for f in report.findings if f.rule == "TC160"]
    assert "dapi" not in f.message
    assert "environment file" in f.message


def test_empty_and_unreadable_secret_files_still_count() -> None:
    assert len(findings_for("TC160", "", ".env")) == 1
    assert len(findings_for("TC160", "\x00\x01binary", "keys/deploy.key")) == 1


def test_fingerprint_is_the_path() -> None:
    (a,) = findings_for("TC160", "A=1\n", ".env")
    (b,) = findings_for("TC160", "A=2\nB=3\n", ".env")
    (c,) = findings_for("TC160", "A=1\n", "config/.env")
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_policy_secret_files() -> None:
    policy = load_policy_text("secret_files: ['*.kdbx', '.env']\n")
    assert len(findings_for("TC160", "x", "vault.kdbx", policy=policy)) == 1
    assert classify("id_rsa", policy) is None
    assert classify("vault.kdbx", load_policy("default")[0]) is None


def test_file_wide_suppression_and_per_path_ignore() -> None:
    text = '# trackcheck: ignore-file[TC160] reason="test fixture"\nA=1\n'
    report = lint_text(text, "tests/fixtures/.env")
    assert [f.rule for f in report.findings] == []
    assert [(f.rule, f.suppressed) for f in report.suppressed] == [
        ("TC160", "inline: test fixture")]
    policy = load_policy_text("per_path_ignores:\n  'tests/fixtures/*': [TC160]\n")
    assert findings_for("TC160", "A=1\n", "tests/fixtures/.env", policy=policy) == []


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})


def test_git_ignored_local_files_are_not_committed_ones(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text(".env\n*.pem\n")
    for name in (".env", "tracked.pem", "client.pem", ".databrickscfg"):
        (tmp_path / name).write_text("A=1\n")
    # a file git ignores but someone force-added is committed all the same
    _git(tmp_path, "add", "-f", "tracked.pem")
    policy = load_policy("default")[0]
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        names = [".env", "tracked.pem", "client.pem", ".databrickscfg"]
        targets = discover(names, policy, tmp_path).targets
        report = lint(targets, policy, Selection(select=("TC160",)))
    finally:
        os.chdir(old)
    assert sorted(f.path for f in report.findings) == [".databrickscfg", "tracked.pem"]
