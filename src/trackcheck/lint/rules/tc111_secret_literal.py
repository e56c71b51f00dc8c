"""A secret-like key holding a literal value instead of a reference to where the secret lives.

## What it does
Checks every key named like a secret by the policy (`password`, `token`, `secret`, `api_key`,
`MLFLOW_TRACKING_PASSWORD`, ...; by its words, so `max_tokens` and `tokenizer` are not) in every
linted file: Hydra config, CI workflows and other YAML, `.env`, `.databrickscfg`, `.netrc`. Its
value must be an env lookup (`${oc.env:DB_PASSWORD}`), `null`, `???`, empty, a reference to
another key, or, outside Hydra config, a CI or shell variable (`${{ secrets.DB_PASSWORD }}`,
`$DB_PASSWORD`, `${DB_PASSWORD}`) or a template's fill-in (`<your-token>`, `****`, `changeme`,
`your_password_here`) or a type name (`password: string`). Items of a list under a secret-like
key count as well, and so do the items of a plural (`passwords`, `api_keys`, `tokens`; its own
scalar is a count or a keyword: `tokens: 512`, `secrets: inherit`). Environment entries are
judged by the variable's name (compose `- POSTGRES_PASSWORD=...`, Kubernetes
`{name: DB_PASSWORD, value: ...}`) and an alias where it is used (`password: *pw`). A value
built from interpolations is a literal when its own text (outside the interpolations) holds more
than an auth scheme (`Bearer`). Booleans are flags and paths name the file a secret lives in:
neither is the secret.

In Python sources it reads what a secret-like name is given: assignments (`DB_PASSWORD =
"..."`, `self.api_key = "..."`), dict literals (`{"password": "..."}`), keyword arguments
(`connect(password="...")`), parameter defaults and the default of an environment read
(`os.getenv("DB_PASSWORD", "...")`); in shell scripts, `NAME=value` and `export NAME=value`.
A value read from the environment (`os.environ[...]`, `$VAR`, `${VAR}`), an empty string and a
placeholder (`"<your-token>"`) are not literals.

To give one finding per concern: a value in a known token format is reported by TC110, a URI
with a password by TC103, the default of `${oc.env:VAR,DEFAULT}` by TC104, and a credential
code puts into `os.environ` by TC171; this rule does not report them again.

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
from trackcheck.lint.document import CODE_STRING_KINDS, Document, Node
from trackcheck.lint.rules.tc171_tracking_uri_in_code import consumed
from trackcheck.rule import Hit, Rule

_AUTH_SCHEME = re.compile(r"\b(?:bearer|basic|token|digest)\b|[\W_]", re.I)


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


_IN_CODE = {"default": "secret-like '{}' falls back to a literal value when the variable is "
                       "unset; drop the default",
            "env": "script sets secret-like '{}' to a literal value; read it from the environment"}


def _in_code(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    from trackcheck.lint import codestrings  # Python's ast and tokenize only for a file of code

    pinned: frozenset[tuple[int, int]] | None = None
    for s in codestrings.bindings(doc, ctx):
        v = s.text.strip()
        if v.lower() in ("true", "false") or uri_kind(v) == "path" \
                or not codestrings.holds_text(doc, s):
            continue  # a flag, the file a secret lives in, a stand-in
        if ctx.token(v) is not None or credential_in_uri(v) is not None:
            continue  # TC110 / TC103 name what it is
        if doc.kind == "python":
            pinned = consumed(doc, ctx) if pinned is None else pinned
            if s.sources & pinned:
                continue  # TC171 reports it
        message = _IN_CODE.get(s.role, "secret-like '{}' holds a literal value; read it from the "
                               "environment")
        yield Hit(message.format(s.key), doc.path, s.key, s.line, s.column, value=s.text,
                  secret=True)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind in CODE_STRING_KINDS:
        yield from _in_code(doc, ctx)
        return
    # under a secret-like key, or an item of a list of secrets (``api_keys[0]``): asked once
    # per key name, a tree repeats its names
    secret, items = ctx.secret_names, ctx.secret_items
    # no node reads as a secret unless a name of the document does (an item: its list's)
    named = doc.alias_uses or items.any_of(doc.names())
    for node in ctx.keyed_scalars(doc) if named else ctx.env_entries(doc):
        if not (secret[node.name] if node.name else items[node.owner]) \
                or not _literal(doc, node, ctx):
            continue
        rest = ctx.outside_env_defaults(doc, node)
        if ctx.token(rest) is not None or credential_in_uri(rest) is not None:
            continue  # TC110 / TC103 name what it is
        yield ctx.hit(doc, node, f"secret-like key '{node.key}' holds a literal value; read it "
                      "from the environment", secret=True)


RULE = Rule("TC111", "secret-literal", Severity.ERROR, "lint", check, __doc__ or "")
