"""Which compositions ``--compose`` asks for, checked before any file is linted."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackcheck.detect.redact import mask
from trackcheck.detect.uris import credential_in_uri
from trackcheck.policy import Policy

INSTALL_HINT = "--compose needs Hydra: pip install 'trackcheck[hydra]'"
YAML_SUFFIXES = (".yaml", ".yml")


class ComposeError(Exception):
    """A ``--compose`` request that cannot run: no Hydra, unknown config, bad override syntax."""


@dataclass(frozen=True)
class Entry:
    """One entrypoint to compose: its primary config, override sets and swept groups."""

    label: str
    config: str  # primary config name inside ``config_dir``
    config_dir: str  # absolute
    override_sets: tuple[tuple[str, ...], ...] = ((),)
    # groups whose every option is composed too: () none (the config as committed), None every
    # group; only a policy entrypoint's ``sweep`` asks for more than ()
    sweep: tuple[str, ...] | None = ()


def hydra_api() -> Any:
    """Hydra's entry points, imported with the repository off ``sys.path`` (see
    ``repo_off_path``)."""
    try:
        with repo_off_path(Path.cwd()):
            import hydra
            from hydra.core.global_hydra import GlobalHydra
            from hydra.core.override_parser.overrides_parser import OverridesParser
    except ImportError:
        raise ComposeError(INSTALL_HINT) from None
    return hydra, GlobalHydra, OverridesParser


@contextmanager
def repo_off_path(root: Path) -> Iterator[None]:
    """``sys.path`` without the repository for as long as Hydra runs. Hydra imports every
    ``hydra_plugins`` package it finds on ``sys.path`` when it starts, and ``python -m trackcheck``
    puts the working directory first: a repository's own ``hydra_plugins/`` (or a ``hydra.py``)
    would run its code. Only installed packages are imported."""
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if not _repo_entry(p, root)]
    try:
        yield
    finally:
        sys.path[:] = saved


def _repo_entry(entry: str, root: Path) -> bool:
    """A ``sys.path`` entry that is the repository's root (``''`` is the working directory),
    or a folder inside it that holds a ``hydra_plugins`` package."""
    full = os.path.realpath(entry or os.getcwd())
    if full == os.path.realpath(root) or full == os.path.realpath(os.getcwd()):
        return True
    return inside(full, (root,)) and os.path.exists(os.path.join(full, "hydra_plugins"))


def _primary(config: str, config_dir: str, cwd: Path) -> tuple[str, str]:
    """(config name, absolute config dir) of a ``--compose`` argument: a name in the config dir,
    or a path to the primary config file."""
    root = os.path.abspath(cwd / config_dir)
    if config.endswith(YAML_SUFFIXES) or (cwd / config).is_file():
        full = os.path.abspath(cwd / config)
        if not os.path.isfile(full):
            raise ComposeError(f"--compose {config}: no such file")
        inside = os.path.commonpath([full, root]) == root if os.path.isdir(root) else False
        base = root if inside else os.path.dirname(full)
        return Path(os.path.relpath(full, base)).with_suffix("").as_posix(), base
    if not os.path.isdir(root):
        raise ComposeError(f"--compose {config}: no config directory '{config_dir}'")
    if not any(os.path.isfile(os.path.join(root, config + ext)) for ext in YAML_SUFFIXES):
        raise ComposeError(
            f"--compose {config}: no primary config '{config}.yaml' in '{config_dir}'")
    return config, root


def _default_config_dir(policy: Policy) -> str:
    """Where entrypoints are composed from unless they say: the policy's first config root."""
    return policy.first_root


def plan(policy: Policy, configs: Sequence[str], overrides: Sequence[str],
         cwd: Path | None = None) -> list[Entry]:
    """The entrypoints ``--compose CONFIG [-o OVERRIDE ...]`` asks for. CONFIG names policy
    entrypoints (by ``config``, globs allowed) or a primary config, composed as committed (its
    defaults list as written: sweeps are what a policy entrypoint asks for); ``-o`` gives one
    override set instead of the entrypoint's sets and sweeps. Checks that Hydra is installed and
    the overrides parse and stay inside the repository, so a bad request fails before any file is
    linted."""
    cwd = cwd or Path.cwd()
    if overrides and not configs:
        raise ComposeError("-o/--override needs --compose CONFIG")
    _, _, parser = hydra_api()
    entries: list[Entry] = []
    for c in configs:
        matched = [ep for ep in policy.entrypoints if fnmatch.fnmatchcase(ep.config, c)]
        if not matched and any(ch in c for ch in "*?["):
            raise ComposeError(f"--compose {c}: no entrypoint of the policy matches")
        for ep in matched:
            name, cdir = _primary(ep.config, ep.config_dir or _default_config_dir(policy), cwd)
            if not inside(cdir, (cwd,)):  # a committed policy names no tree outside the repo
                raise ComposeError(f"entrypoint {ep.config}: its config directory is outside "
                                   "the repository")
            sets = ((tuple(overrides),) if overrides
                    else tuple(tuple(s) for s in ep.overrides or [[]]))
            sweep = () if overrides else (None if ep.sweep == "all" else tuple(ep.sweep))
            entries.append(Entry(ep.config, name, cdir, sets, sweep))
        if not matched:
            name, cdir = _primary(c, _default_config_dir(policy), cwd)
            entries.append(Entry(name, name, cdir, (tuple(overrides),), ()))
    for e in entries:
        for s in e.override_sets:
            for o in s:
                if override_key(o).endswith("env_copy"):
                    raise ComposeError(f"entrypoint {e.label}: override '{override_key(o)}' "
                                       "would make Hydra read the environment")
            try:
                parsed = parser.create().parse_overrides(overrides=list(s))
            except Exception as err:  # OverrideParseException and friends: the text is the user's
                shown = [shown_override(o, policy) for o in s]
                # Hydra's message quotes the override, or the part of it it choked on
                why = (str(err).splitlines() or [""])[0] if shown == list(s) else \
                    "(Hydra's message quotes a secret value; not shown)"
                raise ComposeError(f"entrypoint {e.label}: cannot parse overrides {shown}: "
                                   f"{why}") from None
            for ov in parsed:
                if not ov.get_key_element().startswith("hydra.searchpath"):
                    continue
                value = ov.value()
                for item in value if isinstance(value, list) else [value]:
                    why = search_problem(item, (cwd, Path(e.config_dir))) \
                        if isinstance(item, str) else None
                    if why:
                        raise ComposeError(f"entrypoint {e.label}: override 'hydra.searchpath' "
                                           f"names {why}; trackcheck composes from the "
                                           "repository only")
    return entries


def inside(path: str | Path, roots: Sequence[str | Path]) -> bool:
    """Whether ``path`` (links followed) is one of ``roots`` or below one."""
    full = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        try:
            if os.path.commonpath([full, base]) == base:
                return True
        except ValueError:  # another drive
            continue
    return False


def search_problem(entry: str, roots: Sequence[str | Path]) -> str | None:
    """Why Hydra must not read a ``hydra.searchpath`` entry (trackcheck composes from the
    repository only), or None for a directory inside ``roots``."""
    if "${" in entry:  # Hydra would resolve it first: the environment, or anything at all
        return "an interpolation"
    scheme, sep, path = entry.partition("://")
    if not sep:  # Hydra's own default for an entry without a scheme
        scheme, path = "file", entry
    if scheme == "pkg":
        return "a Python package (finding it imports code)"
    if scheme != "file":
        return f"a '{scheme}://' source, not a directory"
    # Hydra reads a relative path from the working directory
    if not inside(os.path.join(os.getcwd(), path), roots):
        return "a directory outside the repository"
    return None


def override_key(text: str) -> str:
    """The key or group an override names: ``+experiment=foo`` -> ``experiment``."""
    return re.split(r"[=@]", text.lstrip("+~"), maxsplit=1)[0].strip()


def shown_override(text: str, policy: Policy) -> str:
    """An override as the user wrote it, with a secret-looking value masked."""
    key, sep, value = text.partition("=")
    name = re.split(r"[./]", key.lstrip("+~"))[-1]
    if sep and value and (policy.is_secret_key(name) or policy.find_token(value)
                          or credential_in_uri(value) is not None):
        return f"{key}={mask(value)}"
    return text


def describe(entry: Entry, overrides: tuple[str, ...], policy: Policy) -> str:
    if not overrides:
        return f"entrypoint {entry.label}, no overrides"
    shown = " ".join(shown_override(o, policy) for o in overrides)
    return f"entrypoint {entry.label}, overrides: {shown}"
