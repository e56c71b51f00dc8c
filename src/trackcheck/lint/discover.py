"""Which files to lint and what kind each is: Hydra YAML, other YAML, a secret-bearing file, code.

With no paths, the repository: the files git lists (tracked, and untracked ones git does not
ignore), or outside git a walk that honours ``.gitignore`` files. Directories given are expanded
the same way; files given are linted as given (pre-commit passes them), git-ignored or not.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from trackcheck.lint import roots as roots_mod
from trackcheck.lint.roots import Root
from trackcheck.policy import Policy

# never a project's own files, even when git does not ignore them
_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
              ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "site-packages",
              ".eggs", ".ipynb_checkpoints"}
_YAML = (".yaml", ".yml")
# committed templates of .env files are normal; they are scanned for secrets, not flagged as files
ENV_TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults")
# files that are not YAML but hold what TC170/TC171 look for: command lines and Python sources
CODE_KINDS = ("python", "shell", "make", "docker")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
# Hydra's run directories: ``outputs/<date>/<time>/``, ``multirun/<date>/<time>/<job>/``
_HYDRA_RUN_DIR = re.compile(r"(?:^|/)(?:outputs|multirun)/\d{4}-\d{2}-\d{2}/")
# YAML a package manager writes: resolved versions and package names, never config
_LOCK_FILE = re.compile(r"(?:^|[-.])lock\.ya?ml$|^pnpm-lock\.ya?ml$", re.I)
_GIT_TIMEOUT = 60.0
KIND_NAMES = {"hydra": "Hydra config", "yaml": "YAML (not Hydra config)",
              "generated": "generated YAML (scanned for tokens and credential URIs only)",
              "env": ".env file", "ini": "INI file", "netrc": "netrc file",
              "secret-file": "secret-bearing file", "python": "Python", "shell": "shell script",
              "make": "Makefile", "docker": "Dockerfile"}


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
    """Whether a POSIX path matches one of the policy's path globs: as ``fnmatch`` on the whole
    path (``*`` crosses ``/``), as ``PurePosixPath.match`` (from the right, component by
    component), ``dir/**`` as everything below ``dir``, ``**/name`` as a name anywhere."""
    return _globs(tuple(patterns)).match(rel)


class _Globs:
    """A policy's globs compiled once: a tree of thousands of files is classified with a few
    anchored matches per file, not one ``fnmatch`` per file and pattern. The whole-path readings
    are one anchored regex; the from-the-right readings are one regex per component count, matched
    against that many last components (a search for ``(?:^|/)...$`` would try every position)."""

    def __init__(self, patterns: tuple[str, ...]):
        whole: list[str] = []
        tails: dict[int, list[str]] = {}
        for pat in patterns:
            whole.append(_glob_part(pat, crossing=True))
            parts = [c for c in pat.split("/") if c]
            right = "/".join(_glob_part(c, crossing=False) for c in parts)
            if pat.startswith("/"):  # an absolute glob: absolute paths
                whole.append("/" + right)
            elif parts:
                tails.setdefault(len(parts), []).append(right)
            if pat.endswith("/**"):
                whole.append(re.escape(pat[:-3]) + "(?:/.*)?")
            if pat.startswith("**/"):
                tails.setdefault(1, []).append(_glob_part(pat[3:], crossing=False))
        self.whole = _one(whole)
        self.tails = [(k, _one(alts)) for k, alts in sorted(tails.items())]

    def match(self, rel: str) -> bool:
        if self.whole is not None and self.whole(rel) is not None:
            return True
        for k, rx in self.tails:
            start = _last_components(rel, k)
            if start is not None and rx is not None and rx(rel, start) is not None:
                return True
        return False


def _last_components(rel: str, k: int) -> int | None:
    """Where the last ``k`` components of a path start, or None when it has fewer."""
    start = len(rel)
    for seen in range(k):
        start = rel.rfind("/", 0, start)
        if start < 0:
            return 0 if seen == k - 1 else None
    return start + 1


def _one(alts: list[str]) -> Callable[..., re.Match[str] | None] | None:
    """One anchored regex for alternatives (its ``fullmatch``), or None for none."""
    return re.compile("|".join(f"(?:{a})" for a in alts), re.S).fullmatch if alts else None


@lru_cache(maxsize=64)
def _globs(patterns: tuple[str, ...]) -> _Globs:
    return _Globs(patterns)


def _glob_part(glob: str, *, crossing: bool) -> str:
    """A glob as a regex: ``*`` and ``?`` cross ``/`` only when ``crossing`` (fnmatch); a run of
    stars is one (two in a row would match the same text in quadratically many ways)."""
    star, one = (".*", ".") if crossing else ("[^/]*", "[^/]")
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            if not (out and out[-1] is star):
                out.append(star)
        elif c == "?":
            out.append(one)
        elif c == "[" and "]" in glob[i + 2:]:
            j = glob.index("]", i + 2)
            body = glob[i + 1:j]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


# lightning-hydra-template's run directories: ``logs/<task>/runs/<date>_<time>/``,
# ``logs/<task>/multiruns/<date>_<time>/<job>/``, and ``logs/runs/<date>/``
_DATED_RUNS = re.compile(r"(?:^|/)(?:runs|multiruns)/\d{4}-\d{2}-\d{2}[_/T]")


def hydra_output(rel: str) -> bool:
    """A file Hydra wrote for a run (TC161), read as plain YAML: in a ``.hydra/`` folder, a
    ``multirun.yaml``, or under a dated run directory (``outputs/<date>/``, ``multirun/<date>/``,
    ``runs/<date>_<time>/``, ``multiruns/<date>_<time>/``)."""
    parts = rel.split("/")
    return (".hydra" in parts[:-1] or parts[-1] == "multirun.yaml"
            or bool(_HYDRA_RUN_DIR.search(rel) or _DATED_RUNS.search(rel)))


# where an MLflow file store keeps metadata: ``<experiment id>/[<run id>/]meta.yaml``
_MLFLOW_META = re.compile(r"(?:^|/)\d+/(?:[0-9a-f]{32}/)?meta\.yaml$")


def mlflow_store_file(rel: str) -> bool:
    """A file of an MLflow file store (TC162), read as plain YAML: anything under an ``mlruns/``
    folder, or a ``meta.yaml`` where a store keeps experiment and run metadata."""
    return "mlruns" in rel.split("/")[:-1] or bool(_MLFLOW_META.search(rel))


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
    """Kind of a file by its path, or None when trackcheck has nothing to say about it. YAML is
    Hydra config under a config root (``policy.config_roots``; without any, the conventional
    names), and plain YAML elsewhere."""
    found = kind_of(rel, policy)
    return None if found is None else Target(Path(rel), rel, *found)


def kind_of(rel: str, policy: Policy) -> tuple[str, bool] | None:
    """(kind, whether the file itself is a secret file) of a POSIX path, or None."""
    name = rel.rsplit("/", 1)[-1]
    if name.lower().endswith(_YAML):
        if _LOCK_FILE.search(name):
            return "generated", False
        if (hydra_output(rel) or _matches(rel, policy.non_hydra_yaml)
                or policy.root_of(rel) is None):
            # outside the config trees, or Hydra's saved run config: YAML, not config to compose
            return "yaml", False
        return "hydra", False
    if name in ENV_TEMPLATES:
        return "env", False
    if _globs(tuple(policy.secret_files)).match(name):
        if name == ".env" or name.startswith(".env."):
            return "env", True
        if name == ".databrickscfg":
            return "ini", True
        if name in (".netrc", "_netrc"):
            return "netrc", True
        return "secret-file", True
    code = code_kind(name)
    return None if code is None else (code, False)


@dataclass
class Discovery:
    """What one run lints, where its config roots are, and what was searched to find them."""

    targets: list[Target]
    policy: Policy  # the run's policy, with ``config_roots`` set to the roots found
    roots: list[Root] = field(default_factory=list)
    skipped: int = 0  # files named on the command line that trackcheck does not read
    searched: list[str] = field(default_factory=list)  # "the files git lists under ." ...
    listed: int = 0  # files looked at in directories (before classification)
    only_files: bool = False  # every argument was a file (pre-commit): no "nothing linted" error


def discover(args: list[str], policy: Policy, cwd: Path) -> Discovery:
    """Expand directories (the repository when ``args`` is empty), keep explicit files, find the
    config roots, and classify every file by them."""
    listed: list[tuple[Path, str]] = []  # (path as found, POSIX path relative to cwd)
    explicit: set[str] = set()
    searched: list[str] = []
    dirs_given = not args
    # the files pre-commit passes are relative to the working directory: their relative path is
    # their normal form, without pathlib and two system calls each
    here = os.sep == "/" and os.path.abspath(".") == os.path.abspath(cwd)
    for arg in args or ["."]:
        p = Path(arg)
        try:
            mode = os.lstat(p).st_mode
        except (OSError, ValueError):  # ValueError: a NUL in the name
            raise UsageError(f"{arg}: no such file or directory") from None
        if stat.S_ISDIR(mode):  # a directory itself, not a link to one
            dirs_given = True
            files, how = _expand(p, cwd)
            searched.append(f"{how} under {rel_posix(p, cwd) if args else '.'}")
            listed += files
        else:
            rel = os.path.normpath(arg) if here and not os.path.isabs(arg) else rel_posix(p, cwd)
            explicit.add(rel)
            listed.append((p, rel))
    found = roots_mod.find(policy.config_roots, (r for _, r in listed), cwd, scan_code=dirs_given)
    run_policy = replace(policy, config_roots=[r.path for r in found])
    targets: list[Target] = []
    seen: set[str] = set()
    skipped = 0
    for path, rel in listed:
        found_kind = kind_of(rel, run_policy)
        if found_kind is None:
            skipped += rel in explicit
            continue
        if rel not in seen:
            seen.add(rel)
            targets.append(Target(path, rel, *found_kind))
    return Discovery(targets, run_policy, found, skipped, searched,
                     len(listed) - len(explicit), only_files=not dirs_given)


def _expand(top: Path, cwd: Path) -> tuple[list[tuple[Path, str]], str]:
    """The files of a directory: as git lists them, else a walk honouring ``.gitignore``."""
    names = _git_files(top)
    how = "the files git lists (tracked, or untracked and not ignored)"
    if names is None:
        names, how = _walk(top), "a walk honouring .gitignore"
    out = []
    base = rel_posix(top, cwd)
    prefix = "" if base == "." else base + "/"  # one relpath for the folder, not one per file
    for name in sorted(set(names)):
        if _skipped_dir(name):
            continue
        p = top / name
        try:
            if stat.S_ISDIR(os.lstat(p).st_mode):
                continue  # a submodule
        except OSError:
            continue  # deleted in the work tree
        out.append((p, os.path.normpath(prefix + name) if ".." in name else prefix + name))
    return out, how


def _skipped_dir(rel: str) -> bool:
    return any(part in _SKIP_DIRS for part in rel.split("/")[:-1])


def _git_files(top: Path) -> list[str] | None:
    """Paths (relative to ``top``) git lists there, or None when ``top`` is not in a work tree
    or git is not installed."""
    import subprocess  # only when git is asked: a hook run may never need it

    try:
        out = subprocess.run(
            ["git", "-C", str(top), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", "."],
            capture_output=True, timeout=_GIT_TIMEOUT, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    names = [os.fsdecode(n) for n in out.stdout.split(b"\0") if n]
    if not names and _ignored_by_git(top):
        return None  # a directory git ignores, named on purpose (``lint .demo/``): walk it
    return names


def _ignored_by_git(top: Path) -> bool:
    import subprocess  # only when git is asked: a hook run may never need it

    try:
        return subprocess.run(["git", "-C", str(top), "check-ignore", "-q", "."],
                              capture_output=True, timeout=_GIT_TIMEOUT, check=False
                              ).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _walk(top: Path) -> list[str]:
    """Every file under ``top`` that the ``.gitignore`` files met on the way do not exclude."""
    from pathspec import GitIgnoreSpec

    specs: dict[str, GitIgnoreSpec] = {}
    found: list[str] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        for i in range(len(parts)):
            spec = specs.get("/".join(parts[:i]))
            if spec is not None and spec.match_file("/".join(parts[i:]) + ("/" if is_dir else "")):
                return True
        return False

    for root, dirs, files in os.walk(top, followlinks=False):
        base = Path(os.path.relpath(root, top)).as_posix()
        base = "" if base == "." else base
        gi = Path(root) / ".gitignore"
        if gi.is_file() and not gi.is_symlink():
            try:
                lines = gi.read_text("utf-8", errors="replace").splitlines()
                specs[base] = GitIgnoreSpec.from_lines(lines)
            except (OSError, ValueError):
                pass
        prefix = f"{base}/" if base else ""
        dirs[:] = sorted(d for d in dirs
                         if d not in _SKIP_DIRS and not ignored(prefix + d, True))
        found += [prefix + f for f in sorted(files) if not ignored(prefix + f, False)]
    return found
