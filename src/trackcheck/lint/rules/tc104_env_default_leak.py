"""An `${oc.env:VAR,DEFAULT}` whose default is a URI, an endpoint or a secret.

## What it does
Reads every env lookup of a Hydra config with OmegaConf's grammar, nested ones included
(`${oc.env:A,${oc.env:B,...}}`), and reports a literal default that is a credential URI, a
known token format, any URI or endpoint (`http://...`, `databricks`, `s3://...`, `file:...`;
a plain path only for a tracking/registry URI), or any other literal default of a variable or
key named like a secret (`${oc.env:DATABRICKS_TOKEN,abc123}`, `password: ${oc.env:DB_PW,x}`;
a path to a credentials file is not the secret itself).
`${oc.env:VAR}` is never reported, nor are the defaults `null`, `''` and `???`, nor harmless
ones such as `${oc.env:EPOCHS,10}` or `${oc.env:ENV,dev}`.

This rule owns what sits inside env-lookup defaults: TC101, TC103, TC110 and TC111 do not
report the same default again. Only Hydra config is read: other YAML has no `oc.env`.

## Why is this bad?
A default is committed config like any other: the secret sits in the repository's history, and
wherever the variable is unset the run silently talks to the default endpoint instead of failing.

## Example
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,https://mlflow.internal.example.com}
```

## Use instead
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.redact import mask_uri_match
from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.rule import Hit, Rule

# defaults that hold nothing, or only a flag
_EMPTY = ("", "null", "none", "~", "???", "''", '""', "true", "false")


def _leak(default: str, var: str, node: Node, ctx: LintContext) -> tuple[str, bool] | None:
    """What the default gives away, and whether it is a secret; None when it is harmless."""
    m = credential_in_uri(default)
    if m is not None:
        return f"URI with credentials ({mask_uri_match(m)})", True
    token = ctx.token(default)
    if token is not None:
        return token[0], True
    kind = uri_kind(default)
    if kind == "path":  # where runs go, or where a secret file lives (which is not the secret)
        return ("endpoint (path)", False) if ctx.uri_key(var) or ctx.uri_key(node.full_key) \
            else None
    if ctx.secret_key(var) or ctx.secret_key(node.name):
        return "literal secret", True
    return None if kind in (None, "models", "runs") else (f"endpoint ({kind})", False)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if not doc.hydra or not doc.may_hold("oc.env"):
        return
    for node in doc.strings():
        if "oc.env" not in node.value or "," not in node.value:
            continue  # no default: nothing to parse
        for r in doc.interpolation(node).resolvers:
            if r.name != "oc.env" or len(r.args) < 2 or r.args_interpolated[1]:
                continue
            default = r.args[1]
            if default.strip().lower() in _EMPTY or is_stand_in(default):
                continue
            leak = _leak(default, r.args[0], node, ctx)
            if leak is not None:
                yield ctx.hit(doc, node, f"{leak[0]} in the default of ${{oc.env:{r.args[0]}}} in "
                              f"'{node.key}'", value=default, secret=leak[1])


RULE = Rule("TC104", "env-default-leak", Severity.ERROR, "lint", check, __doc__ or "")
