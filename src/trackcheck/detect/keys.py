"""Secret-like key names (by their words, not a substring: ``max_tokens`` is not one), and the
values that only stand in for a secret."""

from __future__ import annotations

import re
from functools import lru_cache

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=8192)
def key_words(key: str) -> tuple[str, ...]:
    """``MLFLOW_TRACKING_PASSWORD`` → (mlflow, tracking, password); ``apiKey`` → (api, key)."""
    return tuple(w.lower() for w in _SPLIT.split(_CAMEL.sub("_", key)) if w)


def is_secret_key(key: str, words: frozenset[str], names: frozenset[str],
                  not_secret: frozenset[str]) -> bool:
    """True if the last segment of a key path names a secret."""
    if key in not_secret or key.lower() in not_secret:
        return False
    ws = key_words(key)
    if not ws:
        return False
    joined = "_".join(ws)
    for name in names:
        nws = "_".join(key_words(name))
        if joined == nws or joined.endswith("_" + nws):
            return True
    # a secret word as the last word (``db_password``) or any word in a 1-2 word key (``token``)
    return ws[-1] in words or "".join(ws[-2:]) in words


# a whole value that names where the secret comes from instead of holding it: CI expressions
# (``${{ secrets.X }}``), shell/compose variables without a literal default (``$X``, ``${X}``,
# ``${X:?unset}``, ``${X:-}``), Kubernetes ``$(X)``, template fields (``{{ .Values.x }}``),
# configparser ``%(x)s``, ``<your-token>`` and masks (``****``, ``xxxx``)
_STAND_IN = re.compile(
    r"^(?:\$\{\{[^{}]*\}\}|\$\{[A-Za-z_]\w*(?::?[?][^}]*|:?-)?\}|\$[A-Za-z_]\w*|\$\([A-Za-z_]\w*\)"
    r"|\{\{[^{}]*\}\}|%\(\w+\)s|<[^<>]+>|[*xX•.]{3,})$"
)


def is_stand_in(value: str) -> bool:
    """True for a value that refers to a secret kept elsewhere, or a template's placeholder."""
    return bool(_STAND_IN.match(value.strip()))
