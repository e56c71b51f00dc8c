"""Which files to lint and what kind each is: Hydra YAML, other YAML, or a secret-bearing file."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trackcheck.policy import Policy

_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
              ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "site-packages"}
_YAML = (".yaml", ".yml")
# committed templates of .env files are normal; they are scanned for secrets, not flagged as files
ENV_TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults")
# files that are not YAML but hold what TC170/TC171 look for: command lines and Python sources
CODE_KINDS = ("python", "shell", "make", "docker")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
# Hydra's run directories: ``outputs/<date>/<time>/``, ``multirun/<date>/<time>/<job>/``
_HYDRA_RUN_DIR = re.compile(r"(?:^|/)(?:outputs|multirun)/\d{4}-\d{2}-\d{2}/")


class UsageError(Exception):
    """A path argument that does not exist; the CLI turns it into exit 2."""


@dataclass(frozen=True)
class Target:
    path: Path  # as given / found (not resolved: a symlink loop must stay a path)
    rel: str  # POSIX, relative to the working directory when possible
    kind: str  # "hydra" | "yaml" | "env" | "ini" | "netrc" | "secret-file" | one of CODE_KINDS
    secret_file: bool  # TC160: the file itself should not be committed


def rel_posix(p: Path, cwd: Path) -> str:
    try:
        return Path(os.path.relpath(os.path.abspath(p), cwd)).as_posix()
    except ValueError:  # other drive on Windows
        return p.as_posix()


def _matches(rel: str, patterns: list[str]) -> bool:
    pp = PurePosixPath(rel)
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat) or pp.match(pat):
            return True
        if pat.endswith("/**") and (rel + "/").startswith(pat[:-2]):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(pp.name, pat[3:]):
            return True
    return False


def hydra_output(rel: str) -> bool:
    """A file Hydra wrote for a run (TC161): in a ``.hydra/`` folder, a ``multirun.yaml``, or
    under a dated ``outputs/`` or ``multirun/`` run directory."""
    parts = rel.split("/")
    return (".hydra" in parts[:-1] or parts[-1] == "multirun.yaml"
            or bool(_HYDRA_RUN_DIR.search(rel)))


def code_kind(name: str) -> str | None:
    """``python``, ``shell``, ``make`` or ``docker`` by the file name, else None."""
    low = name.lower()
    if low.endswith(".py"):
        return "python"
    if low.endswith((".sh", ".bash")):
        return "shell"
    if name in _MAKEFILES or low.endswith(".mk"):
        return "make"
    if name in ("Dockerfile", "Containerfile") or low.endswith(".dockerfile") \
            or name.startswith("Dockerfile."):
        return "docker"
    return None


def classify(rel: str, policy: Policy) -> Target | None:
    """Kind of a file by its path, or None when trackcheck has nothing to say about it."""
    name = PurePosixPath(rel).name
    if name.lower().endswith(_YAML):
        # Hydra's saved run config is YAML, not config to compose: no interpolation rules there
        kind = "yaml" if hydra_output(rel) or _matches(rel, policy.non_hydra_yaml) else "hydra"
        return Target(Path(rel), rel, kind, False)
    if name in ENV_TEMPLATES:
        return Target(Path(rel), rel, "env", False)
    if any(fnmatch.fnmatch(name, pat) for pat in policy.secret_files):
        if name == ".env" or name.startswith(".env."):
            kind = "env"
        elif name == ".databrickscfg":
            kind = "ini"
        elif name in (".netrc", "_netrc"):
            kind = "netrc"
        else:
            kind = "secret-file"
        return Target(Path(rel), rel, kind, True)
    code = code_kind(name)
    if code is not None:
        return Target(Path(rel), rel, code, False)
    return None


def discover(args: list[str], policy: Policy, cwd: Path) -> tuple[list[Target], int]:
    """Expand directories, keep explicit files; returns targets and how many files were skipped."""
    if not args:
        args = []
        if (cwd / policy.config_root).is_dir():
            args.append(policy.config_root)
        for entry in sorted(os.listdir(cwd)):
            if (cwd / entry).is_dir():  # e.g. a virtualenv named .env: not a secret file
                continue
            t = classify(entry, policy)
            if t is not None and t.kind not in ("hydra", "yaml", *CODE_KINDS):
                args.append(entry)
    targets: list[Target] = []
    skipped = 0
    seen: set[str] = set()
    for arg in args:
        p = Path(arg)
        if not os.path.lexists(p):
            raise UsageError(f"{arg}: no such file or directory")
        if p.is_dir() and not p.is_symlink():
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for fname in sorted(files):
                    fp = Path(root) / fname
                    rel = rel_posix(fp, cwd)
                    t = classify(rel, policy)
                    if t is None or rel in seen:
                        continue
                    seen.add(rel)
                    targets.append(Target(fp, rel, t.kind, t.secret_file))
        else:
            rel = rel_posix(p, cwd)
            t = classify(rel, policy)
            if t is None:
                skipped += 1
                continue
            if rel not in seen:
                seen.add(rel)
                targets.append(Target(p, rel, t.kind, t.secret_file))
    return targets, skipped
