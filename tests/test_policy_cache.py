"""The cache of validated policy files: a policy whose exact layers were validated before is
built without pydantic; any edit, an unwritable cache or an invalid policy means validation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trackcheck import policy as module
from trackcheck.policy import PolicyError, load_policy

POLICY = ("aliases:\n  allowed: [dev, prod, canary]\nrules:\n  TC140: {severity: error}\n"
          "guard:\n  lock_timeout: 5\nconfig_root: conf\n")

# main(argv) in a fresh interpreter; the last two lines: whether pydantic was loaded, the exit code
PROBE = (
    "import sys\n"
    "from trackcheck.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print()\n"
    "print(any(m.split('.')[0] in ('pydantic', 'pydantic_core') for m in sys.modules))\n"
    "print(rc)\n"
)


def run(cwd: Path, *argv: str) -> tuple[bool, int, str]:
    """``trackcheck ARGV`` in a fresh process (inheriting this test's TRACKCHECK_CACHE_DIR):
    whether it loaded pydantic, its exit code, its stderr."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    *_, validated, rc = p.stdout.rstrip("\n").splitlines()
    return validated == "True", int(rc), p.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("seed: 42\n", "utf-8")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "trackcheck.yaml").write_text(POLICY, "utf-8")
    return tmp_path


def test_a_policy_validated_once_is_built_without_pydantic_next_time(
        repo: Path, policy_cache: Path) -> None:
    assert run(repo, "lint", "conf/config.yaml")[:2] == (True, 0)  # first run: validated
    assert [p.name[:7] for p in policy_cache.iterdir()] == ["policy-"]  # one marker, no temp file
    assert run(repo, "lint", "conf/config.yaml")[:2] == (False, 0)
    # an edit anywhere in any layer is a new key: validated again, then remembered
    (repo / "policies" / "trackcheck.yaml").write_text(POLICY + "max_depth: 50\n", "utf-8")
    assert run(repo, "lint", "conf/config.yaml")[:2] == (True, 0)
    assert run(repo, "lint", "conf/config.yaml")[:2] == (False, 0)


def test_an_edited_layer_below_is_validated_again(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("max_depth: 50\n", "utf-8")
    (tmp_path / "p.yaml").write_text("extends: base.yaml\n", "utf-8")
    assert load_policy("p.yaml", cwd=tmp_path)[0].max_depth == 50
    assert load_policy("p.yaml", cwd=tmp_path)[0].max_depth == 50  # from the cache
    (tmp_path / "base.yaml").write_text("max_depth: 5000\n", "utf-8")
    with pytest.raises(PolicyError, match=r"base\.yaml:1: 'max_depth': .*less than or equal"):
        load_policy("p.yaml", cwd=tmp_path)


def test_an_invalid_policy_is_never_cached(repo: Path, policy_cache: Path) -> None:
    (repo / "policies" / "trackcheck.yaml").write_text("aliases:\n  allowd: [prod]\n", "utf-8")
    for _ in range(2):  # the same error, every run
        validated, rc, err = run(repo, "lint", "conf/config.yaml")
        assert (validated, rc) == (True, 2)
        assert err == ("trackcheck: policies/trackcheck.yaml:2: unknown key 'aliases.allowd' "
                       "(did you mean 'allowed'?)\n")
    assert not policy_cache.exists()


def test_an_unwritable_cache_still_validates_every_run(repo: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("", "utf-8")  # the cache "directory" is a file: every write fails
    monkeypatch.setenv("TRACKCHECK_CACHE_DIR", str(blocked / "cache"))
    for _ in range(2):
        assert run(repo, "lint", "conf/config.yaml") == (True, 0, "")


def test_the_cache_directory_falls_back_to_xdg_then_home(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKCHECK_CACHE_DIR", str(tmp_path / "given"))
    assert module._cache_dir() == tmp_path / "given"
    monkeypatch.delenv("TRACKCHECK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert module._cache_dir() == tmp_path / "xdg" / "trackcheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert module._cache_dir() == tmp_path / "home" / ".cache" / "trackcheck"


def test_a_cached_policy_is_the_validated_one(repo: Path) -> None:
    validated, _ = load_policy(cwd=repo)
    cached, _ = load_policy(cwd=repo)
    assert validated.config_roots == ["conf"] and validated.guard.lock_timeout == 5.0
    # repr shows each value's type too: Severity, not 'error'; 5.0, not 5
    assert repr(cached) == repr(validated) and cached == validated


def test_a_policy_leaning_on_conversions_is_validated_every_run(tmp_path: Path,
                                                                policy_cache: Path) -> None:
    # YAML gives the string '50': only validation makes it the number a limit must be
    (tmp_path / "p.yaml").write_text("max_depth: '50'\n", "utf-8")
    for _ in range(2):
        assert load_policy("p.yaml", cwd=tmp_path)[0].max_depth == 50
    assert not policy_cache.exists()
