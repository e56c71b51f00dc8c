"""OmegaConf interpolations read with OmegaConf's own grammar, string by string, never resolved."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser as P

# resolvers OmegaConf and Hydra register at run time; a standalone linter treats them as known
KNOWN_RESOLVERS = frozenset(
    {"oc.env", "oc.create", "oc.deprecated", "oc.decode", "oc.select", "oc.dict.keys",
     "oc.dict.values", "now", "hydra", "python_version"}
)


class Resolver(NamedTuple):  # a tuple: made for every distinct string read, and cheaply
    name: str
    args: tuple[str, ...]  # argument texts, quotes removed for quoted values
    args_interpolated: tuple[bool, ...]


class Interpolation(NamedTuple):
    """What a string value is made of: literal text, node references and resolver calls (a
    tuple: one is made for every distinct string of a tree, and a frozen dataclass costs four
    times as much to make)."""

    error: str | None = None
    text: str = ""  # the literal text around interpolations, escapes removed
    refs: tuple[str, ...] = ()
    resolvers: tuple[Resolver, ...] = ()
    top_level: int = 0  # how many interpolations stand at the top level of the string
    has_text: bool = False

    @property
    def is_interpolation(self) -> bool:
        return self.top_level > 0

    @property
    def is_pure_ref(self) -> bool:
        """``${a.b}`` and nothing else."""
        return (self.top_level == 1 and not self.has_text and len(self.refs) == 1
                and not self.resolvers)

    @property
    def is_env_lookup(self) -> bool:
        """``${oc.env:VAR}`` or ``${oc.env:VAR,default}`` and nothing else."""
        return (
            self.top_level == 1 and not self.has_text and bool(self.resolvers)
            and self.resolvers[0].name == "oc.env"
        )

    def env_defaults(self) -> list[str]:
        """Literal defaults of every ``oc.env`` call in the value, nested ones included."""
        return [
            r.args[1] for r in self.resolvers
            if r.name == "oc.env" and len(r.args) >= 2 and not r.args_interpolated[1]
        ]


def _terminal_type(t: object) -> int | None:
    sym = getattr(t, "symbol", None)
    return sym.type if sym is not None else None


def _element_text(el: P.ElementContext) -> tuple[str, bool]:
    """Text of a resolver argument (quotes removed) and whether it holds an interpolation."""
    raw = el.getText()
    interpolated = "${" in raw.replace("\\${", "")
    q = el.quotedValue() if hasattr(el, "quotedValue") else None
    if q is not None:
        inner = q.text()
        return (inner.getText() if inner is not None else ""), interpolated
    return raw, interpolated


# The common shapes, read without ANTLR (~0.2 ms a string): literal text without ``\``, ``$``,
# ``{``, ``}`` around ``${a.b[c]}`` node references and ``${name:arg,...}`` resolver calls with
# plain arguments. Each is a subset of OmegaConf's SIMPLE_INTERPOLATION_PATTERN (strings it vouches
# for as grammatical); tests check that this reading equals the grammar's on generated strings.
_KEY = r"[\w\-]+"
_NODE = rf"\.*(?:{_KEY}|\[{_KEY}\])(?:\.{_KEY}|\[{_KEY}\])*"
_NAME = r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*"
_ARG = r"[\w/\-+.%*@?|]+"
_PIECE = re.compile(
    rf"\$\{{(?:(?P<node>{_NODE})|(?P<name>{_NAME}):(?P<args>{_ARG}(?:,{_ARG})*))\}}", re.ASCII)
_PLAIN_TEXT = re.compile(r"[^\\${}]*")


def _simple(value: str) -> Interpolation | None:
    """The grammar's reading of a simple string, or None when it needs the grammar."""
    text: list[str] = []
    refs: list[str] = []
    resolvers: list[Resolver] = []
    pos = 0
    for m in _PIECE.finditer(value):
        start = m.start()
        if start != pos:  # literal text before it (most pieces stand alone or side by side)
            gap = value[pos:start]
            if not _PLAIN_TEXT.fullmatch(gap):
                return None
            text.append(gap)
        node, name, args = m.group("node", "name", "args")
        if node is not None:
            refs.append(node)
        else:
            split = tuple(args.split(","))
            resolvers.append(Resolver(name, split, (False,) * len(split)))
        pos = m.end()
    if not pos:
        return None
    if pos != len(value):
        tail = value[pos:]
        if not _PLAIN_TEXT.fullmatch(tail):
            return None
        text.append(tail)
    joined = "".join(text)
    return Interpolation(text=joined, refs=tuple(refs), resolvers=tuple(resolvers),
                         top_level=len(refs) + len(resolvers), has_text=bool(joined))


def analyse(value: str) -> Interpolation:
    """Parse one string with OmegaConf's grammar; strings without ``${`` cost nothing."""
    if "${" not in value:
        return Interpolation(text=value, has_text=bool(value))
    return _cached(value) if len(value) <= 1024 else _read(value)


@lru_cache(maxsize=65536)  # short strings repeat across a tree; long ones would only hold memory
def _cached(value: str) -> Interpolation:
    return _read(value)


def _read(value: str) -> Interpolation:
    fast = _simple(value)
    if fast is not None:
        return fast
    pieces = _pieces(value)
    if isinstance(pieces, str):
        return Interpolation(error=pieces)
    if len(pieces) == 1:
        return grammar(value)
    parts = [_piece(p) for p in pieces]
    for part in parts:
        if part.error is not None:
            return part
    return Interpolation(
        text="".join(p.text for p in parts), refs=tuple(r for p in parts for r in p.refs),
        resolvers=tuple(r for p in parts for r in p.resolvers),
        top_level=sum(p.top_level for p in parts), has_text=any(p.has_text for p in parts))


@lru_cache(maxsize=4096)
def _piece(value: str) -> Interpolation:
    if "${" not in value:
        return Interpolation(text=value, has_text=bool(value))
    return _simple(value) or grammar(value)


# What OmegaConf's grammar is given at once. Its parser (ANTLR, in Python) costs ~0.1 ms a
# character and more than that per level of nesting (an interpolation nested 1,250 deep took
# minutes), so a long string is read in pieces cut where its top level allows (see _pieces),
# each piece by the grammar, and an interpolation longer or deeper than this is not parsed at
# all: it is an error (TC002), and the secret rules read its text as it is written.
PIECE = 1024  # characters of top-level text after which a long string is cut
MAX_INTERPOLATION = 4096  # characters of one top-level interpolation, nested ones included
MAX_NESTING = 32  # interpolations (and braces) inside one another
# what the grammar's lexer reads as one key inside ``${...}`` (``INTER_KEY``, '$' included)
_KEY_STOP = frozenset("\\{}()[]:. \t'\"")
_VALUE_ESCAPES = frozenset("\\()[]{}:=, \t")  # ``\x`` that is one escape in a resolver argument


def _pieces(value: str, piece: int = PIECE) -> list[str] | str:
    """The string cut into pieces that OmegaConf's grammar reads exactly as it reads the whole
    (cut only at the top level, after a character that is not ``\\`` or ``$``: inside plain
    text or after a closed interpolation), or why it is not parsed.

    Follows the modes of the grammar's lexer (``OmegaConfGrammarLexer.g4``): top-level text,
    an interpolation, a resolver's arguments (braces nest there), quoted arguments, and the
    backslashes that escape ``${`` and quotes. A wrong turn here can only put a cut where the
    lexer is still inside an interpolation; that piece then fails to parse on its own, so an
    error is never hidden (tests compare both readings on generated strings)."""
    stack: list[str] = []  # "I" interpolation, "V" resolver arguments, "'"/'"' quoted
    pieces: list[str] = []
    start = opened = i = 0
    n = len(value)
    while i < n:
        c = value[i]
        mode = stack[-1] if stack else ""
        if c == "\\" and mode in ("", "'", '"'):
            j = i
            while j < n and value[j] == "\\":
                j += 1
            if (j - i) % 2 and (value.startswith("${", j) or (mode and value.startswith(mode, j))):
                j += 2 if value[j] == "$" else 1  # an escaped ``${`` or quote: text
            i = j
        elif c == "$" and value.startswith("${", i):
            if not stack:
                opened = i
            stack.append("I")
            i += 2
        elif mode == "I":
            if c == "}":
                stack.pop()
            elif c == ":":
                stack[-1] = "V"
            elif c not in _KEY_STOP:
                while i + 1 < n and value[i + 1] not in _KEY_STOP:
                    i += 1  # a key swallows '$': ``${a$b}`` is one key
            i += 1
        elif mode == "V":
            if c == "\\":
                i += 1 if value[i + 1 : i + 2] in _VALUE_ESCAPES and i + 1 < n else 0
            elif c == "{":
                stack.append("V")
            elif c == "}":
                stack.pop()
            elif c in "'\"":
                stack.append(c)
            i += 1
        else:
            if mode and c == mode:
                stack.pop()
            i += 1
        if len(stack) > MAX_NESTING:
            return f"interpolations nested deeper than {MAX_NESTING}: not parsed"
        if stack:
            if i - opened > MAX_INTERPOLATION:
                return f"an interpolation longer than {MAX_INTERPOLATION} characters: not parsed"
        elif i - start >= piece and value[i - 1] not in "\\$":
            pieces.append(value[start:i])
            start = i
    if start < n:
        pieces.append(value[start:])
    return pieces


def grammar(value: str) -> Interpolation:
    """The reading of OmegaConf's own (ANTLR) grammar parser, for any string."""
    # OmegaConf and the ANTLR runtime cost ~40 ms to import: only a string the fast path
    # cannot read pays for them (a fresh-process test keeps a plain run free of them)
    from omegaconf import grammar_parser
    from omegaconf.errors import GrammarParseError
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser as P

    try:
        tree = grammar_parser.parse(value)
    except GrammarParseError as e:
        # ANTLR's messages quote the offending text, which may be a secret: say only what broke
        msg = str(e)
        unclosed = value.replace("\\${", "").count("${") > value.count("}")
        if unclosed or any(m in msg for m in ("BRACE_CLOSE", "INTER_CLOSE", "<EOF>")):
            return Interpolation(error="unclosed '${'")
        if "token recognition error" in msg:
            return Interpolation(error="a character OmegaConf's grammar does not allow there")
        return Interpolation(error="OmegaConf's grammar rejects it")
    except Exception as e:  # the ANTLR runtime can raise on pathological input
        return Interpolation(error=f"cannot parse interpolation ({type(e).__name__})")
    text: list[str] = []
    refs: list[str] = []
    resolvers: list[Resolver] = []
    top = 0
    has_text = False
    textctx = tree.text()
    children = list(textctx.getChildren()) if textctx is not None else []
    for n, ch in enumerate(children):
        if isinstance(ch, P.InterpolationContext):
            top += 1
            continue
        tt = _terminal_type(ch)
        if tt == P.ESC_INTER:  # ``\${``, after any number of escaped backslashes
            text.append("\\" * ((len(ch.getText()) - 2) // 2) + "${")
        elif tt == P.TOP_ESC:  # ``\\`` pairs: one ``\`` each before an interpolation, else as is
            before = n + 1 < len(children) and isinstance(children[n + 1], P.InterpolationContext)
            text.append("\\" * (len(ch.getText()) // 2) if before else ch.getText())
        elif tt == P.ESC:
            text.append(ch.getText()[1:])
        elif tt is not None:
            text.append(ch.getText())
        if ch.getText():
            has_text = True
    # collect every node reference and resolver call, nested ones included
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, P.InterpolationNodeContext):
            refs.append(node.getText()[2:-1])
        elif isinstance(node, P.InterpolationResolverContext):
            name = node.resolverName().getText()
            seq = node.sequence()
            els = list(seq.element()) if seq is not None else []
            pairs = [_element_text(e) for e in els]
            resolvers.append(Resolver(name, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
        kids = ([c for c in node.getChildren() if not _terminal_type(c)]
                if hasattr(node, "getChildren") else [])
        stack.extend(reversed(kids))  # pre-order: outer calls before nested ones, left to right
    return Interpolation(
        text="".join(text), refs=tuple(refs), resolvers=tuple(resolvers), top_level=top,
        has_text=has_text,
    )
