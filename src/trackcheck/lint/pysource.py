"""Python sources read with `ast`, never imported: the MLflow calls that TC132, TC133 and TC171 see.

A file that does not parse yields nothing (it is not a config; the interpreter reports it when it
runs), and so does a file that never names one of the calls: the text is searched before it is
parsed, so a tree full of unrelated Python costs little more than reading it.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import tokenize
import warnings
from collections.abc import Iterator
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
_ENV_WRITE = re.compile(r"environ\[[^\]\n]*\]\s*=[^=]|environ\.(?:setdefault|update)\(")
# the head of a string built from text plus names: a scheme and a host written out
_URI_HEAD = re.compile(r"^[A-Za-z][\w+.\-]*://[^/{}:@\s%]+|^databricks(?:-uc)?$")


@dataclass(frozen=True)
class Call:
    """One relevant call or assignment: ``kind`` is ``tracking_uri``, ``registry_uri``, ``env``
    (an environment variable set in code; ``key`` is its name), ``stage`` or ``alias``."""

    kind: str
    func: str  # as written: ``mlflow.set_tracking_uri``, ``os.environ``, ``client.MlflowClient``
    key: str
    value: str | None  # the literal (or literal head) text; None for a variable, env read, call
    line: int
    column: int


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes; ``?`` stands for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "?")
    return ".".join(reversed(parts))


def literal(node: ast.AST | None) -> str | None:
    """A string constant; for an f-string or ``"…" + x``, its leading text when that already
    names a scheme and host (``f"https://mlflow.corp/{path}"``). Names, env reads, calls: None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    head = node
    while isinstance(head, ast.BinOp) and isinstance(head.op, (ast.Add, ast.Mod)):
        head = head.left  # a loop, not recursion: ``"a" + b + c + ...`` may be very long
    if isinstance(head, ast.JoinedStr) and head.values:
        head = head.values[0]
    text = head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else None
    m = _URI_HEAD.match(text) if text and head is not node else None
    return m.group(0) if m else None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == keyword:
            return k.value
    return call.args[index] if 0 <= index < len(call.args) else None


def _from_call(c: ast.Call) -> list[Call]:
    func = dotted(c.func)
    name = func.rsplit(".", 1)[-1]
    at = (c.lineno, c.col_offset + 1)
    out: list[Call] = []
    if name in _URI_CALLS:
        kind, i, kw = _URI_CALLS[name]
        out.append(Call(kind, func, name, literal(_arg(c, i, kw)), *at))
    elif name == "MlflowClient":
        for kind, i in _CLIENT_ARGS:
            v = _arg(c, i, kind)
            if v is not None:
                out.append(Call(kind, func, kind, literal(v), v.lineno, v.col_offset + 1))
    elif name in _ENV_SETTERS and func.endswith(("environ.setdefault", "os.putenv")):
        k = literal(_arg(c, 0, "key"))
        if k is not None:
            out.append(Call("env", func, k, literal(_arg(c, 1, "value")), *at))
    elif func.endswith("environ.update"):
        pairs = [(literal(k), v) for d in c.args if isinstance(d, ast.Dict)
                 for k, v in zip(d.keys, d.values, strict=True) if k is not None]
        pairs += [(k.arg, k.value) for k in c.keywords if k.arg]
        out += [Call("env", func, k, literal(v), v.lineno, v.col_offset + 1) for k, v in pairs if k]
    elif name == "transition_model_version_stage":
        out.append(Call("stage", func, name, literal(_arg(c, 2, "stage")), *at))
    elif name == "get_latest_versions" and _arg(c, 1, "stages") is not None:
        out.append(Call("stage", func, name, None, *at))
    elif name == "set_registered_model_alias":
        out.append(Call("alias", func, name, literal(_arg(c, 1, "alias")), *at))
    return out


def _from_assign(node: ast.Assign) -> list[Call]:
    out = []
    for t in node.targets:
        if isinstance(t, ast.Subscript) and dotted(t.value).endswith("environ"):
            key = literal(t.slice)
            if key is not None:
                out.append(Call("env", dotted(t.value), key, literal(node.value), t.lineno,
                                t.col_offset + 1))
    return out


def parse(text: str) -> ast.Module | None:
    """The module's syntax tree, or None when it does not parse (never raises)."""
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": the user's, not ours
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


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
    """Whether the text may hold one of the calls: plain substring tests first, they are cheap."""
    if any(n in text for n in _NAMES):
        return True
    return "environ" in text and _ENV_WRITE.search(text) is not None


_cache: tuple[Document, list[Call]] | None = None


def calls(doc: Document) -> list[Call]:
    """The relevant calls of a Python document in source order (cached for the document in hand)."""
    global _cache
    if _cache is not None and _cache[0] is doc:
        return _cache[1]
    found: list[Call] = []
    tree = parse(doc.text) if doc.kind == "python" and relevant(doc.text) else None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call):
            found += _from_call(node)
        elif isinstance(node, ast.Assign):
            found += _from_assign(node)
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
