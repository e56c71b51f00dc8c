"""Where the Hydra config trees of a repository are: found from the policy, the code, or the files.

Order (SPEC "Which files are Hydra configs"): the policy's ``config_roots`` when it names any;
otherwise the ``config_path`` of ``@hydra.main`` and ``initialize`` calls and the ``config_dir``
of ``initialize_config_dir`` calls in the repository's Python (read with ``ast``, never imported);
otherwise the conventional ``config/``, ``configs/``, ``conf/``. Either way, a folder whose primary
YAML has a Hydra ``defaults:`` list is a root too, unless a root found before already holds it.
With only file arguments (pre-commit), no repository-wide Python scan is made: the folder roots are
looked for among the files' ancestors instead.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trackcheck.policy import CONVENTIONAL_ROOTS as CONVENTIONAL

if TYPE_CHECKING:
    import ast

_YAML = (".yaml", ".yml")
# a top-level ``defaults:`` key opening a block or flow list: the cheap test before parsing
_DEFAULTS = re.compile(
    r"^defaults[ \t]*:[ \t]*(?:#.*)?(?:\[|\r?\n(?:[ \t]*(?:#.*)?\r?\n)*[ \t]*- )", re.M)
_HYDRA_CALLS = {"main": "config_path", "initialize": "config_path",
                "initialize_config_dir": "config_dir", "initialize_config_module": None}
_SNIFF_BYTES = 64 * 1024  # a primary config opens with its defaults list; read no more than this


@dataclass(frozen=True)
class Root:
    path: str  # POSIX, relative to the working directory; "." for the working directory itself
    how: str  # why it is a root, for ``-v``: "policy", "@hydra.main in src/train.py:12", ...


def find(policy_roots: Iterable[str], files: Iterable[str], cwd: Path, *,
         scan_code: bool) -> list[Root]:
    """Config roots for a run over ``files`` (POSIX paths relative to ``cwd``)."""
    named = [r.strip("/") or "." for r in policy_roots]
    if named:
        return [Root(r, "policy (config_roots)") for r in named]
    files = list(files)
    roots: list[Root] = []
    if scan_code:
        roots = _from_code([f for f in files if f.endswith(".py")], cwd)
    if not roots:
        roots = [Root(c, "conventional name") for c in CONVENTIONAL if (cwd / c).is_dir()]
    held = [r.path for r in roots]
    yaml_dirs = sorted({_parent(f) for f in files if f.lower().endswith(_YAML)},
                       key=lambda d: (d.count("/"), d))
    for d in yaml_dirs if scan_code else _ancestors(yaml_dirs):
        if _inside(d, held):
            continue
        primary = _primary_in(cwd / d)
        if primary is not None:
            roots.append(Root(d, f"Hydra defaults list in {_join(d, primary)}"))
            held.append(d)
    return roots


def _from_code(py_files: list[str], cwd: Path) -> list[Root]:
    found: dict[str, str] = {}
    for rel in sorted(py_files):
        try:
            st = (cwd / rel).stat()  # a FIFO would block the read: regular files only
            text = (cwd / rel).read_text("utf-8", errors="replace") \
                if stat.S_ISREG(st.st_mode) and st.st_size <= 2_000_000 else ""
        except OSError:
            continue
        if "hydra" not in text or ("config_path" not in text and "config_dir" not in text):
            continue
        for root, line in _config_paths(text, rel):
            path = _normal(_parent(rel), root, cwd)
            if path is not None and path not in found and (cwd / path).is_dir():
                found[path] = f"config_path in {rel}:{line}"
    return [Root(p, how) for p, how in found.items()]


def _config_paths(text: str, rel: str) -> Iterable[tuple[str, int]]:
    """(literal config path or dir, line) of the Hydra entry calls in one Python source."""
    import ast  # only when Python sources are searched for config roots

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name not in _HYDRA_CALLS or _HYDRA_CALLS[name] is None:
            continue
        if name == "main" and not _names_hydra(f):
            continue
        kw = _HYDRA_CALLS[name]
        arg = next((k.value for k in node.keywords if k.arg == kw), None)
        if arg is None and name != "main" and node.args:
            arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
            yield arg.value, node.lineno


def _names_hydra(func: ast.expr) -> bool:
    """``hydra.main`` or a bare ``main`` imported from hydra (the file mentions hydra: the
    prefilter already checked), never an unrelated ``app.main(...)``."""
    import ast

    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "hydra"
    return True


def _normal(base: str, path: str, cwd: Path) -> str | None:
    """A config path as a POSIX path relative to ``cwd``; None for packages, absolute paths
    outside the working directory, and paths that climb out of it."""
    if path.startswith(("pkg://", "file://")):
        path = path[len("file://"):] if path.startswith("file://") else ""
        if not path:
            return None
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path, cwd)
        except ValueError:
            return None
    else:
        rel = os.path.normpath(os.path.join(base, path))
    rel = Path(rel).as_posix()
    if rel == ".." or rel.startswith("../"):
        return None
    return rel


def _primary_in(folder: Path) -> str | None:
    """The first YAML file (by name) directly in ``folder`` whose top level opens a Hydra
    ``defaults:`` list that is a primary config's: it selects groups without ``override``."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(_YAML))
    except OSError:
        return None
    for name in names:
        p = folder / name
        try:
            if not p.is_file() or p.is_symlink():
                continue
            with open(p, "rb") as fh:
                head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        m = _DEFAULTS.search(head)
        if m is None:
            continue
        block = head[m.start():m.start() + 2048]
        if "override " not in block and not re.search(r"^\s*-\s*/", block, re.M):
            return name
    return None


def _ancestors(dirs: list[str]) -> list[str]:
    """Every ancestor folder of ``dirs`` (and the folders themselves), outermost first."""
    out: set[str] = set()
    for d in dirs:
        parts = [] if d == "." else d.split("/")
        if parts and parts[0] == "..":
            continue
        out.add(".")
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]))
    return sorted(out, key=lambda d: (0 if d == "." else d.count("/") + 1, d))


def _inside(d: str, roots: list[str]) -> bool:
    return any(r == "." or d == r or d.startswith(r + "/") for r in roots)


def _parent(rel: str) -> str:
    head = rel.rsplit("/", 1)[0] if "/" in rel else "."
    return head or "."


def _join(d: str, name: str) -> str:
    return name if d == "." else f"{d}/{name}"
