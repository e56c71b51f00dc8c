"""Compose Hydra configs as the training entrypoint will, never resolving, and check the result.

The only module that imports Hydra, and only when ``lint --compose`` asks for it. Hydra's own
compose API builds the config; nothing is resolved, the environment is never read (``oc.env``
is switched off while Hydra runs), and Hydra is never handed a file the per-file loader refused
(TC001-TC004). Hydra does not say which file supplied a composed value, so it is worked out here:
Hydra's merge order (recorded as it merges) gives the files and their packages, and the last file
in that order that writes a key is the one whose value stands (OmegaConf's merge: later wins, a
``???`` never replaces a value); the per-file located document gives its line.
"""

from __future__ import annotations

import fnmatch
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trackcheck.detect.redact import mask
from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.engine import stamp
from trackcheck.findings import Finding
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.lint.interpolation import analyse
from trackcheck.policy import Policy
from trackcheck.rule import Hit, Rule

INSTALL_HINT = "--compose needs Hydra: pip install 'trackcheck[hydra]'"
# per-file verdicts that a completed composition replaces for the files it reads
REPLACED = frozenset({"TC121", "TC140", "TC141"})
# per-file verdicts that keep a file away from Hydra: Hydra's loader would choke or hang on it
UNSAFE = ("TC001", "TC002", "TC003", "TC004")
_YAML = (".yaml", ".yml")
_FOREIGN = re.compile(r"(?<![\w+.-])(?!file://)[A-Za-z][\w+.-]*://")  # a search path not on disk
Segs = tuple[str | int, ...]
_NOTHING = object()
# record the merge order from Hydra's merge loop; False: ask Hydra's public
# ``compute_defaults_list`` for the same list (a second pass over the defaults tree)
RECORD_MERGES = True


class ComposeError(Exception):
    """A ``--compose`` request that cannot run: no Hydra, unknown config, bad override syntax."""


@dataclass(frozen=True)
class Entry:
    """One entrypoint to compose: its primary config, override sets and swept groups."""

    label: str
    config: str  # primary config name inside ``config_dir``
    config_dir: str  # absolute
    override_sets: tuple[tuple[str, ...], ...] = ((),)
    sweep: tuple[str, ...] | None = None  # None: every group; () : none


@dataclass
class Outcome:
    """What the compositions found, by the path of the file each finding points at."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    docs: dict[str, Document] = field(default_factory=dict)  # every file Hydra read, by path
    covered: set[str] = field(default_factory=set)  # files of compositions that completed
    refused: dict[str, Document] = field(default_factory=dict)  # files kept away from Hydra
    composed: int = 0
    skipped: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


# --- planning: which compositions, without importing Hydra's machinery ------------------------
def _hydra() -> Any:
    try:
        import hydra
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.override_parser.overrides_parser import OverridesParser
    except ImportError:
        raise ComposeError(INSTALL_HINT) from None
    return hydra, GlobalHydra, OverridesParser


def _primary(config: str, config_dir: str, cwd: Path) -> tuple[str, str]:
    """(config name, absolute config dir) of a ``--compose`` argument: a name in the config dir,
    or a path to the primary config file."""
    root = os.path.abspath(cwd / config_dir)
    if config.endswith(_YAML) or (cwd / config).is_file():
        full = os.path.abspath(cwd / config)
        if not os.path.isfile(full):
            raise ComposeError(f"--compose {config}: no such file")
        inside = os.path.commonpath([full, root]) == root if os.path.isdir(root) else False
        base = root if inside else os.path.dirname(full)
        return Path(os.path.relpath(full, base)).with_suffix("").as_posix(), base
    if not os.path.isdir(root):
        raise ComposeError(f"--compose {config}: no config directory '{config_dir}'")
    if not any(os.path.isfile(os.path.join(root, config + ext)) for ext in _YAML):
        raise ComposeError(
            f"--compose {config}: no primary config '{config}.yaml' in '{config_dir}'")
    return config, root


def plan(policy: Policy, configs: Sequence[str], overrides: Sequence[str],
         cwd: Path | None = None) -> list[Entry]:
    """The entrypoints ``--compose CONFIG [-o OVERRIDE ...]`` asks for. CONFIG names policy
    entrypoints (by ``config``, globs allowed) or a primary config; ``-o`` gives one override set
    instead of the entrypoint's sets and sweeps. Checks that Hydra is installed and the overrides
    parse, so a bad request fails before any file is linted."""
    cwd = cwd or Path.cwd()
    if overrides and not configs:
        raise ComposeError("-o/--override needs --compose CONFIG")
    _, _, parser = _hydra()
    entries: list[Entry] = []
    for c in configs:
        matched = [ep for ep in policy.entrypoints if fnmatch.fnmatchcase(ep.config, c)]
        if not matched and any(ch in c for ch in "*?["):
            raise ComposeError(f"--compose {c}: no entrypoint of the policy matches")
        for ep in matched:
            name, cdir = _primary(ep.config, ep.config_dir or policy.config_root, cwd)
            sets = ((tuple(overrides),) if overrides
                    else tuple(tuple(s) for s in ep.overrides or [[]]))
            sweep = () if overrides else (None if ep.sweep == "all" else tuple(ep.sweep))
            entries.append(Entry(ep.config, name, cdir, sets, sweep))
        if not matched:
            name, cdir = _primary(c, policy.config_root, cwd)
            entries.append(Entry(name, name, cdir, (tuple(overrides),), () if overrides else None))
    for e in entries:
        for s in e.override_sets:
            for o in s:
                key = _override_key(o)
                if (key.startswith("hydra.searchpath") and (_FOREIGN.search(o) or "${" in o)) \
                        or key.endswith("env_copy"):
                    raise ComposeError(f"entrypoint {e.label}: override '{key}' would make Hydra "
                                       "import code or read the environment")
            try:
                parser.create().parse_overrides(overrides=list(s))
            except Exception as err:  # OverrideParseException and friends: the text is the user's
                shown = [_shown_override(o, policy) for o in s]
                # Hydra's message quotes the override, or the part of it it choked on
                why = (str(err).splitlines() or [""])[0] if shown == list(s) else \
                    "(Hydra's message quotes a secret value; not shown)"
                raise ComposeError(f"entrypoint {e.label}: cannot parse overrides {shown}: "
                                   f"{why}") from None
    return entries


# --- where a composed value came from ---------------------------------------------------------
def _dotted(segs: Segs) -> str:
    out = ""
    for s in segs:
        out = f"{out}[{s}]" if isinstance(s, int) else (f"{out}.{s}" if out else str(s))
    return out


def _walk(value: Any, segs: Segs = ()) -> Iterator[tuple[Segs, Any]]:
    yield segs, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*segs, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*segs, i))


def _node_at(doc: Document, segs: Segs) -> tuple[Node | None, str]:
    """The node a file writes at ``segs`` (relative to its package): (node, "found"), or
    (None, "absent"), or (ancestor, "reset") when an ancestor is written as a non-mapping."""
    if not doc.roots:
        return None, "absent"
    node = doc.roots[0]
    for i, seg in enumerate(segs):
        if node.kind == "mapping":
            nxt = next((c for c in reversed(node.children) if c.name == str(seg)), None)
        elif node.kind == "list" and (isinstance(seg, int) or str(seg).isdigit()):
            idx = int(seg)
            nxt = node.children[idx] if idx < len(node.children) else None
        else:
            return (None, "absent") if i == 0 or _missing(node) else (node, "reset")
        if nxt is None:
            return None, "absent"
        node = nxt
    return node, "found"


def _missing(node: Node) -> bool:
    return node.kind == "scalar" and node.is_string and node.value.strip() == "???"


class _Composed:
    """A composed config (unresolved) and the files merged into it, in Hydra's merge order."""

    def __init__(self, root: dict[str, Any], merge: list[tuple[Segs, Document]],
                 value_overrides: list[Segs]):
        self.root, self.merge, self.value_overrides = root, merge, value_overrides

    def lookup(self, segs: Segs) -> Any:
        cur: Any = self.root
        for s in segs:
            if isinstance(cur, dict) and str(s) in cur:
                cur = cur[str(s)]
            elif isinstance(cur, list) and str(s).isdigit() and int(s) < len(cur):
                cur = cur[int(s)]
            else:
                return _NOTHING
        return cur

    def _by_override(self, segs: Segs) -> bool:
        return any(segs[: len(o)] == o for o in self.value_overrides)

    def _rel(self, pkg: Segs, segs: Segs) -> Segs | None:
        return segs[len(pkg):] if segs[: len(pkg)] == pkg else None

    def writer(self, segs: Segs) -> tuple[Document, Node] | None:
        """The file and node whose value stands at ``segs``: the last writer in merge order, a
        ``???`` giving way to an earlier value; None when an override supplied it."""
        if self._by_override(segs):
            return None
        unset = None
        for pkg, doc in reversed(self.merge):
            rel = self._rel(pkg, segs)
            if rel is None:
                continue
            node, status = _node_at(doc, rel)
            if status == "found" and node is not None:
                if _missing(node) and node.kind == "scalar":
                    unset = unset or (doc, node)
                    continue
                return doc, node
            if status == "reset":
                break
        return unset

    def base(self, segs: Segs) -> tuple[Document, Node] | None:
        """The first file that writes the mapping at ``segs`` since anything last replaced it."""
        if self._by_override(segs):
            return None
        first = None
        for pkg, doc in self.merge:
            rel = self._rel(pkg, segs)
            if rel is None:
                continue
            node, status = _node_at(doc, rel)
            if status == "found" and node is not None:
                if node.kind == "mapping":
                    first = first or (doc, node)
                elif not _missing(node):
                    first = None
            elif status == "reset":
                first = None
        return first


def _ref_target(ref: str, at: Segs) -> Segs | None:
    """Absolute key path of a node reference (``paths.x``, ``.x``, ``..x``, ``a[0].b``) written at
    ``at``."""
    dots = len(ref) - len(ref.lstrip("."))
    body = ref[dots:]
    base: Segs = ()
    if dots:
        if dots > len(at):
            return None
        base = at[: len(at) - dots]
    segs: list[str | int] = []
    for m in re.finditer(r"\[(\d+)\]|([^.\[\]]+)", body):
        segs.append(int(m.group(1)) if m.group(1) is not None else m.group(2).strip())
    return (*base, *segs) if segs or dots else None


# --- the checks on a composed config --------------------------------------------------------
def _blocks(root: dict[str, Any], names: Sequence[str]) -> Iterator[tuple[Segs, Any]]:
    for segs, value in _walk(root):
        key = _dotted(segs)
        if segs and any(key == b or key.endswith("." + b) for b in names):
            yield segs, value


def _check_tags(c: _Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    required = ctx.policy.run_tags.required
    for segs, block in _blocks(c.root, ctx.policy.run_tags.blocks):
        if not isinstance(block, dict):
            continue  # ``tags: null`` is no tags; ``???`` is set at launch
        missing = [k for k in required if k not in block]
        located = c.base(segs) if missing else None
        if located:
            doc, node = located
            s = "s" if len(missing) > 1 else ""
            yield "TC121", doc, ctx.hit(doc, node, f"composed run tags '{_dotted(segs)}' lack "
                                        f"required tag{s}: {', '.join(missing)}", at_key=True)


def _check_names(c: _Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    naming = ctx.policy.naming
    checks = (
        ("TC140", "experiment_name", "experiment name", "project-level", naming.experiment_name),
        ("TC141", "run_name", "run name", "model-level", naming.run_name))
    for segs, block in _blocks(c.root, [ctx.policy.mlflow.group]):
        if not isinstance(block, dict):
            continue
        for code, key, what, level, allowed in checks:
            located = c.writer((*segs, key)) if allowed and key in block else None
            if not located:
                continue
            doc, node = located
            if node.kind != "scalar" or node.is_empty or node.value.strip() == "???":
                continue
            if not ctx.written_as(doc, node, allowed):
                expected = " or ".join(f"'{a}'" for a in allowed)
                yield code, doc, ctx.hit(doc, node, f"composed {what} in "
                                         f"'{_dotted((*segs, key))}' is not the {level} name "
                                         f"(expected {expected})")


def _check_uri_chains(c: _Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    """A tracking/registry URI key that is a pure reference, followed to the value it ends at."""
    for segs, value in _walk(c.root):
        if not segs or str(segs[-1]) not in ctx.policy.uri_keys or not isinstance(value, str):
            continue
        hops: list[Segs] = []
        at, cur = segs, value
        while isinstance(cur, str) and analyse(cur).error is None and analyse(cur).is_pure_ref:
            t = _ref_target(analyse(cur).refs[0], at)
            nxt = c.lookup(t) if t is not None and t != segs and t not in hops else _NOTHING
            if nxt is _NOTHING:
                break
            hops.append(t)  # type: ignore[arg-type]
            at, cur = t, nxt  # type: ignore[assignment]
        located = c.writer(at) if hops and isinstance(cur, str) else None
        if not located:
            continue
        doc, node = located
        if node.kind != "scalar" or ctx.placeholder(doc, node):
            continue
        path = " -> ".join(f"'{_dotted(h)}'" for h in (segs, *hops))
        secret = credential_in_uri(node.value) is not None
        interp = doc.interpolation(node)
        if "${" in node.value and (interp.error is not None or interp.is_env_lookup):
            continue  # TC002 / TC104 own these
        if interp.refs or interp.resolvers:
            msg = f"tracking URI in {path} is built from a reference plus text in '{node.key}'"
        else:
            kind = uri_kind(node.value) or "literal"
            msg = f"literal tracking URI ({kind}) in '{node.key}', used by {path}"
        yield "TC101", doc, ctx.hit(doc, node, msg + "; read it from the environment instead",
                                    secret=secret)


def _check_cycles(c: _Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    """Interpolations that reference each other in a ring: the config can never be resolved."""
    edges: dict[Segs, list[Segs]] = {}
    for segs, value in _walk(c.root):
        if isinstance(value, str) and "${" in value and analyse(value).error is None:
            for ref in analyse(value).refs:
                t = _ref_target(ref, segs)
                if t is not None and isinstance(c.lookup(t), str | int | float | bool | type(None)):
                    edges.setdefault(segs, []).append(t)
    seen: set[Segs] = set()
    reported: set[frozenset[Segs]] = set()
    for start in edges:
        if start in seen:
            continue
        stack: list[tuple[Segs, int]] = [(start, 0)]
        path: list[Segs] = [start]
        on_path = {start}
        seen.add(start)
        while stack:
            node, i = stack[-1]
            nexts = edges.get(node, [])
            if i >= len(nexts):
                stack.pop()
                on_path.discard(path.pop())
                continue
            stack[-1] = (node, i + 1)
            nxt = nexts[i]
            if nxt in on_path:
                ring = path[path.index(nxt):]
                if frozenset(ring) not in reported:
                    reported.add(frozenset(ring))
                    yield from _cycle_hit(c, ctx, ring)
            elif nxt not in seen:
                seen.add(nxt)
                on_path.add(nxt)
                path.append(nxt)
                stack.append((nxt, 0))


def _cycle_hit(c: _Composed, ctx: LintContext,
               ring: list[Segs]) -> Iterator[tuple[str, Document, Hit]]:
    located = [(loc, segs) for segs in ring if (loc := c.writer(segs))]
    if not located:
        return
    (doc, node), _ = min(located, key=lambda x: (x[0][0].path, x[0][1].line, x[0][1].column))
    shown = " -> ".join(f"'{_dotted(s)}'" for s in (*ring, ring[0]))
    yield "TC002", doc, ctx.hit(doc, node, f"interpolation cycle: {shown} can never be resolved")


CHECKS = ((("TC121",), _check_tags), (("TC140", "TC141"), _check_names),
          (("TC101",), _check_uri_chains), (("TC002",), _check_cycles))


# --- when Hydra cannot compose ------------------------------------------------------------------
_IN = re.compile(r"^In '?([^':\s]+)'?:\s*")
_FIND = re.compile(r"Could not find '([^']+)'")
_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_TWICE = re.compile(r"^(\S+) appears more than once")
_INTERP = re.compile(r"Error resolving interpolation '([^']*)'")
_SELF = re.compile(r"Duplicate _self_ defined in (\S+)")
_INVALID_IN = re.compile(r"in '([^']+)'")
_OPTIONS = re.compile(r"Available options in '[^']+':\n((?:\t[^\n]*\n?)+)")


def _entries(doc: Document) -> list[tuple[Node, str | None, str]]:
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


def _override_key(text: str) -> str:
    """The key or group an override names: ``+experiment=foo`` -> ``experiment``."""
    return re.split(r"[=@]", text.lstrip("+~"), maxsplit=1)[0].strip()


class _Session:
    """Hydra initialised on one config dir: its file reads guarded, its merge order recorded."""

    def __init__(self, config_dir: str, policy: Policy, docs: dict[str, Document], cwd: Path):
        self.dir, self.policy, self.docs, self.cwd = config_dir, policy, docs, cwd
        self.paths: dict[str, str] = {}  # config path -> real file, this composition
        self.order: list[Any] = []  # Hydra's ResultDefaults in merge order, this composition
        self.refused: tuple[Document, str] | None = None
        self.blocked: tuple[Document, Node, str] | None = None  # Hydra would import or read env
        self.env_read: str | None = None
        self.primary = ""

    # Hydra's global state is set up here and undone on exit, in reverse order, whatever happens
    def __enter__(self) -> _Session:
        hydra, gh, _ = _hydra()
        from hydra._internal.sources_registry import SourcesRegistry
        from omegaconf import OmegaConf
        from omegaconf.resolvers import oc

        stack = self._stack = ExitStack()
        try:
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            gh.instance().clear()
            stack.callback(gh.instance().clear)
            stack.enter_context(hydra.initialize_config_dir(
                version_base=None, config_dir=self.dir, job_name="trackcheck"))
            # every file Hydra reads passes the per-file verdict first
            source = SourcesRegistry.instance().resolve("file")
            load = source.__dict__["load_config"]

            def guarded(src: Any, config_path: str) -> Any:
                return self._guarded(src, config_path, load)

            source.load_config = guarded
            stack.callback(setattr, source, "load_config", load)
            # the environment is never read: an ``oc.env`` Hydra would resolve fails instead
            OmegaConf.register_new_resolver("oc.env", self._no_env, replace=True)
            stack.callback(OmegaConf.register_new_resolver, "oc.env", oc.env, replace=True)
            self.loader = gh.instance().config_loader()
            single = getattr(self.loader, "_load_single_config", None)
            self.recording = single is not None and RECORD_MERGES
            if self.recording:  # Hydra's merge order, recorded as Hydra merges

                def recorded(default: Any, repo: Any) -> Any:
                    self.order.append(default)
                    return single(default, repo)

                self.loader._load_single_config = recorded
            self.groups = self._groups("")
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

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

    def _guarded(self, src: Any, config_path: str, load: Any) -> Any:
        name = config_path if config_path.endswith(_YAML) else config_path + ".yaml"
        full = os.path.realpath(os.path.join(src.path, name))
        if os.path.isfile(full):
            doc = self.doc(full)
            reason = _unsafe(doc)
            blocked = _reaches_out(doc, config_path == self.primary) if reason is None else None
            if blocked is not None:
                self.blocked = (doc, *blocked)
                raise RuntimeError("refused by trackcheck")
            if reason:
                self.refused = (doc, reason)
                raise RuntimeError("refused by trackcheck")
            self.paths.setdefault(config_path, full)
        return load(src, config_path)

    def compose(self, config: str,
                overrides: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The composed config as a plain container, unresolved, and Hydra's group choices."""
        from hydra import compose
        from omegaconf import OmegaConf, open_dict

        self.paths, self.order, self.refused, self.env_read = {}, [], None, None
        self.blocked, self.primary = None, config
        cfg = compose(config_name=config, overrides=list(overrides), return_hydra_config=True)
        choices = OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False)
        with open_dict(cfg):
            del cfg["hydra"]
        root = OmegaConf.to_container(cfg, resolve=False)
        assert isinstance(root, dict) and isinstance(choices, dict)
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
            key = _override_key(o)
            if key and key not in self.groups and not key.startswith("hydra"):
                out.append(tuple(_ref_target(key, ()) or ()))
        return out

    def where(self, message: str, overrides: tuple[str, ...],
              primary: str) -> tuple[Document | None, Node | None, str]:
        """Where a composition error belongs (the defaults entry Hydra rejected, else the
        ``defaults`` key of the file it names, else the primary config) and a one-line reason."""
        first = message.strip().splitlines()[0] if message.strip() else "unknown error"
        named = _IN.match(first) or _INVALID_IN.search(first) or _SELF.search(first)
        reason = _IN.sub("", first)
        value = re.search(r"(?i)\bvalue\b", reason)
        if value:  # Hydra quotes config values after it: they may be secrets
            reason = reason[: value.start()].rstrip(" :,.") + " (a value is involved; not shown)"
        for o in overrides:  # an override Hydra quotes is shown the way describe() shows it
            reason = reason.replace(o, _shown_override(o, self.policy))
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
            for node, group, option in _entries(doc):
                if want and _names(want.group(1), group, option):
                    return doc, node, reason
                if (over and group == over.group(1)) or (interp and interp.group(1) in option):
                    return doc, node, reason
                self_twice = "_self_" in first and group is None and option == "_self_"
                marker = group if twice and group == twice.group(1) else (
                    "_self_" if self_twice else None)
                if marker is not None:
                    if (doc.path, marker) in seen or (twice and marker in {m for _, m in seen}):
                        return doc, node, reason
                    seen.add((doc.path, marker))
        culprit = next((o for o in overrides
                        if (want and want.group(1).startswith(_override_key(o) + "/"))
                        or (over and _override_key(o) == over.group(1))), None)
        if culprit:
            reason = f"override '{_shown_override(culprit, self.policy)}': {reason}"
        doc = docs[0] if docs and not culprit else (self.docs.get(self.paths.get(primary, "")) or
                                                    (docs[0] if docs else None))
        return doc, _defaults_key(doc), reason


def _names(missing: str, group: str | None, option: str) -> bool:
    """A defaults entry that selects ``missing`` (``group/option``, relative groups included)."""
    g, _, o = missing.rpartition("/")
    if group is None:
        return option == missing or missing.endswith("/" + option)
    return (g == group or g.endswith("/" + group)) and (option == o or "${" in option)


def _defaults_key(doc: Document | None) -> Node | None:
    root = doc.roots[0] if doc and doc.roots and doc.roots[0].kind == "mapping" else None
    return root.child("defaults") if root else None


def _reaches_out(doc: Document, primary: bool) -> tuple[Node, str] | None:
    """A Hydra setting that would make composing reach outside the config tree: a
    ``hydra.searchpath`` entry that is not a directory (``pkg://x`` imports package x; an
    interpolation counts, Hydra resolves it), or ``env_copy``, which copies environment variables
    into the composed config."""
    in_hydra_group = "/hydra/" in f"/{doc.path}"
    for n in doc.nodes:
        if n.name == "env_copy" and n.kind == "list" and n.children and (
                in_hydra_group or n.key.endswith("job.env_copy")):
            return n, "copies environment variables into the config"
    sp = _node_at(doc, ("hydra", "searchpath"))[0] if primary else None
    if sp is None or sp.is_empty:
        return None
    for n in sp.children if sp.kind == "list" else [sp]:
        if n.kind != "scalar" or "${" in n.value or _FOREIGN.search(n.value):
            return n, "is not a config directory (a package search path imports code)"
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


def _shown_override(text: str, policy: Policy) -> str:
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
    shown = " ".join(_shown_override(o, policy) for o in overrides)
    return f"entrypoint {entry.label}, overrides: {shown}"


def _sweep_sets(entry: Entry, base: tuple[str, ...], choices: dict[str, Any],
                session: _Session) -> list[tuple[str, ...]]:
    """One override set per option of each swept group, the option already chosen excepted. A
    group is named as Hydra's choices name it (``optimizer@model.optim`` for a group placed at
    another package); a top-level group that nothing selects is added (``+experiment=foo``)."""
    chosen = [k for k in choices if k != "hydra" and not k.startswith("hydra/")]
    placed = {k.split("@")[0] for k in chosen}
    if entry.sweep is None:
        keys = chosen + sorted(g for g in session.groups if "/" not in g and g not in placed)
    else:
        keys = [k for k in chosen if k.split("@")[0] in entry.sweep or k in entry.sweep]
        keys += [g for g in entry.sweep if g not in placed and g not in keys]
    sets = []
    for key in keys:
        prior = [o for o in base if _override_key(o) == key.split("@")[0]]
        kept = tuple(o for o in base if o not in prior)
        # a group the set itself appends (``+experiment=a``) is appended with each option too
        add = prior[0][: len(prior[0]) - len(prior[0].lstrip("+"))] if prior else (
            "" if key in choices else "+")
        for option in session.loader.get_group_options(key.split("@")[0]):
            if option != choices.get(key):
                sets.append((*kept, f"{add}{key}={option}"))
    return sets


# --- the run -------------------------------------------------------------------------------------
def run(entries: Sequence[Entry], policy: Policy, ctx: LintContext, rules: Sequence[Rule],
        docs: dict[str, Document], cwd: Path | None = None) -> Outcome:
    """Compose every entry (each override set, then each swept option) and check the results.
    ``docs`` are the per-file documents already loaded, by real path; more are added as Hydra
    reads files."""
    cwd = cwd or Path.cwd()
    active = {r.code: r for r in rules}
    out = Outcome()
    found: dict[tuple[object, ...], tuple[Rule, Hit, list[str]]] = {}
    done: set[tuple[str, str, tuple[str, ...]]] = set()
    for cdir in dict.fromkeys(e.config_dir for e in entries):
        with _Session(cdir, policy, docs, cwd) as session:
            for entry in (e for e in entries if e.config_dir == cdir):
                queue = list(entry.override_sets)
                swept = {tuple(s) for s in queue}
                while queue:
                    overrides = queue.pop(0)
                    if (cdir, entry.config, overrides) in done:
                        continue
                    done.add((cdir, entry.config, overrides))
                    desc = describe(entry, overrides, policy)
                    hits, choices = _one(session, entry, overrides, ctx, out)
                    for code, hit in hits:
                        rule = active.get(code)
                        if rule is None or policy.ignored_for_path(code, hit.path):
                            continue
                        if hit.secret and hit.value:
                            out.secrets.add(hit.value)
                        k = (code, hit.path, hit.line, hit.column, hit.key, hit.message)
                        found.setdefault(k, (rule, hit, []))[2].append(desc)
                    if choices is not None and entry.sweep != () and overrides in swept:
                        queue.extend(_sweep_sets(entry, overrides, choices, session))
    for rule, hit, descs in found.values():
        more = f"; and {len(descs) - 1} more composition(s)" if len(descs) > 1 else ""
        h = Hit(f"{hit.message} ({descs[0]}{more})", hit.path, hit.key, hit.line, hit.column,
                hit.value, hit.secret)
        out.findings.setdefault(hit.path, []).append(stamp(rule, h, policy))
    out.docs = {d.path: d for d in docs.values()}
    return out


def _one(session: _Session, entry: Entry, overrides: tuple[str, ...], ctx: LintContext,
         out: Outcome) -> tuple[list[tuple[str, Hit]], dict[str, Any] | None]:
    """Compose once and check; a composition Hydra rejects becomes a TC001/TC002 hit."""
    try:
        root, choices = session.compose(entry.config, overrides)
    except Exception as e:  # Hydra raises many types: each is a finding, never a crash
        if session.refused is not None:
            doc, reason = session.refused
            out.refused[doc.path] = doc
            out.skipped.append(f"{describe(entry, overrides, ctx.policy)}: {doc.path} is not "
                               f"composed ({reason})")
            return [], None
        if session.blocked is not None:
            doc, node, why = session.blocked
            text = (f"Hydra composition refused: '{node.key}' {why}; trackcheck composes offline, "
                    "from the config tree only")
            return [("TC004", ctx.hit(doc, node, text))], None
        if session.env_read is not None:
            found, node = _env_entry(session)
            doc = found or session.doc(_primary_file(entry))
            text = ("Hydra cannot compose without reading the environment: the defaults list "
                    "reads ${oc.env:...}; give the choice as an override")
            hit = ctx.hit(doc, node, text, value=None) if node else _line_hit(doc, text)
            return [("TC002", hit)], None
        message = str(e)
        doc, node, reason = session.where(message, overrides, entry.config)
        if doc is None:
            doc = session.doc(_primary_file(entry))
        code = "TC002" if _INTERP.search(message) else "TC001"
        text = f"Hydra cannot compose: {reason or type(e).__name__}"
        if len(text) > 240:
            text = text[:237] + "..."
        hit = ctx.hit(doc, node, text, value=text) if node else _line_hit(doc, text)
        return [(code, hit)], None
    out.composed += 1
    merge = session.merge_list()
    out.covered.update(doc.path for _, doc in merge)
    c = _Composed(root, merge, session.value_overrides(overrides))
    hits = []
    for codes, check in CHECKS:
        if any(ctx.policy.rule_enabled(code) for code in codes):
            hits.extend((code, hit) for code, _doc, hit in check(c, ctx))
    return hits, choices


def _primary_file(entry: Entry) -> str:
    return os.path.realpath(os.path.join(entry.config_dir, entry.config + ".yaml"))


def _env_entry(session: _Session) -> tuple[Document | None, Node | None]:
    for full in session.paths.values():
        doc = session.docs[full]
        for node, _group, option in _entries(doc):
            if "oc.env" in option:
                return doc, node
    return None, None


def _line_hit(doc: Document, message: str) -> Hit:
    return Hit(message=message, path=doc.path, key="", line=1, column=1, value=message)


__all__ = ["ComposeError", "Entry", "INSTALL_HINT", "Outcome", "REPLACED", "UNSAFE", "plan", "run"]
