"""Committed command lines: shell words with their positions, and the assignments in them.

A command line is read, never run. Shell scripts, Makefiles and Dockerfiles are split into words
the way a POSIX shell would (quotes, backslashes, comments, continuation lines); CI steps come
from the YAML strings under `run:`/`script:`/`command:`/...; `.hydra/overrides.yaml` and
`hydra.overrides.task` hold one Hydra override per entry. Every ``key=value`` word (a Hydra
override, ``+key=``/``++key=``/``~key=``, a ``--key=value`` option, an environment assignment)
and every ``--key value`` pair becomes an :class:`Assignment` located at its file line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from trackcheck.detect.keys import without_indexes
from trackcheck.detect.uris import is_loopback, uri_kind
from trackcheck.lint.document import Document, Memo, Node

KINDS = ("shell", "make", "docker")  # files that are command lines through and through
# YAML keys whose strings (or list items) are command lines: GitHub/GitLab CI, compose, k8s
COMMAND_KEYS = frozenset({"run", "script", "before_script", "after_script", "command", "args",
                          "entrypoint", "cmd"})
ENV_LIST_KEYS = frozenset({"environment", "env"})  # ``- KEY=value`` items (compose)
_OVERRIDE_LISTS = ("hydra.overrides.task", "hydra.overrides.hydra")
_OVERRIDE_ENDS = tuple(k.rsplit(".", 1)[-1] for k in _OVERRIDE_LISTS)
_OWNERS = COMMAND_KEYS | ENV_LIST_KEYS
# a key name that can hold a command line: an override list's or a command or environment key
_HOLDS_COMMANDS = Memo(lambda name: name.endswith(_OVERRIDE_ENDS) or name in _OWNERS)
_ASSIGN = re.compile(r"^(?P<prefix>\+\+|\+|~|--?)?(?P<key>[A-Za-z_][\w.\-@]*)=(?P<value>.*)$", re.S)
_OPTION = re.compile(r"^--(?P<key>[A-Za-z][\w\-.]*)$")
# ``$VAR``, ``${VAR}``, ``$(cmd)``, ``$1``, GitHub ``${{ ... }}``, Hydra ``${oc.env:X}``, backticks
_EXPANSION = re.compile(r"\$[{(A-Za-z_0-9@*#?]|`")
# the value up to its last non-blank character before a comment, read once (a lazy value
# followed by ``\s*`` read a long blank run again after every character: quadratic)
_MAKE_VAR = re.compile(r"^(?:export\s+|override\s+)?(?P<key>[A-Za-z_][\w.\-]*)\s*(?:::|:|\?|\+|!)?="
                       r"\s*(?P<value>(?:[^#]*[^#\s])?)\s*(?:#.*)?$")
_COMMAND = re.compile(r"[\w./@-]{1,60}")
_NOT_LITERAL = frozenset({"???", "null", "none", "~", "true", "false"})
_STAND_IN = re.compile(r"<[^<>]+>|[*xX.]{3,}")  # ``<your-token>``, ``****``
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a run of characters with no meaning to the shell, and the same inside double quotes: taken
# whole, since a character-by-character loop is what a long script would cost
_PLAIN = re.compile(r"[^\\'\"#\n;&| \t\r]+")
_DQ_PLAIN = re.compile(r"[^\"\\]+")
# commands whose ``NAME=value`` arguments set shell or environment variables
_DECLARE = frozenset({"export", "readonly", "local", "declare", "typeset", "env"})


@dataclass(frozen=True)
class Word:
    text: str  # after quote removal
    line: int
    column: int
    # just past the word's last character as written (quotes included); not part of equality
    end_line: int = field(default=0, compare=False)
    end_column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Assignment:
    """``key=value`` on a command line: ``key`` as written without its ``+``/``~``/``--`` prefix.
    A ``positional`` one is a plain argument: ``key`` names the command it is passed to."""

    key: str
    value: str
    line: int
    column: int
    positional: bool = False

    @property
    def name(self) -> str:
        """Last key segment, ``-`` read as ``_`` (``--tracking-uri`` → ``tracking_uri``)."""
        return self.key.split("@", 1)[0].rsplit(".", 1)[-1].replace("-", "_")

    @property
    def literal(self) -> bool:
        """The value holds text itself: not empty, not an expansion or a stand-in."""
        return is_literal(self.value)


def is_literal(value: str) -> bool:
    """A command-line value that holds text itself: not empty, not an expansion (``$VAR``,
    ``${VAR:-x}``, ``$(cmd)``), ``null``/``???``/a flag, or a stand-in (``<your-token>``)."""
    v = unquote(value.strip())
    return bool(v) and not _EXPANSION.search(v) and v.lower() not in _NOT_LITERAL \
        and not _STAND_IN.fullmatch(v)


def unquote(v: str) -> str:
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"" else v


def remote_uri(value: str) -> str | None:
    """Kind of a URI that leaves the machine, or None for loopback, local files and non-URIs.

    Hydra sweeps (``a,b``) count as remote when any of their choices is."""
    for part in unquote(value.strip()).split(","):
        kind = uri_kind(part)
        if kind in (None, "file", "path", "models", "runs") or part.lower().startswith("sqlite:"):
            continue
        if not is_loopback(part):
            return kind
    return None


# --- words ---------------------------------------------------------------------------
def split_commands(text: str, line: int = 1, column: int = 1) -> list[list[Word]]:
    """Split shell text into commands of words; never raises (an open quote runs to the end)."""
    commands: list[list[Word]] = []
    words: list[Word] = []
    buf: list[str] = []
    start: tuple[int, int] | None = None
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal buf, start
        if start is not None:
            words.append(Word("".join(buf), *start, end_line=line, end_column=column))
        buf, start = [], None

    def end_command() -> None:
        nonlocal words
        end_word()
        if words:
            commands.append(words)
        words = []

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":  # continuation line
                i, line, column = i + 2, line + 1, 1
                continue
            start = start or (line, column)
            buf.append(text[i + 1])
            i, column = i + 2, column + 2
            continue
        if c in "'\"":
            start = start or (line, column)
            if c == "'":
                j = text.find("'", i + 1)
                j = n if j == -1 else j
                buf.append(text[i + 1:j])
            else:
                j = i + 1
                while j < n and text[j] != c:
                    m = _DQ_PLAIN.match(text, j)
                    if m:
                        buf.append(m.group())
                        j = m.end()
                        continue
                    if j + 1 < n and text[j + 1] in '"\\$`\n':  # an escape: the next character
                        j += 1
                    buf.append(text[j])
                    j += 1
            quoted = text[i:j + 1]
            breaks = quoted.count("\n")
            line, column = (line + breaks, len(quoted) - quoted.rfind("\n")) if breaks else \
                (line, column + len(quoted))
            i = j + 1
            continue
        if c == "#" and start is None:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "\n" or c in ";&|":
            end_command()
        elif c in " \t\r":
            end_word()
        else:
            start = start or (line, column)
            m = _PLAIN.match(text, i)
            if m is not None and m.end() > i + 1:
                buf.append(m.group())
                i, column = m.end(), column + m.end() - i
                continue
            buf.append(c)
        line, column = (line + 1, 1) if c == "\n" else (line, column + 1)
        i += 1
    end_command()
    return commands


def assignments(words: list[Word], *, options: bool = True,
                arguments: bool = False) -> Iterator[Assignment]:
    """``key=value`` words, ``--key value`` pairs when ``options``, and, when ``arguments``, the
    other words long enough to hold a credential (for a token passed as a plain argument)."""
    command = next((w.text for w in words if not _ASSIGN.match(w.text)), "")
    command = command if _COMMAND.fullmatch(command) else "command"
    taken = -1
    for k, w in enumerate(words):
        m = _ASSIGN.match(w.text)
        o = _OPTION.match(w.text) if options and not m else None
        if m:
            yield Assignment(m.group("key"), m.group("value"), w.line, w.column)
        elif o and k + 1 < len(words) and not words[k + 1].text.startswith("-"):
            nxt, taken = words[k + 1], k + 1
            yield Assignment(o.group("key"), nxt.text, nxt.line, nxt.column)
        elif arguments and k != taken and len(w.text) >= 16 and w.text != command:
            yield Assignment(command, w.text, w.line, w.column, positional=True)


def keyed_words(words: list[Word]) -> Iterator[tuple[Word, str, str, bool]]:
    """Each word of a command as (word, name, value, sets_variable): a ``NAME=value`` word gives
    its NAME and value, and sets a variable when it stands before the command or after
    ``export``/``env``/``local``/...; the word after ``--option`` is that option's value; any
    other word is given under the command's name."""
    command, option = "", None
    for w in words:
        m = _ASSIGN.match(w.text)
        if m:
            name = m.group("key")
            sets = (not command or command in _DECLARE) and not m.group("prefix") \
                and _SHELL_NAME.fullmatch(name) is not None
            yield w, name, m.group("value"), sets
            option = None
            continue
        if not command or (command == "env" and not w.text.startswith("-")):
            command = w.text if _COMMAND.fullmatch(w.text) else "command"
            yield w, command, w.text, False
            continue
        if option is not None:
            yield w, option, w.text, False
            option = None
            continue
        o = _OPTION.match(w.text)
        option = o.group("key") if o else None
        yield w, command, w.text, False


# --- per kind of file ------------------------------------------------------------------
def _make(text: str) -> Iterator[Assignment]:
    lines = text.split("\n")
    for no, raw in enumerate(lines, 1):
        m = None if raw.startswith("\t") else _MAKE_VAR.match(raw)
        if m and not re.match(r"^\S+=\S", raw.strip()):  # ``A=b`` alone is left to the word split
            yield Assignment(m.group("key"), m.group("value"), no, m.start("value") + 1)
            lines[no - 1] = ""
    for cmd in split_commands("\n".join(lines)):
        yield from assignments(cmd, arguments=True)


def _docker(text: str) -> Iterator[Assignment]:
    for cmd in split_commands(text):
        head = cmd[0].text.upper()
        if head == "ENV" and len(cmd) >= 3 and "=" not in cmd[1].text:  # legacy ``ENV KEY value``
            value = " ".join(w.text for w in cmd[2:])
            yield Assignment(cmd[1].text, value, cmd[2].line, cmd[2].column)
            continue
        if len(cmd) > 1 and cmd[1].text.startswith("["):  # exec form: ["python", "x=y"]
            cmd = [Word(w.text.strip("[],"), w.line, w.column) for w in cmd]
        yield from assignments(cmd, arguments=True)


def _yaml(doc: Document) -> Iterator[Assignment]:
    overrides_file = doc.path.rsplit("/", 1)[-1] == "overrides.yaml"
    if not overrides_file and not _HOLDS_COMMANDS.any_of(doc.names()):
        return  # no key of the document holds a command line (most files)
    lines = doc.text.split("\n")
    cursor = [0, 0]
    for node in doc.strings():
        owner = node.name or node.owner
        # the key must end in an override list's last segment or be a command/env key (most
        # strings are neither: their key path is not read)
        if not (owner.endswith(_OVERRIDE_ENDS) or owner in _OWNERS
                or (overrides_file and not node.name)):
            continue
        parent = without_indexes(node.key)
        if parent.endswith(_OVERRIDE_LISTS) or (overrides_file and parent == "" and not node.name):
            words = [[Word(node.value, node.line, node.column)]]  # one override per entry
        elif owner in ENV_LIST_KEYS and not node.name:
            words = [[Word(node.value, node.line, node.column)]]
        elif owner in COMMAND_KEYS:
            words = split_commands(node.value, node.line, node.column)
        else:
            continue
        for cmd in words:
            for a in assignments(cmd):
                yield _locate(a, node, lines, cursor)


def _locate(a: Assignment, node: Node, lines: list[str], cursor: list[int]) -> Assignment:
    """Where the assignment stands in the file: searched from the scalar's start, since block and
    quoted scalars do not keep the columns of their text."""
    first = (node.line - 1, node.column - 1)
    if (cursor[0], cursor[1]) < first:
        cursor[0], cursor[1] = first
    last = min(len(lines), node.line + node.value.count("\n") + 50)
    for needle in (a.key + "=", a.value):
        for no in range(cursor[0], last):
            col = lines[no].find(needle, cursor[1] if no == cursor[0] else 0) if needle else -1
            if col >= 0:
                cursor[0], cursor[1] = no, col + len(needle)
                while col > 0 and lines[no][col - 1] in "+~-":  # the override's own prefix
                    col -= 1
                return Assignment(a.key, a.value, no + 1, col + 1)
    return Assignment(a.key, a.value, node.line, node.column)


_cache: tuple[Document, list[Assignment]] | None = None
_words: tuple[Document, list[list[Word]]] | None = None


def commands(doc: Document) -> list[list[Word]]:
    """The commands of a shell script, split once for every rule that reads them (cached for the
    document in hand)."""
    global _words
    if _words is None or _words[0] is not doc:
        _words = (doc, split_commands(doc.text))
    return _words[1]


def from_document(doc: Document) -> list[Assignment]:
    """Every assignment on the command lines of a document (cached for the document in hand)."""
    global _cache
    if _cache is not None and _cache[0] is doc:
        return _cache[1]
    if doc.kind == "shell":
        found = [a for cmd in commands(doc) for a in assignments(cmd, arguments=True)]
    elif doc.kind == "make":
        found = list(_make(doc.text))
    elif doc.kind == "docker":
        found = list(_docker(doc.text))
    elif doc.nodes:
        found = list(_yaml(doc))
    else:
        found = []
    _cache = (doc, found)
    return found
