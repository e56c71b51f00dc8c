"""Hydra set up on one config dir: every file read guarded and parsed once, the merge order
recorded."""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import re
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackcheck.lint.compose.blame import Segs, node_at, ref_target
from trackcheck.lint.compose.plan import (
    YAML_SUFFIXES,
    hydra_api,
    override_key,
    repo_off_path,
    search_problem,
    shown_override,
)
from trackcheck.lint.compose.reuse import Merges, lazy_interpolation_map, shared_in_copies
from trackcheck.lint.document import Document, Node
from trackcheck.policy import Policy

if TYPE_CHECKING:
    from trackcheck.lint.compose.results import KeptLoads

# Hydra's error messages, read to find the defaults entry to blame
_IN = re.compile(r"^In '?([^':\s]+)'?:\s*")
_FIND = re.compile(r"Could not (?:find|load) '([^']+)'")
_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_TWICE = re.compile(r"^(\S+) appears more than once")
_INTERP = re.compile(r"Error resolving interpolation '([^']*)'")
_SELF = re.compile(r"Duplicate _self_ defined in (\S+)")
_INVALID_IN = re.compile(r"in '([^']+)'")
_OPTIONS = re.compile(r"Available options in '[^']+':\n((?:\t[^\n]*\n?)+)")
# errors in one file's own shape, whatever is composed with it (TC001); every other error is a
# composition that cannot complete here (TC006)
_OWN = re.compile(r"defaults must be a list|Unsupported type|Duplicate _self_|must be a DictConfig")


def defaults_entries(doc: Document) -> list[tuple[Node, str | None, str]]:
    """(node, group, option) of each entry of a file's defaults list; group None for ``- name``."""
    root = doc.roots[0] if doc.roots and doc.roots[0].kind == "mapping" else None
    d = root.child("defaults") if root else None
    out: list[tuple[Node, str | None, str]] = []
    for n in d.children if d is not None and d.kind == "list" else []:
        if n.kind == "mapping" and n.children:
            k = n.children[0]
            group = re.sub(r"^(?:override|optional)\s+", "", k.name.strip()).split("@")[0]
            out.append((n, group.strip().lstrip("/"), k.value if k.kind == "scalar" else ""))
        elif n.kind == "scalar":
            out.append((n, None, n.value.strip()))
    return out


# Hydra's loads of config files, parsed once per run: (scheme, provider, source path, config
# path) -> the first ConfigResult and its config pickled (None: a config pickle cannot copy).
# Hydra changes the config it is given (takes ``defaults`` out, merges into it), so each load gets
# a copy of its own: unpickled, an exact deep copy at a fifth of ``copy.deepcopy``'s cost; the
# bytes are this process's own
Loads = dict[tuple[str, str, str, str], tuple[Any, bytes] | None]


class Session:
    """Hydra initialised on one config dir: its file reads guarded and parsed once per run
    (``loads``, shared by the run's sessions), its merge order recorded."""

    def __init__(self, config_dir: str, policy: Policy, docs: dict[str, Document], cwd: Path,
                 loads: Loads | None = None):
        self.dir, self.policy, self.docs, self.cwd = config_dir, policy, docs, cwd
        self.loads: Loads | None = {} if loads is None else loads
        self.paths: dict[str, str] = {}  # config path -> real file, this composition
        self.order: list[Any] = []  # Hydra's ResultDefaults in merge order, this composition
        # what Hydra may read: the repository (links followed once, not per file read)
        self.roots = tuple(os.path.realpath(r) for r in (cwd, config_dir))
        self.refused: tuple[Document, str] | None = None
        self.blocked: tuple[Document, Node, str] | None = None  # Hydra would read the env
        self.env_read: str | None = None
        self.outside: str | None = None  # a config file that links out of the repository
        # hydra.searchpath entries of the primary config that Hydra is not given, and why
        self.dropped: list[tuple[Document, Node, str]] = []
        self.primary = ""
        self._files: dict[tuple[str, str], str | None] = {}  # (source dir, config path) -> file
        self._verdicts: dict[str, tuple[str | None, tuple[Node, str] | None]] = {}
        self.kept: KeptLoads | None = None  # Hydra's repository loads, kept (see _reuse)
        # whether another composition may follow in this session: keeping repository loads,
        # placed configs and snapshots pays only then (a single composition keeps none; each
        # file is still parsed once per run, the load cache keeps every file it reads)
        self.more = True

    # Hydra's global state is set up here and undone on exit, in reverse order, whatever happens
    def __enter__(self) -> Session:
        stack = self._stack = ExitStack()
        try:
            stack.enter_context(repo_off_path(self.cwd))
            hydra, gh, _ = hydra_api()
            from hydra._internal.sources_registry import SourcesRegistry
            from omegaconf import OmegaConf
            from omegaconf.resolvers import oc

            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            gh.instance().clear()
            stack.callback(gh.instance().clear)
            stack.enter_context(hydra.initialize_config_dir(
                version_base=None, config_dir=self.dir, job_name="trackcheck"))
            from trackcheck.lint import compose as package  # its switches, read at start

            if not package.CACHE_LOADS:
                self.loads = None
            # every file Hydra reads passes the per-file verdict first; Hydra's own configs (its
            # ``pkg`` source, as packages a search path names are dropped, and the structured
            # configs of its ConfigStore) are only cached
            sources = SourcesRegistry.instance()
            source = sources.resolve("file")
            load = source.__dict__["load_config"]

            def guarded(src: Any, config_path: str) -> Any:
                return self._guarded(src, config_path, load)

            source.load_config = guarded
            stack.callback(setattr, source, "load_config", load)
            for scheme in ("pkg", "structured") if self.loads is not None else ():
                own = sources.types.get(scheme)
                if own is not None and "load_config" in own.__dict__:
                    stack.callback(setattr, own, "load_config", own.__dict__["load_config"])
                    own.load_config = self._cached(own.__dict__["load_config"])
            # the environment is never read: an ``oc.env`` Hydra would resolve fails instead
            OmegaConf.register_new_resolver("oc.env", self._no_env, replace=True)
            stack.callback(OmegaConf.register_new_resolver, "oc.env", oc.env, replace=True)
            self.loader = gh.instance().config_loader()
            single = getattr(self.loader, "_load_single_config", None)
            self.recording = single is not None and package.RECORD_MERGES
            if self.recording:  # Hydra's merge order, recorded as Hydra merges

                def recorded(default: Any, repo: Any) -> Any:
                    self.order.append(default)
                    return single(default, repo)

                self.loader._load_single_config = recorded
            self.merges: Merges | None = None
            if package.REUSE_WORK:
                self._reuse(hydra.__version__, stack)
            # the search path Hydra builds from ``hydra.searchpath`` (after resolving it) keeps
            # only directories of the repository, however the entries were written; patched on
            # the class, as Hydra works on deep copies of the loader's repository
            from hydra._internal.config_repository import ConfigRepository

            init = ConfigRepository.__dict__["initialize_sources"]

            def searched(repo: Any, search_path: Any) -> Any:
                self._keep_local(search_path.get_path())
                return init(repo, search_path)

            ConfigRepository.initialize_sources = searched  # type: ignore[method-assign]
            stack.callback(setattr, ConfigRepository, "initialize_sources", init)
            self.groups = self._groups("")
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _reuse(self, version: str, stack: ExitStack) -> None:
        """Hydra's work that repeats across compositions, done once (``reuse``, ``results``):
        the defaults interpolation map only where an entry reads it, the ConfigStore not copied,
        version strings parsed once; with the load cache, each config file's repository load
        kept and each composition started from the merged prefix an earlier one shared. All of
        it follows hydra-core 1.3's internals (``Merges`` its merge loop); with another Hydra,
        Hydra's own code runs."""
        if not version.startswith("1.3."):
            return
        from hydra._internal import defaults_list

        made = defaults_list.__dict__["_create_interpolation_map"]
        defaults_list._create_interpolation_map = lazy_interpolation_map(made)
        stack.callback(setattr, defaults_list, "_create_interpolation_map", made)
        # Hydra deep-copies its config repository for each composition (and each listing of a
        # group's options), the ConfigStore singleton with it; the copy is only read
        from hydra.core.config_store import ConfigStore

        stack.enter_context(shared_in_copies(ConfigStore))
        # Hydra asks its version base about each defaults entry, parsing two version strings
        # each time: the parse is a pure function, remembered
        from hydra import version as hydra_version

        parse = hydra_version.__dict__["_get_version"]
        hydra_version._get_version = functools.lru_cache(maxsize=64)(parse)
        stack.callback(setattr, hydra_version, "_get_version", parse)
        if self.loads is None or not hasattr(self.loader, "_compose_config_from_defaults_list"):
            return
        from hydra._internal.config_repository import ConfigRepository

        from trackcheck.lint.compose.results import KeptLoads

        repo_load = ConfigRepository.__dict__["load_config"]
        kept = self.kept = KeptLoads()

        def kept_load(repo: Any, config_path: str) -> Any:
            if config_path == self.primary:  # the search path guard works on its own copy
                return repo_load(repo, config_path)
            return kept.load(repo, config_path, repo_load, self._admit, self.more)

        ConfigRepository.load_config = kept_load  # type: ignore[method-assign]
        stack.callback(setattr, ConfigRepository, "load_config", repo_load)
        merges = self.merges = Merges()

        def skipped(default: Any) -> None:
            if self.recording:
                self.order.append(default)

        def composed(defaults: list[Any], repo: Any) -> Any:
            return merges.compose(defaults, repo, self.loader._load_single_config, skipped,
                                  lambda: self.env_read is None, self.primary, self.more)

        self.loader._compose_config_from_defaults_list = composed

    def _no_env(self, key: str, default: Any = None) -> Any:
        self.env_read = str(key)
        raise KeyError("trackcheck composes without reading the environment")

    def _groups(self, parent: str) -> set[str]:
        out: set[str] = set()
        for g in self.loader.list_groups(parent):
            full = f"{parent}/{g}" if parent else g
            if full != "hydra":
                out |= {full, *self._groups(full)}
        return out

    def doc(self, full: str) -> Document:
        if full not in self.docs:
            from trackcheck.lint.discover import Target, rel_posix
            from trackcheck.lint.runner import load

            rel = rel_posix(Path(full), self.cwd)
            self.docs[full] = load(Target(Path(full), rel, "hydra", False), self.policy)
        return self.docs[full]

    def _file(self, src: Any, config_path: str) -> str | None:
        """The real path of the file a file source reads for ``config_path``, if it is one;
        looked up once per run with the load cache (files are read once per run then, too)."""
        key = (str(src.path), config_path)
        if self.loads is not None and key in self._files:
            return self._files[key]
        name = config_path if config_path.endswith(YAML_SUFFIXES) else config_path + ".yaml"
        full = os.path.realpath(os.path.join(src.path, name))
        found = self._files[key] = full if os.path.isfile(full) else None
        return found

    def _verdict(self, doc: Document) -> tuple[str | None, tuple[Node, str] | None]:
        """Why a file must not reach Hydra, or what in it would read the environment: the same
        for every composition that reads it."""
        if doc.path not in self._verdicts:
            reason = _unsafe(doc)
            self._verdicts[doc.path] = (reason, _reaches_out(doc) if reason is None else None)
        return self._verdicts[doc.path]

    def _admit(self, src: Any, config_path: str) -> Document | None:
        """The per-file verdict on a file a file source is to read (raises when it must not),
        and the file recorded as this composition's."""
        full = self._file(src, config_path)
        if full is None:
            return None
        if not any(full == r or full.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots):
            self.outside = config_path  # a link out of the tree: never read
            raise RuntimeError("refused by trackcheck")
        doc = self.doc(full)
        reason, blocked = self._verdict(doc)
        if blocked is not None:
            self.blocked = (doc, *blocked)
            raise RuntimeError("refused by trackcheck")
        if reason:
            self.refused = (doc, reason)
            raise RuntimeError("refused by trackcheck")
        self.paths.setdefault(config_path, full)
        return doc

    def _guarded(self, src: Any, config_path: str, load: Any) -> Any:
        doc = self._admit(src, config_path)
        result = self._load(src, config_path, load)
        if doc is not None and config_path == self.primary:
            self._drop_search_entries(doc, result.config)
        return result

    def _cached(self, load: Any) -> Any:
        def cached(src: Any, config_path: str) -> Any:
            return self._load(src, config_path, load)
        return cached

    def _load(self, src: Any, config_path: str, load: Any) -> Any:
        """Hydra's ``load_config``, read and parsed once per run: every caller gets its own deep
        copy, so no composition sees what Hydra (or another composition) did to a config. A load
        that fails is not kept: it fails again the same way; a config pickle cannot copy (a
        structured config of a local class) is loaded each time."""
        if self.loads is None:
            return load(src, config_path)
        key = (src.scheme(), str(src.provider), str(src.path), config_path)
        if key not in self.loads:
            first = load(src, config_path)
            try:
                self.loads[key] = (first, pickle.dumps(first.config, pickle.HIGHEST_PROTOCOL))
            except Exception:  # pickle raises many types; Hydra copies such a config itself
                self.loads[key] = None
                return first
        hit = self.loads[key]
        if hit is None:
            return load(src, config_path)
        first, config = hit
        return dataclasses.replace(first, config=pickle.loads(config), header=dict(first.header))

    def _drop_search_entries(self, doc: Document, cfg: Any) -> None:
        """Take out of the primary config, before Hydra reads them, the ``hydra.searchpath``
        entries that would make it read outside the repository or import a package."""
        node, status = node_at(doc, ("hydra", "searchpath"))
        if node is None or status != "found" or node.is_empty:
            return
        if node.kind == "scalar":  # a list built by an interpolation Hydra would resolve
            if "${" in node.value:
                self.dropped.append((doc, node, "an interpolation"))
                cfg.hydra.searchpath = []
            return  # anything else is not a list: Hydra refuses it and reads nothing
        if node.kind != "list":
            return
        entries = cfg.hydra.searchpath  # a ListConfig: its items are not resolved here
        for i in reversed(range(min(len(node.children), len(entries)))):
            item = node.children[i]
            if item.kind != "scalar" or not item.is_string:
                continue  # not a string: Hydra refuses the list and reads nothing
            why = search_problem(item.value, self.roots)
            if why:
                self.dropped.insert(0, (doc, item, why))
                del entries[i]

    def _keep_local(self, elements: list[Any]) -> None:
        """Drop, in place, the search path elements ``hydra.searchpath`` gave that are not
        directories of the repository (what ``_drop_search_entries`` could not see written)."""
        for i in reversed(range(len(elements))):
            el = elements[i]
            why = (search_problem(str(el.path), self.roots)
                   if str(el.provider).startswith("hydra.searchpath") else None)
            if why:
                del elements[i]
                primary = self.docs.get(self.paths.get(self.primary, ""))
                node = node_at(primary, ("hydra",))[0] if primary else None
                if primary is not None and node is not None:
                    self.dropped.append((primary, node, why))

    def hydra_config(self, config: str, overrides: tuple[str, ...]) -> Any:
        """What ``hydra.compose`` gives for the config and overrides, its ``hydra`` node
        included; this composition's reads and merge order recorded."""
        from hydra import compose

        self.paths, self.order, self.refused, self.env_read = {}, [], None, None
        self.blocked, self.outside, self.dropped, self.primary = None, None, [], config
        return compose(config_name=config, overrides=list(overrides), return_hydra_config=True)

    def compose(self, config: str,
                overrides: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The composed config as a plain container, unresolved, and Hydra's group choices."""
        from omegaconf import OmegaConf

        cfg = self.hydra_config(config, overrides)
        choices = OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False)
        # what OmegaConf.to_container gives for the config without its hydra node, node by
        # node (taking the node out would open the config: a flag set on every node twice)
        root: dict[str, Any] = {}
        for key in cfg.keys():
            if key != "hydra":
                node = cfg._get_child(key, throw_on_missing_value=False)
                root[key] = (OmegaConf.to_container(node, resolve=False)
                             if OmegaConf.is_config(node) else node._value())
        assert isinstance(choices, dict)
        if not self.recording:  # Hydra's public API: the same list, for a second pass
            from hydra.types import RunMode

            dl = self.loader.compute_defaults_list(config, list(overrides), RunMode.RUN)
            self.order = list(dl.defaults)
        return root, choices

    def merge_list(self) -> list[tuple[Segs, Document]]:
        out = []
        for d in self.order:
            full = self.paths.get(d.config_path or "")
            if full is not None:
                out.append((tuple(d.package.split(".")) if d.package else (), self.docs[full]))
        return out

    def value_overrides(self, overrides: tuple[str, ...]) -> list[Segs]:
        out = []
        for o in overrides:
            key = override_key(o)
            if key and key not in self.groups and not key.startswith("hydra"):
                out.append(tuple(ref_target(key, ()) or ()))
        return out

    def where(self, message: str, overrides: tuple[str, ...],
              primary: str) -> tuple[Document | None, Node | None, str, bool]:
        """Where a composition error belongs (the defaults entry Hydra rejected, else the
        ``defaults`` key of the file it names, else the primary config), a one-line reason, and
        whether the error is that one file's own (a defaults list Hydra rejects whatever else is
        composed with it)."""
        first = message.strip().splitlines()[0] if message.strip() else "unknown error"
        own = _OWN.search(first) is not None
        named = _IN.match(first) or _INVALID_IN.search(first) or _SELF.search(first)
        reason = _IN.sub("", first)
        value = re.search(r"(?i)\bvalue\b", reason)
        if value:  # Hydra quotes config values after it: they may be secrets
            reason = reason[: value.start()].rstrip(" :,.") + " (a value is involved; not shown)"
        for o in overrides:  # an override Hydra quotes is shown the way describe() shows it
            reason = reason.replace(o, shown_override(o, self.policy))
        opts = _OPTIONS.search(message)
        if opts:
            names = [o.strip() for o in opts.group(1).split("\n") if o.strip()]
            reason += f" (options: {', '.join(names)})"
        named_first = ([named.group(1)] if named else []) + [primary] + list(self.paths)
        files = [self.paths[p] for p in named_first if p in self.paths]
        docs = [self.docs[f] for f in dict.fromkeys(files)]
        want = _FIND.search(first)
        over = _OVERRIDE.search(first)
        twice = _TWICE.search(first)
        interp = _INTERP.search(first)
        seen: set[tuple[str, str]] = set()
        for doc in docs:
            for node, group, option in defaults_entries(doc):
                if want and _names(want.group(1), group, option):
                    return doc, node, reason, own
                if (over and group == over.group(1)) or (interp and interp.group(1) in option):
                    return doc, node, reason, own
                self_twice = "_self_" in first and group is None and option == "_self_"
                marker = group if twice and group == twice.group(1) else (
                    "_self_" if self_twice else None)
                if marker is not None:
                    if (doc.path, marker) in seen:  # twice in one defaults list
                        return doc, node, reason, True
                    if twice and marker in {m for _, m in seen}:  # once in each of two files
                        return doc, node, reason, own
                    seen.add((doc.path, marker))
        culprit = next((o for o in overrides
                        if (want and want.group(1).startswith(override_key(o) + "/"))
                        or (over and override_key(o) == over.group(1))), None)
        if culprit:
            reason = f"override '{shown_override(culprit, self.policy)}': {reason}"
        doc = docs[0] if docs and not culprit else (self.docs.get(self.paths.get(primary, "")) or
                                                    (docs[0] if docs else None))
        return doc, _defaults_key(doc), reason, own and not culprit


def _names(missing: str, group: str | None, option: str) -> bool:
    """A defaults entry that selects ``missing`` (``group/option``, relative groups included)."""
    g, _, o = missing.rpartition("/")
    if group is None:
        return option == missing or missing.endswith("/" + option)
    return (g == group or g.endswith("/" + group)) and (option == o or "${" in option)


def _defaults_key(doc: Document | None) -> Node | None:
    root = doc.roots[0] if doc and doc.roots and doc.roots[0].kind == "mapping" else None
    return root.child("defaults") if root else None


def _reaches_out(doc: Document) -> tuple[Node, str] | None:
    """A Hydra setting that makes composing read the environment: ``env_copy`` copies
    environment variables into the composed config. (``hydra.searchpath`` entries that reach out
    are dropped instead, see ``Session._drop_search_entries``.)"""
    in_hydra_group = "/hydra/" in f"/{doc.path}"
    for n in doc.nodes:
        if n.name == "env_copy" and n.kind == "list" and n.children and (
                in_hydra_group or n.key.endswith("job.env_copy")):
            return n, "copies environment variables into the config"
    return None


def _unsafe(doc: Document) -> str | None:
    """Why a file must not reach Hydra (the per-file verdict that keeps it away), or None."""
    for p in doc.problems:
        return f"{p.rule}: {p.message}"
    if doc.duplicates:
        node, _ = doc.duplicates[0]
        return f"TC003: duplicate key '{node.key}'"
    for node in doc.strings():
        if "${" in node.value and doc.interpolation(node).error is not None:
            return f"TC002: invalid interpolation in '{node.key}'"
    return None
