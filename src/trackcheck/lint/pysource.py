"""Python sources read with `ast`, never imported: the MLflow calls that TC132, TC133 and TC171 see.

A file that does not parse yields no calls (it is not a config; the interpreter reports it when
it runs; the secret rules still read its text, see `codestrings`), and so does a file that never
names one of the calls: the text is searched before it is parsed, so a tree full of unrelated
Python costs little more than reading it. `tree` parses a file once for every rule that reads
it; `render` reads a string built in code (concatenation, f-strings, `%` and `str.format`,
`os.path.join`, `pathlib`, constants).
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trackcheck.lint.document import Document
from trackcheck.lint.suppress import Suppression
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit

if TYPE_CHECKING:
    from trackcheck.lint.context import LintContext

# what each call sets, by the last part of its name; (positional index, keyword) of the value
_URI_CALLS = {"set_tracking_uri": ("tracking_uri", 0, "uri"),
              "set_registry_uri": ("registry_uri", 0, "uri")}
_CLIENT_ARGS = (("tracking_uri", 0), ("registry_uri", 1))
_ENV_SETTERS = ("setdefault", "putenv")
_NAMES = ("set_tracking_uri", "set_registry_uri", "MlflowClient", "putenv", "get_latest_versions",
          "transition_model_version_stage", "set_registered_model_alias")
# names ``from mlflow import X as Y`` may rename; a call to Y is read as a call to X
_ALIASABLE = frozenset({*_URI_CALLS, "MlflowClient", "transition_model_version_stage",
                        "set_registered_model_alias", "get_latest_versions"})
_ENV_WRITE = re.compile(r"environ\[[^\]\n]*\]\s*=[^=]|environ\.(?:setdefault|update)\(")
_ENV_READ = re.compile(r"(?:getenv|environ\.get)\s*\(")
# what a string built in code reads as where its parts are not written in the code
PLACEHOLDER = "${...}"
# ``str.format`` fields and printf conversions: stand-ins for values filled in at run time
_FIELD = re.compile(r"\{[\w.\[\]]*(?:![rsa])?(?::[^{}'\"\s]*)?\}|%(?:\(\w+\))?[sdr]")
_PATH_CALLS = ("Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath")
# methods whose result reads as the text they are called on (a ``str.format`` template's fields
# read as placeholders all the same)
_READ_THROUGH = ("resolve", "absolute", "expanduser", "as_posix", "format")
_MAX_DEPTH = 40  # nested joins and constants; the parser itself stops at ~200 parentheses

Pos = tuple[int, int]  # (lineno, col_offset) of a node, as ``ast`` gives them


@dataclass(frozen=True)
class Call:
    """One relevant call or assignment: ``kind`` is ``tracking_uri``, ``registry_uri``, ``env``
    (an environment variable set in code; ``key`` is its name), ``env_default`` (the literal
    default of an environment read, ``os.environ.get(key, "...")``), ``stage`` or ``alias``."""

    kind: str
    func: str  # as written: ``mlflow.set_tracking_uri``, ``os.environ``, ``client.MlflowClient``
    key: str
    value: str | None  # the text read (see ``render``); None for a variable, env read, call
    line: int
    column: int
    whole: bool = True  # every part of ``value`` is written in the code
    path: bool = False  # built with ``os.path.join`` or ``pathlib``: a path by construction
    sources: frozenset[Pos] = frozenset()  # the string literals the value was read from


@dataclass(frozen=True)
class Rendered:
    """A string expression as text: parts not written in the code read ``PLACEHOLDER``."""

    text: str
    whole: bool
    path: bool
    sources: frozenset[Pos]
    rest: tuple[ast.AST, ...]  # the sub-expressions read as placeholders


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes; ``?`` stands for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "?")
    return ".".join(reversed(parts))


def pos(node: ast.AST) -> Pos:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


class _Render:
    """One reading of a string expression: pieces of text, None for a part not in the code."""

    def __init__(self, consts: Mapping[str, ast.AST] | None, calls: bool):
        self.consts, self.calls = consts or {}, calls
        self.sources: set[Pos] = set()
        self.rest: list[ast.AST] = []
        self.path = False
        self.names: set[str] = set()  # constants being read: ``A = B; B = A`` must end

    def pieces(self, node: ast.AST, depth: int) -> list[str | None] | None:
        """The parts of a string expression, or None when it is not one."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str):
                return None
            self.sources.add(pos(node))
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            self.sources.add(pos(node))
            out: list[str | None] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    out.append(v.value)
                elif isinstance(v, ast.FormattedValue):
                    out += self.part(v.value, depth + 1)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            return self._chain(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.pieces(node.left, depth + 1)
            if left is not None:
                self.rest.append(node.right)
            return left
        if isinstance(node, ast.Name) and node.id in self.consts and node.id not in self.names:
            self.names.add(node.id)
            try:
                return self.pieces(self.consts[node.id], depth + 1)
            finally:
                self.names.discard(node.id)
        if isinstance(node, ast.Call) and self.calls:
            return self._call(node, depth)
        return None

    def part(self, node: ast.AST, depth: int) -> list[str | None]:
        got = self.pieces(node, depth)
        if got is None:
            self.rest.append(node)
            return [None]
        return got

    def _chain(self, node: ast.BinOp, depth: int) -> list[str | None] | None:
        # a loop, not recursion, down the left: ``"a" + b + c + ...`` may be very long
        rights: list[tuple[ast.operator, ast.AST]] = []
        head: ast.AST = node
        while isinstance(head, ast.BinOp) and isinstance(head.op, (ast.Add, ast.Div)):
            rights.append((head.op, head.right))
            head = head.left
        out = self.part(head, depth + 1)
        for op, right in reversed(rights):
            if isinstance(op, ast.Div):
                out.append("/")
                self.path = True
            out += self.part(right, depth + 1)
        if not any(p for p in out if p is not None and p != "/"):
            return None  # ``a + b``, ``x / 2``: no text of its own, perhaps not even a string
        return out

    def _call(self, node: ast.Call, depth: int) -> list[str | None] | None:
        func = dotted(node.func)
        name = func.rsplit(".", 1)[-1]
        if func.endswith("path.join") or name in _PATH_CALLS or name == "joinpath":
            parts: list[str | None] = []
            if name == "joinpath" and isinstance(node.func, ast.Attribute):
                parts += self.part(node.func.value, depth + 1)
            for i, a in enumerate(node.args):
                if i or parts:
                    parts.append("/")
                parts += self.part(a, depth + 1)
            self.path = True
            return parts if any(p for p in parts if p not in (None, "/")) else None
        if isinstance(node.func, ast.Attribute) and name in (*_READ_THROUGH, "as_uri"):
            inner = self.pieces(node.func.value, depth + 1)
            if inner is None:
                return None
            self.rest += [*node.args, *(k.value for k in node.keywords)]
            return ["file://", *inner] if name == "as_uri" else inner
        if func in ("str", "os.fspath", "fspath") and len(node.args) == 1:
            return self.pieces(node.args[0], depth + 1)
        return None


def render(node: ast.AST | None, consts: Mapping[str, ast.AST] | None = None, *,
           calls: bool = True) -> Rendered | None:
    """A string expression as text, or None when ``node`` is not one built from literal text.

    String constants, f-strings, ``+`` and ``%`` are read; with ``calls``, also ``os.path.join``,
    ``pathlib`` joins (``Path(a, "b")``, ``p / "b"``, ``.joinpath``) and ``str()``; names read
    through ``consts``. A part that is not written in the code (a variable, an env read, a call;
    a ``{field}`` or ``%s`` filled in later) reads ``PLACEHOLDER``."""
    if node is None:
        return None
    r = _Render(consts, calls)
    got = r.pieces(node, 0)
    if got is None:
        return None
    text = "".join(_FIELD.sub(PLACEHOLDER, p) if p is not None else PLACEHOLDER for p in got)
    if not any(got):
        return None  # an empty string, or placeholders only (``f"{uri}"``)
    return Rendered(text, PLACEHOLDER not in text, r.path, frozenset(r.sources), tuple(r.rest))


def literal(node: ast.AST | None, consts: Mapping[str, ast.AST] | None = None) -> str | None:
    """A string written out whole (a constant, or constants joined); names, env reads, calls and
    strings with parts filled in at run time: None."""
    r = render(node, consts, calls=False)
    return r.text if r is not None and r.whole else None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == keyword:
            return k.value
    return call.args[index] if 0 <= index < len(call.args) else None


def _alternatives(node: ast.AST) -> Iterator[ast.AST]:
    """The values an expression may take: ``a or "x"`` and ``a if c else "x"`` may be "x"."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BoolOp):
            stack += reversed(n.values)
        elif isinstance(n, ast.IfExp):
            stack += [n.orelse, n.body]
        else:
            yield n


class _Constants(Mapping[str, ast.AST]):
    """A module's constants (``_constants``), found on first use: most calls pass no bare name."""

    def __init__(self, tree: ast.Module):
        self._tree: ast.Module | None = tree
        self._found: dict[str, ast.AST] = {}

    def _all(self) -> dict[str, ast.AST]:
        if self._tree is not None:
            self._found, self._tree = _constants(self._tree), None
        return self._found

    def __getitem__(self, name: str) -> ast.AST:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class _Reader:
    """The calls of one module, with its string constants and mlflow import aliases known."""

    def __init__(self, tree: ast.Module, aliases: dict[str, str]):
        self.consts = _Constants(tree)
        self.aliases = aliases

    def value(self, kind: str, func: str, key: str, node: ast.AST | None, at: ast.AST,
              *, pinned: bool = False) -> Call:
        """A Call whose value is ``node`` written out whole; with ``pinned``, the first of its
        alternatives with text written in the code (``os.getenv("X") or "file:./mlruns"``),
        whole or in part."""
        if not pinned:
            return Call(kind, func, key, literal(node, self.consts), *_at(at))
        for alt in _alternatives(node) if node is not None else ():
            found = render(alt, self.consts)
            if found is not None:
                return Call(kind, func, key, found.text, *_at(at), whole=found.whole,
                            path=found.path, sources=found.sources)
        return Call(kind, func, key, None, *_at(at))

    def from_call(self, c: ast.Call) -> list[Call]:
        func = dotted(c.func)
        name = self.aliases.get(func, func.rsplit(".", 1)[-1])
        out: list[Call] = []
        if name in _URI_CALLS:
            kind, i, kw = _URI_CALLS[name]
            out.append(self.value(kind, func, name, _arg(c, i, kw), c, pinned=True))
        elif name == "MlflowClient":
            for kind, i in _CLIENT_ARGS:
                v = _arg(c, i, kind)
                if v is not None:
                    out.append(self.value(kind, func, kind, v, v, pinned=True))
        elif name in _ENV_SETTERS and func.endswith(("environ.setdefault", "os.putenv")):
            k = literal(_arg(c, 0, "key"), self.consts)
            if k is not None:
                out.append(self.value("env", func, k, _arg(c, 1, "value"), c, pinned=True))
        elif func.endswith("environ.update"):
            pairs = [(literal(k, self.consts), v) for d in c.args if isinstance(d, ast.Dict)
                     for k, v in zip(d.keys, d.values, strict=True) if k is not None]
            pairs += [(k.arg, k.value) for k in c.keywords if k.arg]
            out += [self.value("env", func, k, v, v, pinned=True) for k, v in pairs if k]
        elif name == "getenv" or func.endswith("environ.get"):
            k = literal(_arg(c, 0, "key"), self.consts)
            d = _arg(c, 1, "default")
            if k is not None and d is not None:
                out.append(self.value("env_default", func, k, d, d, pinned=True))
        elif name == "transition_model_version_stage":
            out.append(self.value("stage", func, name, _arg(c, 2, "stage"), c))
        elif name == "get_latest_versions" and _arg(c, 1, "stages") is not None:
            out.append(Call("stage", func, name, None, *_at(c)))
        elif name == "set_registered_model_alias":
            out.append(self.value("alias", func, name, _arg(c, 1, "alias"), c))
        return out

    def from_assign(self, node: ast.Assign) -> list[Call]:
        out = []
        for t in node.targets:
            if isinstance(t, ast.Subscript) and dotted(t.value).endswith("environ"):
                key = literal(t.slice, self.consts)
                if key is not None:
                    out.append(self.value("env", dotted(t.value), key, node.value, t,
                                          pinned=True))
        return out


def _at(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset + 1  # type: ignore[attr-defined]


def _constants(tree: ast.Module) -> dict[str, ast.AST]:
    """Names bound exactly once in the module, to a plain assignment: ``URI = "http://..."``.

    A name bound anywhere else too (a parameter, a loop variable, a second assignment, an
    import, ``global``) is a variable, not a constant: its value is not the one written here."""
    bound: Counter[str] = Counter()
    values: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound[node.id] += 1
        elif isinstance(node, ast.arg):
            bound[node.arg] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] += 1
        elif isinstance(node, ast.alias):
            bound[(node.asname or node.name).split(".", 1)[0]] += 1
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound[node.name] += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update({n: 2 for n in node.names})
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound[node.name] += 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            values[node.target.id] = node.value
    return {k: v for k, v in values.items() if bound[k] == 1}


def _aliases(imports: list[ast.ImportFrom]) -> dict[str, str]:
    """``from mlflow import set_tracking_uri as stu`` → {"stu": "set_tracking_uri"}."""
    return {a.asname: a.name for node in imports if (node.module or "").split(".")[0] == "mlflow"
            for a in node.names if a.asname and a.name in _ALIASABLE}


def parse(text: str) -> ast.Module | None:
    """The module's syntax tree, or None when it does not parse (never raises)."""
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": the user's, not ours
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_tree: tuple[Document, ast.Module | None] | None = None


def tree(doc: Document) -> ast.Module | None:
    """The syntax tree of a Python document, parsed once for every rule that asks (cached for
    the document in hand); None when it does not parse."""
    global _tree
    if _tree is None or _tree[0] is not doc:
        _tree = (doc, parse(doc.text))
    return _tree[1]


def real_comments(text: str, sups: list[Suppression]) -> list[Suppression]:
    """The suppressions that stand in a real comment, not in a string literal that happens to
    read ``# trackcheck: ...``; all of them when the text does not tokenize."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        starts = {t.start[0]: t.start[1] + 1 for t in tokens if t.type == tokenize.COMMENT}
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError):
        return sups
    return [s for s in sups if s.line in starts and starts[s.line] <= s.column]


def relevant(text: str) -> bool:
    """Whether the text may hold one of the calls: plain substring tests first, they are cheap.
    An aliased import still names the call it renames; an environment read counts when the
    text mentions a URI at all (``os.getenv("MLFLOW_TRACKING_URI", "file:./mlruns")``)."""
    if any(n in text for n in _NAMES):
        return True
    if "environ" in text and _ENV_WRITE.search(text) is not None:
        return True
    return ("URI" in text or "uri" in text) and ("getenv" in text or "environ" in text) \
        and _ENV_READ.search(text) is not None


_cache: tuple[Document, list[Call]] | None = None


def calls(doc: Document) -> list[Call]:
    """The relevant calls of a Python document in source order (cached for the document in hand)."""
    global _cache
    if _cache is not None and _cache[0] is doc:
        return _cache[1]
    found: list[Call] = []
    module = tree(doc) if doc.kind == "python" and relevant(doc.text) else None
    if module is not None:
        nodes: list[ast.Call | ast.Assign] = []
        imports: list[ast.ImportFrom] = []
        for node in ast.walk(module):  # once: the aliases must be known before the calls
            if isinstance(node, (ast.Call, ast.Assign)):
                nodes.append(node)
            elif isinstance(node, ast.ImportFrom):
                imports.append(node)
        reader = _Reader(module, _aliases(imports))
        for node in nodes:
            found += reader.from_call(node) if isinstance(node, ast.Call) else \
                reader.from_assign(node)
    found.sort(key=lambda c: (c.line, c.column))
    _cache = (doc, found)
    return found


# --- the checks TC133 and TC132 run on Python sources ---------------------------------------
def stage_hits(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    """TC133 in code: ``transition_model_version_stage()``, ``get_latest_versions(stages=)``."""
    for c in calls(doc):
        if c.kind == "stage":
            what = "lookup of versions by stage" if c.key == "get_latest_versions" else \
                f"stage transition to {shown(c.value)}" if c.value else "stage transition"
            yield Hit(f"{c.func}(): {what}; stages are deprecated since MLflow 2.9, promote by "
                      "moving an alias, outside training", doc.path, c.func, c.line, c.column,
                      value=c.value or c.func)


def promotion_hits(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    """TC132 in training code (``training_code_paths``): ``set_registered_model_alias`` to an
    allowed alias training may not declare (``prod``, ``archived`` by default), as in config."""
    if not any(fnmatch.fnmatch(doc.path, p) for p in ctx.policy.training_code_paths):
        return
    aliases = ctx.policy.aliases
    may = aliases.training_may_declare
    fold = (lambda a: a) if aliases.case_sensitive else str.lower
    for c in calls(doc):
        if c.kind == "alias" and c.value is not None and ctx.policy.alias_allowed(c.value) \
                and fold(c.value) not in {fold(a) for a in may}:
            yield Hit(f"training code sets alias {shown(c.value)} with {c.func}(): promotion "
                      "happens outside training (CI or manual approval); training may declare: "
                      f"{', '.join(may) or 'none'}", doc.path, c.func, c.line, c.column,
                      value=c.value)
