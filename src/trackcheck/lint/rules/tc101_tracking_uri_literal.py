"""A tracking or registry URI written into the config instead of read from the environment.

## What it does
Checks every key the policy's `uri_keys` match, by words: `tracking_uri`, `registry_uri`,
`MLFLOW_TRACKING_URI`, `mlflow_tracking_uri`, `tracking-uri`, `mlflow_uri`, `remote_server_uri`,
`uri` directly inside an `mlflow` block, a dotted key written as one (`mlflow.tracking_uri:`),
an aliased value where the alias is used (`tracking_uri: *uri`); not `artifact_uri` or
`model_uri`. Its value must be an environment lookup (`${oc.env:MLFLOW_TRACKING_URI}`), `null`,
`???`, or a pure reference to another key (`${mlflow.tracking_uri}`, checked where it is
defined). Literals (`http://...`, `databricks`, `databricks-uc`, `file:...`, paths) and
interpolations that build a URI or path from a reference plus text are reported; a template's
fill-in (`<your-tracking-uri>`) is not.

Deploy files (compose, Kubernetes, CI workflows) are never checked: a file that gives a
container its `MLFLOW_TRACKING_URI` is how the environment is provided, and a server's own
address in the file that runs it is how it is deployed.

## Why is this bad?
Where runs go is the environment's decision: a committed URI sends a laptop's debug runs to the
production server, or production runs to a local `mlruns/` folder nobody backs up.

## Example
```yaml
mlflow:
  tracking_uri: https://mlflow.internal.example.com
```

## Use instead
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule

# outside Hydra config, the tool's own substitution of a variable or secret
_SUBSTITUTION = re.compile(r"\$\{\{[^{}]*\}\}|\$\{[A-Za-z_]\w*\}|\$[A-Za-z_]\w*", re.ASCII)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if ctx.deploy_file(doc):
        return
    # most names cannot end a URI key: their paths are not read
    uri_name = ctx.memo("uri name", ctx.uri_name)
    named = doc.alias_uses or uri_name.any_of(doc.names())
    for node in ctx.keyed_scalars(doc) if named else ctx.env_entries(doc):
        if not uri_name[node.name or node.owner] or not node.is_scalar \
                or not ctx.uri_key(node.full_key) or ctx.placeholder(doc, node) \
                or is_stand_in(node.value):
            continue
        if not doc.hydra and (
            _SUBSTITUTION.fullmatch(node.value.strip()) or uri_kind(node.value) is None
        ):
            # outside Hydra: a CI/compose substitution (``${{ secrets.X }}``, ``${VAR}``) is the
            # environment, and only a real URI is a literal endpoint (``tracking_uri: str`` is not)
            continue
        secret = credential_in_uri(node.value) is not None
        if doc.hydra and node.is_string and "${" in node.value:
            interp = doc.interpolation(node)
            if interp.error is not None or interp.is_env_lookup:
                continue  # TC002 / TC104 report these
            if interp.refs or interp.resolvers:
                yield ctx.hit(
                    doc,
                    node,
                    f"tracking URI in '{node.key}' is built from a reference "
                    "plus text; read it from the environment instead",
                    secret=secret,
                )
                continue
        kind = uri_kind(node.value) or "literal"
        yield ctx.hit(doc, node, f"literal tracking URI ({kind}) in '{node.key}'", secret=secret)


RULE = Rule("TC101", "tracking-uri-literal", Severity.ERROR, "lint", check, __doc__ or "")
