"""String literals of Python and shell sources as located values, for the secret rules.

TC110, TC103 and TC111 read code through this module (SPEC, "Secrets in code"). A Python file is
parsed with `ast` only when its text holds a candidate (a known token, a URI with user-info, a
secret-like name); one that does not parse is still searched for tokens and credential URIs on
its raw text, so a broken file hides no secret. Shell scripts are read as words
(`commandlines.split_commands`).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from trackcheck.detect.keys import is_stand_in, key_words
from trackcheck.detect.tokens import KNOWN_TOKENS, TOKEN_KEYWORDS
from trackcheck.detect.uris import credential_in_uri
from trackcheck.lint import commandlines, pysource
from trackcheck.lint.document import CODE_STRING_KINDS, Document
from trackcheck.policy import Policy

if TYPE_CHECKING:
    from trackcheck.lint.context import LintContext

KINDS = CODE_STRING_KINDS
# the text of a string outside its placeholders, less auth schemes and punctuation (as TC111
# reads an interpolation in YAML): ``f"Bearer {token}"`` holds no secret of its own
_AUTH_SCHEME = re.compile(r"\b(?:bearer|basic|token|digest)\b|[\W_]", re.I)
# URI passwords that documentation writes where the reader puts theirs
_EXAMPLE_PASSWORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "changeme"})
# what follows a secret word, up to the end of its name, when the name is given a value:
# ``password =``, ``api_key:``, ``"password":``, ``d["secret"] =``, ``"DB_PASSWORD",``
# (bounded: linear time)
_GIVEN = r"(?=[\w\-]{0,32}+['\"]?\]?[ \t]*[:=,])"
# a built-in format is run over a whole file only when one of its words (``TOKEN_KEYWORDS``, as
# gitleaks' rule keywords) is in it; a team's own pattern always runs
_BUILT_IN = frozenset(rx.pattern for _, rx in KNOWN_TOKENS)  # a team's pattern has no keywords
# a dict key that names a value (``"api_key"``, ``"X-Api-Key"``); a phrase is a label
_KEY_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


@dataclass(frozen=True)
class CodeString:
    """A string value of a code file. ``role`` says what ``key`` is: ``name`` — the name the
    value is given to (an assignment target, a keyword argument, a dict key, a parameter's
    default); ``item`` — an item of a list, tuple or set given to that name (a secret only
    under a plural: ``API_KEYS = [...]``, not a ``PASS = [...]`` table); ``default`` — the
    variable of an environment read whose default this is (``os.getenv("DB_PASSWORD", "...")``);
    ``env`` — a shell variable (``export NAME=value``); ``""`` — a bare literal, under the
    enclosing call or assignment target (or ``""``)."""

    text: str  # the value; parts not written in the code (f-string fields, names) read ${...}
    key: str
    role: str
    line: int
    column: int
    end: tuple[int, int]  # (line, column) just past the value as written
    sources: frozenset[pysource.Pos] = frozenset()  # Python: the literals it was read from


@dataclass(frozen=True)
class Found:
    """A match in a file's text with where it stands and the key of the value holding it."""

    kind: str
    text: str
    key: str
    line: int
    column: int


class _Lines:
    """Line starts of a text, and the character column of an ``ast`` byte offset (UTF-8 lines
    are measured once, when first asked)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._wide: dict[int, tuple[list[int], list[int]]] = {}

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def column(self, line: int, byte_col: int) -> int:
        if not 0 < line <= len(self.starts):
            return byte_col + 1
        wide = self._wide.get(line)
        if wide is None:
            end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
            text = self.text[self.starts[line - 1]:end]
            ends: list[int] = []  # byte offset just past each non-ASCII character
            extra: list[int] = []  # bytes beyond one per character, up to there
            b = x = 0
            for ch in "" if text.isascii() else text:
                n = len(ch.encode("utf-8", "surrogatepass"))
                b, x = b + n, x + n - 1
                if n > 1:
                    ends.append(b)
                    extra.append(x)
            wide = self._wide[line] = (ends, extra)
        i = bisect_right(wide[0], byte_col)
        return byte_col - (wide[1][i - 1] if i else 0) + 1


# --- Python ------------------------------------------------------------------------------
def _target(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return pysource.literal(node.slice) or ""
    return ""


def _call_name(node: ast.Call) -> str:
    name = pysource.dotted(node.func)
    return name.rsplit(".", 1)[-1] if "?" in name else name


def _python(text: str, module: ast.Module) -> list[CodeString]:
    lines = _Lines(text)
    out: list[CodeString] = []
    # (node, key, role): a stack, not recursion, since expressions nest deeply
    stack: list[tuple[ast.AST, str, str]] = [(module, "", "")]
    push = stack.append
    while stack:
        node, key, role = stack.pop()
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            r = pysource.render(node, calls=False)
            if r is not None:
                start = (node.lineno, lines.column(node.lineno, node.col_offset))
                end_line = node.end_lineno or node.lineno
                end = (end_line, lines.column(end_line, node.end_col_offset or 0))
                out.append(CodeString(r.text, key, role, *start, end, r.sources))
                stack += [(n, key, "") for n in r.rest]
                continue
        if isinstance(node, ast.Assign):
            name = _target(node.targets[0])
            t, v = node.targets[0], node.value
            if len(node.targets) == 1 and isinstance(t, (ast.Tuple, ast.List)) \
                    and isinstance(v, (ast.Tuple, ast.List)) and len(t.elts) == len(v.elts):
                stack += [(e, _target(te), "name") for te, e in zip(t.elts, v.elts, strict=True)]
            else:
                push((v, name, "name"))
            stack += [(t, "", "") for t in node.targets]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            if node.value is not None:
                push((node.value, _target(node.target), "name"))
            push((node.target, "", ""))
        elif isinstance(node, ast.Call):
            func = _call_name(node)
            push((node.func, key, ""))
            env = func.rsplit(".", 1)[-1] == "getenv" or func.endswith("environ.get")
            var = pysource.literal(node.args[0]) if env and node.args else None
            for i, a in enumerate(node.args):
                push((a, var, "default") if var and i == 1 else (a, func, ""))
            for k in node.keywords:
                if var and k.arg == "default":
                    push((k.value, var, "default"))
                else:
                    push((k.value, k.arg, "name") if k.arg else (k.value, func, ""))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            positional = [*a.posonlyargs, *a.args]
            stack += [(d, p.arg, "name") for p, d in
                      zip(positional[len(positional) - len(a.defaults):], a.defaults, strict=True)]
            stack += [(d, p.arg, "name") for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
                      if d is not None]
            if isinstance(node, ast.Lambda):
                push((node.body, "", ""))
            else:
                stack += [(n, "", "") for n in (*node.decorator_list, *node.body)]
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                name = pysource.literal(k) if k is not None else None
                named = name is not None and _KEY_NAME.fullmatch(name) is not None
                push((v, name, "name") if named and name is not None else (v, key, ""))
                if k is not None:
                    push((k, key, ""))
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            item = "item" if role in ("name", "item") else role
            stack += [(e, key, item) for e in node.elts]
        elif isinstance(node, ast.IfExp):
            stack += [(node.test, key, ""), (node.body, key, role), (node.orelse, key, role)]
        elif isinstance(node, (ast.BoolOp, ast.Starred)):
            stack += [(v, key, role) for v in
                      (node.values if isinstance(node, ast.BoolOp) else [node.value])]
        elif not isinstance(node, (ast.arg, ast.arguments)):  # annotations are types
            inherit = key if isinstance(node, ast.expr) else ""
            stack += [(n, inherit, "") for n in ast.iter_child_nodes(node)]
    out.sort(key=lambda s: (s.line, s.column))
    return out


# --- shell ---------------------------------------------------------------------------------
def _shell(doc: Document) -> list[CodeString]:
    out = []
    for cmd in commandlines.commands(doc):
        for w, name, value, sets in commandlines.keyed_words(cmd):
            out.append(CodeString(value, name, "env" if sets else "", w.line, w.column,
                                  (w.end_line, w.end_column)))
    return out


_cache: tuple[Document, list[CodeString] | None] | None = None


def values(doc: Document) -> list[CodeString] | None:
    """The string values of a Python or shell document in source order (cached for the
    document in hand); None for Python that does not parse. Callers test the text for a
    candidate first: this parses."""
    global _cache
    if _cache is not None and _cache[0] is doc:
        return _cache[1]
    found: list[CodeString] | None = []
    if doc.kind == "python":
        module = pysource.tree(doc)
        found = None if module is None else _python(doc.text, module)
    elif doc.kind == "shell":
        found = _shell(doc)
    _cache = (doc, found)
    return found


def _holding(vals: list[CodeString], starts: list[tuple[int, int]], line: int,
             column: int) -> CodeString | None:
    """The innermost value whose span holds the position (None in a comment)."""
    i = bisect_right(starts, (line, column))
    for s in reversed(vals[max(0, i - 50):i]):  # values nest only in f-string fields
        if (line, column) < s.end:
            return s
    return None


# --- what the rules read ---------------------------------------------------------------
def token_matches(text: str, policy: Policy) -> list[tuple[int, str, str]]:
    """Every known token in a text as (offset, format name, token); where two formats overlap,
    the one listed first wins, as in ``Policy.find_token``."""
    if len(text) < 16:
        return []
    taken: list[tuple[int, int]] = []
    found = []
    for name, rx in (*KNOWN_TOKENS, *policy.extra_token_patterns()):
        keywords = TOKEN_KEYWORDS.get(name) if rx.pattern in _BUILT_IN else None
        if keywords is not None and not any(k in text for k in keywords):
            continue
        for m in rx.finditer(text):
            s, e = m.span()
            i = bisect_right(taken, (s, e))
            if s == e or (i and taken[i - 1][1] > s) or (i < len(taken) and taken[i][0] < e):
                continue
            taken.insert(i, (s, e))
            found.append((s, name, m.group(0)))
    return sorted(found)


def tokens(doc: Document, policy: Policy) -> Iterator[Found]:
    """The known tokens of a code file, anywhere in its text (strings, comments, a file that
    does not parse), each under the key of the value that holds it."""
    matches = token_matches(doc.text, policy)
    if not matches:
        return  # no token: the file is not parsed
    lines = _Lines(doc.text)
    vals = values(doc) or []
    starts = [(s.line, s.column) for s in vals]
    for offset, kind, token in matches:
        line, column = lines.at(offset)
        holder = _holding(vals, starts, line, column)
        yield Found(kind, token, holder.key if holder else "", line, column)


def example_password(m: re.Match[str]) -> bool:
    """``postgresql://user:password@host``: documentation's stand-in, not a password."""
    return m.group("password").lower() in _EXAMPLE_PASSWORDS


def _raw_credentials(text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """Credential URIs in raw text, each ``://`` read in a bounded window (linear time)."""
    seen = set()
    i = text.find("://")
    while i != -1:
        a = i
        while a > 0 and i - a < 32 and (text[a - 1].isalnum() or text[a - 1] in "+.-"):
            a -= 1
        e = text.find("\n", i, i + 512)
        e = e if e != -1 else i + 512
        at = text.find("@", i, e)  # ``user:password@``: the shape first, the regex only then
        m = credential_in_uri(text[a:e]) if at != -1 and text.find(":", i + 3, at) != -1 \
            else None
        if m is not None and a + m.start() not in seen and not example_password(m):
            seen.add(a + m.start())
            yield a + m.start(), m
        i = text.find("://", i + 3)


def credential_uris(doc: Document) -> Iterator[tuple[CodeString, re.Match[str]]]:
    """The values holding a URI with a password; for Python that does not parse, the URIs of
    its raw text (as values without a key)."""
    text = doc.text
    if "@" not in text or "://" not in text:
        return
    if next(_raw_credentials(text), None) is None:
        return  # no candidate: not worth a parse
    vals = values(doc)
    if vals is None:
        lines = _Lines(text)
        for offset, m in _raw_credentials(text):
            line, column = lines.at(offset)
            yield CodeString(m.group(0), "", "", line, column, (line, column)), m
        return
    for s in vals:
        m = credential_in_uri(s.text) if "@" in s.text else None
        if m is not None and not example_password(m):
            yield s, m


@lru_cache(maxsize=16)
def _secret_words(words: tuple[str, ...], names: tuple[str, ...],
                  fold: bool) -> re.Pattern[str]:
    """The policy's secret words and names (``api[\\W_]*key``) followed by ``_GIVEN``; matched
    against lower-cased text (``fold``), or case-insensitively (slower) when lower-casing would
    move characters."""
    parts = {re.escape(w.lower()) for w in words}
    parts |= {r"[\W_]*".join(map(re.escape, key_words(n))) for n in names if key_words(n)}
    if not parts:
        return re.compile(r"(?!)")
    alternatives = "|".join(sorted(parts, key=len, reverse=True))
    return re.compile(f"(?:{alternatives}){_GIVEN}", 0 if fold else re.I)


def _secret(name: str, role: str, ctx: LintContext) -> bool:
    return ctx.secret_list_key(name) if role == "item" else ctx.secret_key(name)


def _gives_a_secret(text: str, ctx: LintContext) -> bool:
    """Whether the text gives a value to a secret-like name (``password =``, ``"api_key":``,
    ``getenv("DB_PASSWORD",``): the policy's words are searched for first, and only the names
    around them are judged, each at most once."""
    policy = ctx.policy
    low = text.lower()
    fold = len(low) == len(text)  # lower-casing kept every character in its place
    rx = _secret_words(tuple(policy.secret_key_words), tuple(policy.secret_key_names), fold)
    scanned = low if fold else text
    m = rx.search(scanned)
    while m is not None:
        a, b = m.start(), m.end()
        while a > max(0, m.start() - 128) and (text[a - 1].isalnum() or text[a - 1] in "_-"):
            a -= 1  # a name's last 128 characters say whether it is secret-like
        while b < len(text) and (text[b].isalnum() or text[b] in "_-"):
            b += 1
        name = text[a:b]
        if ctx.secret_key(name) or ctx.secret_list_key(name):
            return True
        m = rx.search(scanned, b)
    return False


def bindings(doc: Document, ctx: LintContext) -> Iterator[CodeString]:
    """The values given to a secret-like name: Python assignments, keyword arguments, dict keys,
    parameter defaults, environment-read defaults and the items of a list of secrets
    (``API_KEYS = [...]``); shell variable assignments."""
    if not _gives_a_secret(doc.text, ctx):
        return  # no secret-like name given a value: not worth a parse
    for s in values(doc) or ():
        if s.role and _secret(s.key, s.role, ctx):
            yield s


def holds_text(doc: Document, s: CodeString) -> bool:
    """Whether the value holds text of its own: not empty, not a stand-in (``<your-token>``,
    ``$VAR``, ``${VAR}``), and, where parts are filled in at run time (``f"Bearer {t}"``), more
    than an auth scheme around them. A shell value with an expansion is not a literal."""
    return commandlines.is_literal(s.text) if doc.kind == "shell" else own_text(s.text)


def own_text(value: str) -> bool:
    """``holds_text`` for a Python string as ``pysource.render`` reads it."""
    v = value.strip()
    if not v or is_stand_in(v):
        return False
    if pysource.PLACEHOLDER in v:
        return len(_AUTH_SCHEME.sub("", v.replace(pysource.PLACEHOLDER, " "))) >= 4
    return True
