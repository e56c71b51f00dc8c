"""Key names matched by their words (secret-like keys, tracking URI keys; ``max_tokens`` is no
secret and ``artifact_uri`` no tracking URI), and the values that only stand in for one."""

from __future__ import annotations

import re
from functools import lru_cache

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_INDEX = re.compile(r"\[\d+\]")


def without_indexes(path: str) -> str:
    """``a.b[0][1]`` → ``a.b``: the list indexes a key path ends in, read from its end (a regex
    anchored at the end would try every ``[`` of ``[0][0]…x`` again: quadratic)."""
    end = len(path)
    while end and path[end - 1] == "]":
        i = path.rfind("[", 0, end - 1)
        if i < 0 or not path[i + 1 : end - 1].isdecimal():
            break
        end = i
    return path[:end]


@lru_cache(maxsize=8192)
def key_words(key: str) -> tuple[str, ...]:
    """``MLFLOW_TRACKING_PASSWORD`` → (mlflow, tracking, password); ``apiKey`` → (api, key)."""
    return tuple(w.lower() for w in _SPLIT.split(_CAMEL.sub("_", key)) if w)


@lru_cache(maxsize=64)
def _joined(names: frozenset[str]) -> frozenset[str]:
    return frozenset("_".join(key_words(n)) for n in names)


def _named(ws: tuple[str, ...], words: frozenset[str], names: frozenset[str]) -> bool:
    joined = "_".join(ws)
    if any(joined == n or joined.endswith("_" + n) for n in _joined(names) if n):
        return True
    # a secret word as the last word (``db_password``), or the last two as one (``api_key``)
    return ws[-1] in words or "".join(ws[-2:]) in words


# a key that opens with a negation names what is not a secret: ``no_password: true``, a
# policy's own ``not_secret_keys: [max_tokens, ...]``
_NEGATIONS = frozenset({"no", "not", "non"})


def is_secret_key(key: str, words: frozenset[str], names: frozenset[str],
                  not_secret: frozenset[str]) -> bool:
    """True if the last segment of a key path names a secret (``not_secret`` compared by words,
    so ``max_tokens`` also excuses ``maxTokens``)."""
    ws = key_words(key)
    return bool(ws) and ws[0] not in _NEGATIONS and "_".join(ws) not in _joined(not_secret) \
        and _named(ws, words, names)


def is_secret_list_key(key: str, words: frozenset[str], names: frozenset[str],
                       not_secret: frozenset[str]) -> bool:
    """True if a key names a collection of secrets whose items are each one: a plural secret word
    on its own (``passwords``, ``secrets``, ``tokens``) or a plural secret name (``api_keys``,
    ``access_tokens``). A qualified plural word is vocabulary (``stop_tokens``, ``max_tokens``),
    and a plural key's own scalar is not an item (``tokens: 512``, ``secrets: inherit``)."""
    ws = key_words(key)
    if not ws or len(ws[-1]) < 3 or not ws[-1].endswith("s") or ws[0] in _NEGATIONS \
            or "_".join(ws) in _joined(not_secret):
        return False
    one = (*ws[:-1], ws[-1][:-1])
    joined = "_".join(one)
    if len(ws) == 1:
        return one[0] in words or joined in _joined(names)
    return any(joined == n or joined.endswith("_" + n) for n in _joined(names) if "_" in n)


# --- tracking URI keys ------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _uri_pattern(pattern: str) -> tuple[tuple[str, ...], ...]:
    """The segments of a ``uri_keys`` entry (split on ``.``), each as its words; ``*`` (one or
    more words) becomes ``?`` (one word) and ``*`` (any number of words)."""
    out = []
    for segment in pattern.split("."):
        words: list[str] = []
        for p in re.split(r"[^A-Za-z0-9*]+|(?<=\*)|(?=\*)", _CAMEL.sub("_", segment)):
            words.extend(("?", "*") if p == "*" else (p.lower(),) if p else ())
        out.append(tuple(words))
    return tuple(out)


def _glob(words: tuple[str, ...], pat: tuple[str, ...]) -> bool:
    """Wildcard match of words, in time words x pattern (never exponential)."""
    i = j = 0
    star, mark = -1, 0
    while i < len(words):
        if j < len(pat) and pat[j] != "*" and pat[j] in ("?", words[i]):
            i, j = i + 1, j + 1
        elif j < len(pat) and pat[j] == "*":
            star, mark, j = j, i, j + 1
        elif star >= 0:
            mark += 1
            i, j = mark, star + 1
        else:
            return False
    return all(p == "*" for p in pat[j:])


@lru_cache(maxsize=64)
def uri_key_ends(patterns: tuple[str, ...]) -> tuple[str, ...] | None:
    """The last word of every entry (``uri``, ``url``), or None when one ends in a wildcard."""
    ends = []
    for pattern in patterns:
        pat = _uri_pattern(pattern)
        if not pat or not pat[-1]:
            continue
        if pat[-1][-1] in ("*", "?"):
            return None
        ends.append(pat[-1][-1])
    return tuple(sorted(set(ends)))


def is_uri_key(path: str, patterns: tuple[str, ...]) -> bool:
    """True if a key path ends in a tracking/registry URI key: an entry's segments (split on
    ``.``) match the path's last segments word for word. A key written with dots reads as the
    nested keys it spells (``mlflow.tracking_uri:``); list indexes do not count."""
    ends = uri_key_ends(patterns)
    if ends is not None:  # the cheap test first: the key must end in an entry's last word
        last = _INDEX.sub("", path).rstrip(".").lower()
        if not last.endswith(ends):
            return False
    segments = [s for s in _INDEX.sub("", path).split(".") if s]
    for pattern in patterns:
        pat = _uri_pattern(pattern)
        if not pat or len(pat) > len(segments) or not all(pat):
            continue
        tail = segments[len(segments) - len(pat):]
        if all(_glob(key_words(s), p) for p, s in zip(pat, tail, strict=True)):
            return True
    return False


# --- values that are not the secret ------------------------------------------------------------
# a whole value that names where the secret comes from instead of holding it: CI expressions
# (``${{ secrets.X }}``), shell/compose variables without a literal default (``$X``, ``${X}``,
# ``${X:?unset}``, ``${X:-}``), Kubernetes ``$(X)``, template fields (``{{ .Values.x }}``),
# configparser ``%(x)s``, ``<your-token>`` and masks (``****``, ``xxxx``, ``...``)
_STAND_IN = re.compile(
    r"^(?:\$\{\{[^{}]*\}\}|\$\{[A-Za-z_]\w*(?::?[?][^}]*|:?-)?\}|\$[A-Za-z_]\w*|\$\([A-Za-z_]\w*\)"
    r"|\{\{[^{}]*\}\}|%\(\w+\)s|<[^<>]+>|[*xX•._\-]{3,})$"
)
# what a template asks the reader to fill in (``changeme``, ``REPLACE_ME``, ``your_password_here``,
# ``TODO``), and the type a schema or an example documents (``password: string``)
_FILL_IN = re.compile(
    r"^(?:change[\s_\-]?(?:me|this)|replace[\s_\-]?(?:me|this)|todo|tbd|fixme|placeholder"
    r"|redacted|your[\s_\-][\w\s\-]*|[\w\s\-]*[\s_\-]here"
    r"|str|string|text|int|integer|number|float|bool|boolean|bytes|none|secretstr|secret_str"
    r"|optional\[str\]|str\s*\|\s*none)$",
    re.I,
)


def is_stand_in(value: str) -> bool:
    """True for a value that refers to a secret kept elsewhere, a template's placeholder or a
    type name: what documents a secret without holding one."""
    v = value.strip()
    return bool(_STAND_IN.match(v) or _FILL_IN.match(v))
