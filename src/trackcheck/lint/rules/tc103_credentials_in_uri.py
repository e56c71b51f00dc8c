"""A URI with a password in its user-info (`scheme://user:password@host`).

## What it does
Looks at every string of every linted file (Hydra config, CI workflows and other YAML, `.env`,
`.databrickscfg`, `.netrc`), anywhere in the string, including the text around interpolations
(`postgresql://mlflow:hunter2@${db.host}/mlflow`), for a URI whose user-info carries a
password. Python sources (their string literals, f-strings and concatenations; the raw text of
a file that does not parse) and the words of shell scripts are read too, and so is the text of
a YAML file that does not parse or of any file that is not parsed (TC004). A password that is
itself an interpolation or variable (`${oc.env:DB_PASSWORD}`, `${{ secrets.DB_PASSWORD }}`,
`$DB_PASSWORD`, an f-string field or `str.format` field in code) or a mask (`****`,
`<password>`) is not one, nor, in code, documentation's `user:password@host`.

To give one finding per concern: a URI inside the default of `${oc.env:VAR,DEFAULT}` is
reported by TC104, and a URI whose password is a known token format (a GitHub or GitLab token
in a clone URL) by TC110. On a tracking/registry URI key, TC101 reports the literal endpoint
and this rule the credential: two different facts, two findings; in code, a URI TC171 reports
is not reported again here. The message shows the URI with its password masked.

## Why is this bad?
The password is in the repository's history for everyone with read access, forever; it also
reaches every run's logged config and Hydra's `.hydra/config.yaml`. Rotating it is the only fix.

## Example
```yaml
db:
  url: postgresql://mlflow:hunter2@db.internal:5432/mlflow
```

## Use instead
```yaml
db:
  url: postgresql://mlflow:${oc.env:MLFLOW_DB_PASSWORD}@db.internal:5432/mlflow
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.redact import mask_uri_match
from trackcheck.detect.uris import credential_in_uri
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import CODE_STRING_KINDS, Document
from trackcheck.lint.rules.tc171_tracking_uri_in_code import consumed
from trackcheck.rule import Hit, Rule


def _in_code(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    from trackcheck.lint import codestrings  # Python's ast and tokenize only for a file of code

    pinned: frozenset[tuple[int, int]] | None = None
    for s, m in codestrings.credential_uris(doc):
        if ctx.token(m.group("password")) is not None:
            continue  # TC110 names the token
        if doc.kind == "python":
            pinned = consumed(doc, ctx) if pinned is None else pinned
            if s.sources & pinned:
                continue  # TC171 reports the URI, credentials included
        where = f" in '{s.key}'" if s.key else ""
        yield Hit(f"credentials in URI{where} ({mask_uri_match(m)})", doc.path, s.key, s.line,
                  s.column, value=s.text, secret=True)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind in CODE_STRING_KINDS:
        yield from _in_code(doc, ctx)
        return
    for node in doc.strings():
        if "@" not in node.value:
            continue
        # the cheap test first: then most values need no parsing; a value with env lookups is
        # read as OmegaConf joins it (an empty default can split a password)
        joined = doc.hydra and "oc.env" in node.value
        if not joined and credential_in_uri(node.value) is None:
            continue
        m = credential_in_uri(ctx.outside_env_defaults(doc, node))
        if m is None or ctx.token(m.group("password")) is not None:
            continue  # no credential, or TC110 names the token
        if doc.broken and not node.key:  # a line of a file that is not parsed
            yield Hit(f"credentials in URI in a file that is not parsed ({mask_uri_match(m)})",
                      doc.path, "", node.line, node.column + m.start(), value=m.group(0),
                      secret=True)
            continue
        yield ctx.hit(doc, node, f"credentials in URI in '{node.key}' ({mask_uri_match(m)})",
                      value=node.value, secret=True)


RULE = Rule("TC103", "credentials-in-uri", Severity.ERROR, "lint", check, __doc__ or "")
