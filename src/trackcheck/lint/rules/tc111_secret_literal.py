"""A secret-like key holding a literal value instead of a reference to where the secret lives.

## What it does
Checks every key named like a secret by the policy (`password`, `token`, `secret`, `api_key`,
`MLFLOW_TRACKING_PASSWORD`, ...; by its words, so `max_tokens` and `tokenizer` are not) in every
linted file: Hydra config, CI workflows and other YAML, `.env`, `.databrickscfg`, `.netrc`. Its
value must be an env lookup (`${oc.env:DB_PASSWORD}`), `null`, `???`, empty, a reference to
another key, or, outside Hydra config, a CI or shell variable (`${{ secrets.DB_PASSWORD }}`,
`$DB_PASSWORD`, `${DB_PASSWORD}`) or a template placeholder (`<your-token>`, `****`). Items of
a list under a secret-like key count as well. A value built from interpolations is a literal
when its own text (outside the interpolations) holds more than an auth scheme (`Bearer`).
Booleans are flags and paths name the file a secret lives in: neither is the secret.

To give one finding per concern: a value in a known token format is reported by TC110, a URI
with a password by TC103, and the default of `${oc.env:VAR,DEFAULT}` by TC104; this rule does
not report them again.

## Why is this bad?
A literal secret in a repository is readable by everyone with access to it and stays in its
history after it is removed; it also lands in every run's logged config.

## Example
```yaml
db:
  password: hunter2
```

## Use instead
```yaml
db:
  password: ${oc.env:DB_PASSWORD}
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.rule import Hit, Rule

_INDEX = re.compile(r"(?:\[\d+\])+$")
_AUTH_SCHEME = re.compile(r"\b(?:bearer|basic|token|digest)\b|[\W_]", re.I)


def _name(node: Node) -> str:
    """The key a value sits under; a list item takes its list's key (``api_keys[0]``)."""
    return node.name or _INDEX.sub("", node.key).rsplit(".", 1)[-1]


def _literal(doc: Document, node: Node, ctx: LintContext) -> bool:
    v = node.value.strip()
    if node.tag == "bool" or v.lower() in ("true", "false") or uri_kind(v) == "path":
        return False  # a flag, or the file a secret lives in
    if ctx.placeholder(doc, node) or is_stand_in(v):
        return False
    if doc.hydra and node.is_string and "${" in node.value:
        interp = doc.interpolation(node)
        if interp.error is not None:
            return False  # TC002 reports it
        if interp.top_level:
            return len(_AUTH_SCHEME.sub("", interp.text)) >= 4
    return True


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for node in doc.scalars():
        if not ctx.secret_key(_name(node)) or not _literal(doc, node, ctx):
            continue
        rest = ctx.outside_env_defaults(doc, node)
        if ctx.token(rest) is not None or credential_in_uri(rest) is not None:
            continue  # TC110 / TC103 name what it is
        yield ctx.hit(doc, node, f"secret-like key '{node.key}' holds a literal value; read it "
                      "from the environment", secret=True)


RULE = Rule("TC111", "secret-literal", Severity.ERROR, "lint", check, __doc__ or "")
