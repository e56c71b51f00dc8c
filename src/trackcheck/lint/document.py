"""A located document: every key and scalar of a file with line, column and dotted key path.

Built from PyYAML's composer (C loader when available), which keeps node marks and shares
aliased nodes, so an alias bomb costs nothing until it is walked; the walk is budgeted.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from trackcheck.lint.interpolation import Interpolation, analyse

if TYPE_CHECKING:  # the reader of files not parsed builds documents itself
    from trackcheck.lint.unparsed import Unparsed

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVED: dict[str, str] = {}  # plain scalar text -> implicit tag; keys and values repeat a lot
_NO_PATHS: dict[object, None] = {}  # stays empty: its ``get`` is the loader's no-op path hook


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader with its implicit-tag resolution memoised per plain scalar: PyYAML runs a
    list of regular expressions over every scalar in Python, for the same few hundred texts.

    It has no path resolvers (``yaml.add_path_resolver`` is never called for it), so the two
    hooks the composer calls for every node, to track the path they would match, have nothing
    to do: they are C-level no-ops here instead of two Python calls per node."""

    descend_resolver = _NO_PATHS.get  # (parent, index) -> None
    ascend_resolver = tuple  # () -> ()

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool],
                scalar: type = yaml.ScalarNode) -> str:
        if kind is scalar:
            if not implicit[0]:
                return _STR_TAG  # quoted or block scalar without a tag
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = _Base.resolve(self, kind, value, implicit)
                if len(value) <= 200 and len(_RESOLVED) < 100_000:
                    _RESOLVED[value] = tag
            return tag
        return _Base.resolve(self, kind, value, implicit)  # type: ignore[no-any-return]


_TAGS = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "timestamp",
    "tag:yaml.org,2002:binary": "binary",
    "tag:yaml.org,2002:map": "mapping",
    "tag:yaml.org,2002:seq": "list",
}
# the kinds of file whose strings are read from their code (``trackcheck.lint.codestrings``)
CODE_STRING_KINDS = ("python", "shell")
_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.M)
# the children of every scalar: one shared empty tuple, not a list per leaf (most nodes)
_LEAF: list[Node] = ()  # type: ignore[assignment]


@dataclass(slots=True)  # one per key and value of every file: kept small and quick to build
class Node:
    """A located YAML node. ``key`` is the in-file dotted path (``mlflow.tags.env``,
    ``cbs[0].token``);
    ``full_key`` prefixes the Hydra package (``config/mlflow/x.yaml`` → ``mlflow.``)."""

    kind: str  # "scalar" | "mapping" | "list"
    key: str
    full_key: str
    name: str  # last key segment ("" for the root and list items)
    line: int  # 1-based, of the value
    column: int
    key_line: int | None = None
    key_column: int | None = None
    value: str = ""  # scalar text as written (block scalars folded by YAML)
    tag: str = "str"
    style: str | None = None
    children: list[Node] = field(default=_LEAF)  # a list for mappings and lists
    via_alias: bool = False  # reached through ``*alias``: its anchor already stands in ``nodes``
    anchor: tuple[int, int] | None = None  # an alias placed where it stands: its anchor's place
    _interp: Interpolation | None = field(default=None, repr=False)
    # a list item's (it has no name): the key its list sits under, ``api_keys`` for
    # ``api_keys[0]`` and ``api_keys[0][1]``; rules ask ``node.name or node.owner``
    owner: str = ""

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def is_string(self) -> bool:
        return self.kind == "scalar" and self.tag == "str"

    @property
    def is_empty(self) -> bool:
        return self.kind == "scalar" and (self.tag == "null" or self.value == "")

    def child(self, name: str) -> Node | None:
        for c in self.children:
            if c.name == name:
                return c
        return None


MEMO_MAX = 100_000  # answers kept per question: a hostile tree has endless names


class Memo(dict[str, bool]):
    """A question's answers by key name: a known name is one dict lookup (``memo[name]``), an
    unknown one is decided and kept (up to a bound: hostile files have endless names).
    :meth:`any_of` asks it of a document's names at once, with set operations."""

    def __init__(self, decide: Callable[[str], bool]):
        super().__init__()
        self.decide = decide
        self.yes: set[str] = set()  # the names kept, by answer
        self.no: set[str] = set()

    def __missing__(self, name: str) -> bool:
        found = self.decide(name)
        if len(self) < MEMO_MAX:
            self[name] = found
            (self.yes if found else self.no).add(name)
        return found

    def any_of(self, names: frozenset[str]) -> bool:
        """Whether some name answers yes: two set operations over the names answered before (a
        tree repeats its names file after file), a decision for each new one."""
        if not names.isdisjoint(self.yes):
            return True
        new = names - self.no
        return bool(new) and any(self[name] for name in new)


@dataclass(frozen=True)
class LoadProblem:
    """A file that could not be turned into a document: TC001 (syntax) or TC004 (unsafe)."""

    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    readable: bool = False  # a regular file not read as text (oversized, binary): still read


@dataclass
class Document:
    path: str  # as reported: relative to the working directory, POSIX separators
    kind: str  # "hydra" (OmegaConf rules apply) | "yaml" | "env" | "ini" | "netrc" | "secret-file"
    text: str = ""
    secret_file: bool = False  # a file that should not be committed at all (TC160)
    package: str = ""
    roots: list[Node] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)  # every node, document order
    duplicates: list[tuple[Node, int]] = field(default_factory=list)  # (node, first line)
    # scalars written as an alias (``password: *pw``), placed at the alias: rules that judge a
    # value by the key it sits under read them there, as the anchor stands in ``nodes`` once
    alias_uses: list[Node] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    # a file that did not parse: only the rules that read tokens and credential URIs run, over
    # its lines (``unparsed``); a broken file hides no secret
    broken: bool = False
    unparsed: Unparsed | None = None  # the text of a file not parsed, read in parts
    defaults: list[str] = field(default_factory=list)  # the root defaults list entries, as text
    _seen: set[int] = field(default_factory=set, repr=False)
    _kinds: tuple[int, dict[str, list[Node]]] | None = field(default=None, repr=False)
    _names: tuple[int, frozenset[str]] | None = field(default=None, repr=False)
    # lint/aliases.py's alias sites, read by three rules: (policy, node count, sites)
    _alias_sites: tuple[object, int, tuple[object, ...]] | None = field(default=None, repr=False)

    @property
    def hydra(self) -> bool:
        return self.kind == "hydra"

    @property
    def content_digest(self) -> str | None:
        """SHA-256 of a file that is not parsed, once read (None for one never read): TC001 and
        TC004 fingerprint it, so a baselined one shows again when the file changes."""
        return self.unparsed.digest if self.unparsed is not None else None

    def _by_kind(self) -> dict[str, list[Node]]:
        # every rule walks these: sorted once per document (again only if nodes were added)
        if self._kinds is None or self._kinds[0] != len(self.nodes):
            kinds: dict[str, list[Node]] = {"scalar": [], "mapping": [], "list": [], "str": []}
            for n in self.nodes:
                kinds[n.kind].append(n)
                if n.kind == "scalar" and n.tag == "str":
                    kinds["str"].append(n)
            self._kinds = (len(self.nodes), kinds)
        return self._kinds[1]

    def names(self) -> frozenset[str]:
        """Every name a node is judged by (its key name, or a list item's list's: ``api_keys``
        for ``api_keys[0]``): a rule that asks about names first tries these few dozen, and
        reads no node when none qualifies. ``""`` is one only when a scalar has neither name (a
        document that is one scalar, the items of a top-level list), not for the root mapping."""
        if self._names is None or self._names[0] != len(self.nodes):
            names = {n.name for n in self.nodes}  # a list item's list is a node with its name
            if "" in names and self.roots and not _ownerless_scalar(self.roots):
                names.discard("")
            self._names = (len(self.nodes), frozenset(names))
        return self._names[1]

    def may_hold(self, literal: str) -> bool:
        """Whether some value of the document can contain ``literal`` (no whitespace in it): its
        text does, or holds a backslash (a double-quoted escape can write any character; folding
        only ever joins lines with a space). False lets a rule skip every string at once."""
        return literal in self.text or "\\" in self.text

    def scalars(self) -> Iterator[Node]:
        return iter(self._by_kind()["scalar"])

    def strings(self) -> Iterator[Node]:
        return iter(self._by_kind()["str"])

    def mappings(self) -> Iterator[Node]:
        return iter(self._by_kind()["mapping"])

    def interpolation(self, node: Node) -> Interpolation:
        """OmegaConf's reading of a string (an empty reading outside Hydra config)."""
        if node._interp is None:
            node._interp = analyse(node.value) if self.hydra and node.is_string else Interpolation(
                text=node.value, has_text=bool(node.value))
        return node._interp


def _ownerless_scalar(roots: list[Node]) -> bool:
    """A scalar with no name to be judged by: a root, or an item of top-level lists."""
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n.kind == "scalar":
            return True
        if n.kind == "list" and not n.owner:
            stack.extend(n.children)
    return False


# --- reading files safely -------------------------------------------------------------
def _unreadable(e: OSError) -> LoadProblem:
    return LoadProblem(
        "TC004", f"cannot read the file ({os.strerror(e.errno) if e.errno else type(e).__name__})")


def read_text(path: Path, max_bytes: int) -> tuple[str | None, LoadProblem | None]:
    """The file's text, or the reason it cannot be linted safely (TC004); never raises."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None, LoadProblem("TC004", "symlink loop: the file cannot be resolved")
        return None, _unreadable(e)
    if not stat.S_ISREG(st.st_mode):
        return None, LoadProblem("TC004", "not a regular file")
    if st.st_size > max_bytes:  # not read here: read for secrets in chunks (lint.unparsed)
        return None, LoadProblem(
            "TC004",
            f"oversized file: {st.st_size} bytes is over the {max_bytes}-byte limit"
            " (max_file_bytes)", readable=True)
    try:  # without blocking, checked once open: a FIFO swapped in since the look is refused
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        return None, _unreadable(e)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, LoadProblem("TC004", "not a regular file")
        data = _read_fd(fd, min(st.st_size, max_bytes) + 1, max_bytes + 1)
    except OSError as e:
        return None, _unreadable(e)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return None, LoadProblem(
            "TC004", f"oversized file: over the {max_bytes}-byte limit (max_file_bytes)",
            readable=True)
    if b"\x00" in data[:8192]:
        return None, LoadProblem("TC004", "binary file (NUL bytes)", readable=True)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, LoadProblem("TC004", f"not UTF-8 (invalid byte at offset {e.start})",
                                 readable=True)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def _read_fd(fd: int, first: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of an open file, read with plain system calls (no buffered file
    object per file): the size it had when looked at, then on to its end if it grew."""
    parts, size, want = [], 0, first
    while size < limit:
        chunk = os.read(fd, min(want, limit - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        want = 1 << 16
    return parts[0] if len(parts) == 1 else b"".join(parts)


def package_of(rel: str, text: str, config_root: str | None) -> str:
    """Hydra package of a config file: the ``# @package`` header, else its config group (its
    folder relative to the config root that holds it; none outside a root)."""
    m = _PACKAGE.search(text[:2048]) if text.find("@package", 0, 2048) >= 0 else None
    parts = rel.split("/")
    root = (config_root or "").strip("/")
    group: list[str] = []
    if root == ".":
        group = parts[:-1]
    elif root and rel.startswith(root + "/"):
        group = parts[len(root.split("/")) : -1]
    if m:
        pkg = m.group(1)
        if pkg == "_global_":
            return ""
        if pkg.startswith("_global_."):
            return pkg[len("_global_.") :]
        return pkg.replace("_group_", ".".join(group))
    return ".".join(group)


# --- building the node tree ----------------------------------------------------------
class _Budget(Exception):
    def __init__(self, what: str, line: int | None, column: int | None = 1):
        self.what, self.line, self.column = what, line, column


_MERGE = "tag:yaml.org,2002:merge"
_OVER_BUDGET = "alias/anchor expansion bomb: the document expands past the node budget (max_nodes)"


_MAX_KEY = 256  # characters of a key path kept per node


def _capped(key: str) -> str:
    """A key path of at most ``_MAX_KEY`` characters: its start, ``…`` and its end (where the
    rules read the key names). Every node holds its whole path, so long keys nested deep would
    otherwise cost their length once per node below them: quadratic in the file."""
    if len(key) <= _MAX_KEY:
        return key
    return key[:64] + "…" + key[len(key) - (_MAX_KEY - 65):]


def _join(parent: str, seg: str | int) -> str:
    if isinstance(seg, int):
        return _capped(f"{parent}[{seg}]")
    return _capped(f"{parent}.{seg}" if parent else seg)


def build(path: str, kind: str, text: str, *, config_root: str | None = "config",
          max_depth: int = 100, max_nodes: int = 1_000_000) -> Document:
    """Turn text into a located document; syntax errors and budgets become problems; never
    raises."""
    doc = Document(path=path, kind=kind, text=text)
    if kind == "hydra":
        doc.package = package_of(path, text, config_root)
    try:
        roots = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        nesting = "nesting depth" in problem  # libyaml's own limit
        doc.problems.append(LoadProblem(
            "TC004" if nesting else "TC001",
            "excessive nesting: deeper than the YAML parser allows" if nesting
            else f"invalid YAML: {problem}",
            mark.line + 1 if mark else None, mark.column + 1 if mark else None))
        return doc
    except (yaml.YAMLError, ValueError) as e:
        # e.g. a reader error on a control character; its text is a description, not content
        doc.problems.append(LoadProblem("TC001", f"invalid YAML ({type(e).__name__})"))
        return doc
    except RecursionError:
        doc.problems.append(LoadProblem("TC004", "excessive nesting"))
        return doc
    budget = [max_nodes]
    prefix = doc.package
    # an alias needs an anchor and an anchor needs '&': without one the walk's own node budget
    # is the whole guard, and the expansion pass (a second walk) is not needed
    anchors = "&" in text
    marks = _AliasMarks(text) if anchors and "*" in text else None
    try:
        if anchors:
            expanded, distinct = _expanded_size(roots)
            if expanded == distinct and expanded > max_nodes:  # no aliases: simply too big
                raise _Budget(
                    f"too many nodes: {expanded} is over the {max_nodes}-node limit (max_nodes)", 1)
            if expanded > max_nodes or (expanded > 100_000 and expanded > 20 * distinct):
                raise _Budget(
                    f"alias/anchor expansion bomb: {distinct} nodes expand to {expanded}"
                    " (max_nodes)", 1)
        try:
            if anchors or "<<" in text:
                raise _Shared
            # nothing shared (most files): one quick pass that lets go of each YAML node once
            # read, so the composer's tree and the document are never both whole in memory
            for i, root in enumerate(roots):
                roots[i] = None
                if root is not None:
                    doc.roots.append(_walk_plain(doc, root, prefix, max_depth, budget))
        except _Shared:
            doc.roots, doc.nodes, doc.duplicates, budget[0] = [], [], [], max_nodes
            doc._kinds = None
            if not anchors and "<<" not in text:  # the quick walk let go of the tree: again
                roots = list(yaml.compose_all(text, Loader=_Loader))
            for root in roots:
                if root is None:
                    continue
                doc.roots.append(_walk(doc, root, "", prefix, "", None, 0, max_depth, budget,
                                       set(), marks))
        if marks is not None and marks.taken != len(marks.marks):
            marks.restore(doc)  # a shape the walk does not pair with its aliases: keep anchors
    except _Budget as b:
        what = b.what
        if not anchors and what is _OVER_BUDGET:
            what = f"too many nodes: over the {max_nodes}-node limit (max_nodes)"
        doc.problems.append(LoadProblem("TC004", what, b.line, b.column))
        doc.roots, doc.nodes, doc.duplicates, doc.alias_uses = [], [], [], []
        doc._kinds = None
    if kind == "hydra" and doc.roots and doc.roots[0].kind == "mapping":
        d = doc.roots[0].child("defaults")
        if d is not None and d.kind == "list":
            doc.defaults = [_default_text(c) for c in d.children]
    return doc


def _default_text(n: Node) -> str:
    if n.kind == "scalar":
        return n.value
    if n.kind == "mapping" and n.children:
        c = n.children[0]
        return f"{c.name}: {c.value if c.kind == 'scalar' else ''}"
    return ""


def doc_seen(doc: Document) -> set[int]:
    return doc._seen


def _expanded_size(roots: list[yaml.Node]) -> tuple[int, int]:
    """Size of the documents with every alias expanded, in time linear in the distinct nodes."""
    memo: dict[int, int] = {}
    open_: set[int] = set()
    total = 0
    for root in roots:
        if root is None:
            continue
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            n, done = stack.pop()
            if isinstance(n, yaml.ScalarNode):
                memo[id(n)] = 1
                continue
            kids = ([x for kv in n.value for x in kv] if isinstance(n, yaml.MappingNode)
                    else list(n.value))
            if done:
                open_.discard(id(n))
                memo[id(n)] = 1 + sum(memo[id(k)] for k in kids)
                continue
            if id(n) in memo:
                continue
            if id(n) in open_:
                raise _Budget("alias/anchor expansion bomb: recursive alias", n.start_mark.line + 1,
                          n.start_mark.column + 1)
            open_.add(id(n))
            stack.append((n, True))
            for k in kids:
                if id(k) in open_:
                    raise _Budget("alias/anchor expansion bomb: recursive alias",
                                  k.start_mark.line + 1, k.start_mark.column + 1)
                if id(k) not in memo:
                    stack.append((k, False))
        total += memo[id(root)]
    return total, len(memo)


class _AliasMarks:
    """Where each ``*alias`` stands, in document order. The composer hands back the anchored
    node itself, so the walk takes the next mark whenever it meets an alias outside an aliased
    subtree (whose inner aliases were met, and marked, where the anchor was defined)."""

    def __init__(self, text: str):
        try:
            self.marks = [(e.start_mark.line + 1, e.start_mark.column + 1)
                          for e in yaml.parse(text, Loader=_Loader)
                          if isinstance(e, yaml.AliasEvent)]
        except (yaml.YAMLError, ValueError):
            self.marks = []
        self.taken = 0
        self.keys: set[int] = set()  # mapping keys met so far: an anchor may sit on a key
        self.moved: list[tuple[Node, int, int]] = []

    def place(self, node: Node) -> None:
        if self.taken < len(self.marks):
            self.moved.append((node, node.line, node.column))
            node.anchor = (node.line, node.column)
            node.line, node.column = self.marks[self.taken]
        self.taken += 1

    def key(self, k: yaml.Node, seen: set[int]) -> None:
        if id(k) in self.keys or id(k) in seen:
            self.taken += 1  # an alias as a key: its mark is not a value's
        else:
            self.keys.add(id(k))

    def restore(self, doc: Document) -> None:
        for node, line, column in self.moved:
            node.line, node.column, node.anchor = line, column, None
        for node in doc.alias_uses:  # at least on the line of the key that holds the alias
            if node.key_line is not None and node.key_column is not None:
                node.line, node.column = node.key_line, node.key_column


class _Shared(Exception):
    """A document the quick walk does not cover (anchors, merge keys): take the full walk."""


def _walk_plain(doc: Document, root: yaml.Node, prefix: str, max_depth: int,
                budget: list[int]) -> Node:
    """:func:`_walk` for a document without anchors: every YAML node is met once, so there is
    nothing to share, pair or guard against recursion. Same nodes, same order, same budgets;
    scalars (most nodes) are made in their parent's loop, and the per-kind views as they come."""
    append, duplicates, tags = doc.nodes.append, doc.duplicates, _TAGS
    scalar, sequence = yaml.ScalarNode, yaml.SequenceNode
    kinds = doc._kinds[1] if doc._kinds is not None else {
        "scalar": [], "mapping": [], "list": [], "str": []}
    scalars, strings = kinds["scalar"].append, kinds["str"].append
    mappings, lists = kinds["mapping"].append, kinds["list"].append
    too_deep = f"excessive nesting: deeper than {max_depth} levels (max_depth)"

    def leaf(yn: yaml.ScalarNode, key: str, full: str, name: str, key_line: int | None,
             key_column: int | None, depth: int) -> Node:
        mark = yn.start_mark
        if depth > max_depth:
            raise _Budget(too_deep, mark.line + 1, mark.column + 1)
        budget[0] -= 1
        if budget[0] < 0:
            raise _Budget(_OVER_BUDGET, mark.line + 1)
        tag = tags.get(yn.tag, yn.tag)
        node = Node("scalar", key, full, name, mark.line + 1, mark.column + 1, key_line,
                    key_column, yn.value, tag, yn.style)
        append(node)
        scalars(node)
        if tag == "str":
            strings(node)
        return node

    def walk(yn: yaml.Node, key: str, full: str, name: str, key_line: int | None,
             key_column: int | None, depth: int, owner: str = "") -> Node:
        if type(yn) is scalar or isinstance(yn, scalar):
            node = leaf(yn, key, full, name, key_line, key_column, depth)
            node.owner = owner
            return node
        mark = yn.start_mark
        if depth > max_depth:
            raise _Budget(too_deep, mark.line + 1, mark.column + 1)
        budget[0] -= 1
        if budget[0] < 0:
            raise _Budget(_OVER_BUDGET, mark.line + 1)
        node = Node("scalar", key, full, name, mark.line + 1, mark.column + 1, key_line,
                    key_column, "", tags.get(yn.tag, yn.tag), None, [], owner=owner)
        append(node)
        children, depth = node.children, depth + 1
        items, yn.value = yn.value, ()  # each item let go once read (see build)
        deep = depth > max_depth  # raised at the first item, with its place
        # the loops below make scalar items in place (most nodes): a call per node, and one
        # per key path for ``_capped``, cost a fifth of the walk
        if isinstance(yn, sequence):
            node.kind = "list"
            lists(node)
            owner = name or node.owner
            for i, item in enumerate(items):
                items[i] = None
                k = f"{key}[{i}]"
                if len(k) > _MAX_KEY:
                    k = _capped(k)
                if prefix:
                    f = f"{full}[{i}]"
                    if len(f) > _MAX_KEY:
                        f = _capped(f)
                else:
                    f = k
                if type(item) is not scalar:
                    children.append(walk(item, k, f, "", None, None, depth, owner))
                    continue
                mark = item.start_mark
                if deep:
                    raise _Budget(too_deep, mark.line + 1, mark.column + 1)
                budget[0] -= 1
                if budget[0] < 0:
                    raise _Budget(_OVER_BUDGET, mark.line + 1)
                tag = tags.get(item.tag, item.tag)
                child = Node("scalar", k, f, "", mark.line + 1, mark.column + 1, None, None,
                             item.value, tag, item.style, owner=owner)
                append(child)
                scalars(child)
                if tag == "str":
                    strings(child)
                children.append(child)
            return node
        node.kind = "mapping"
        mappings(node)
        seen: dict[str, int] = {}
        for i, (k_, v) in enumerate(items):
            items[i] = None
            if type(k_) is scalar or isinstance(k_, scalar):
                kname = k_.value
                if kname == "<<" and k_.tag == _MERGE:
                    raise _Shared
            else:
                kname = f"<{type(k_).__name__}>"
            k = f"{key}.{kname}" if key else kname
            if len(k) > _MAX_KEY:
                k = _capped(k)
            if prefix:
                f = f"{full}.{kname}" if full else kname
                if len(f) > _MAX_KEY:
                    f = _capped(f)
            else:
                f = k
            km = k_.start_mark
            key_line = km.line + 1
            if type(v) is scalar:
                mark = v.start_mark
                if deep:
                    raise _Budget(too_deep, mark.line + 1, mark.column + 1)
                budget[0] -= 1
                if budget[0] < 0:
                    raise _Budget(_OVER_BUDGET, mark.line + 1)
                tag = tags.get(v.tag, v.tag)
                child = Node("scalar", k, f, kname, mark.line + 1, mark.column + 1,
                             key_line, km.column + 1, v.value, tag, v.style)
                append(child)
                scalars(child)
                if tag == "str":
                    strings(child)
            else:
                child = walk(v, k, f, kname, key_line, km.column + 1, depth)
            if kname in seen:
                duplicates.append((child, seen[kname]))
            else:
                seen[kname] = key_line  # a mapping's items always have their key's line
            children.append(child)
        return node

    try:
        top = walk(root, "", prefix, "", None, None, 0)
    finally:
        # ``walk`` calls itself through its closure: a reference cycle that would hold the whole
        # document (its nodes are in the cells) until the cyclic collector ran, so that every
        # file's nodes outlived it and were scanned by the collector over and over. Emptying
        # the cell breaks it: the document is freed by reference counting, as a tree should
        walk = None  # type: ignore[assignment]
    doc._kinds = (len(doc.nodes), kinds)
    return top


def _walk(doc: Document, yn: yaml.Node, key: str, full: str, name: str, keymark: yaml.Mark | None,
          depth: int, max_depth: int, budget: list[int], active: set[int],
          marks: _AliasMarks | None = None, inner: bool = False, listed: bool = True,
          owner: str = "") -> Node:
    line = yn.start_mark.line + 1
    if depth > max_depth:
        raise _Budget(f"excessive nesting: deeper than {max_depth} levels (max_depth)", line,
                      yn.start_mark.column + 1)
    budget[0] -= 1
    if budget[0] < 0:
        raise _Budget(_OVER_BUDGET, line)
    node = Node(
        kind="scalar", key=key, full_key=full, name=name, line=line,
        column=yn.start_mark.column + 1, key_line=keymark.line + 1 if keymark else None,
        key_column=keymark.column + 1 if keymark else None,
        tag=_TAGS.get(yn.tag, yn.tag),
        children=_LEAF if isinstance(yn, yaml.ScalarNode) else [], owner=owner,
    )
    alias = id(yn) in doc_seen(doc) or (marks is not None and id(yn) in marks.keys)
    if id(yn) in doc_seen(doc):
        node.via_alias = True
    else:
        doc_seen(doc).add(id(yn))
        if listed:  # an inline mapping merged with ``<<``: its keys count, not itself
            doc.nodes.append(node)
    if alias and marks is not None and not inner:
        marks.place(node)
        if node.via_alias and isinstance(yn, yaml.ScalarNode):
            doc.alias_uses.append(node)
    inner = inner or node.via_alias
    if isinstance(yn, yaml.ScalarNode):
        node.value = yn.value
        node.style = yn.style
        return node
    if id(yn) in active:  # a recursive alias (``&a [*a]``) would never end
        raise _Budget("alias/anchor expansion bomb: recursive alias", line)
    active.add(id(yn))
    try:
        if isinstance(yn, yaml.SequenceNode):
            node.kind = "list"
            owner = name or node.owner
            for i, item in enumerate(yn.value):
                child = _walk(doc, item, _join(key, i), _join(full, i), "", None, depth + 1,
                              max_depth, budget, active, marks, inner, owner=owner)
                node.children.append(child)
        elif isinstance(yn, yaml.MappingNode):
            node.kind = "mapping"
            seen: dict[str, int] = {}
            merged_in: list[Node] = []
            for k, v in yn.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.tag == _MERGE:
                    for src in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                        merged = _walk(doc, src, key, full, name, None, depth + 1, max_depth,
                                       budget, active, marks, inner, listed=False)
                        merged_in.extend(merged.children if merged.kind == "mapping" else ())
                    continue
                if marks is not None and not inner:
                    marks.key(k, doc_seen(doc))
                kname = k.value if isinstance(k, yaml.ScalarNode) else f"<{type(k).__name__}>"
                child = _walk(doc, v, _join(key, kname), _join(full, kname), kname, k.start_mark,
                              depth + 1, max_depth, budget, active, marks, inner)
                if kname in seen:
                    doc.duplicates.append((child, seen[kname]))
                else:
                    seen[kname] = child.key_line or child.line
                node.children.append(child)
            if merged_in:  # YAML merge: the mapping's own keys win, then earlier merged mappings
                own, kept = set(seen), []
                for m in merged_in:
                    if m.name not in own:
                        own.add(m.name)
                        kept.append(m)
                node.children[:0] = kept
    finally:
        active.discard(id(yn))
    return node
