"""A server-side MLflow setting (backend store, artifact root) in the repository's config.

## What it does
Checks every key the policy lists in `server_keys` (`backend_store_uri`, `default_artifact_root`,
`artifacts_destination`, `artifact_root`, `serve_artifacts`, `MLFLOW_BACKEND_STORE_URI`, ...;
compared ignoring case and `-`/`_`) in Hydra config. A key that holds anything is reported,
an environment lookup included: the setting itself is the problem, not only its value. `null`,
an empty value and `???` are fine (a key kept for documentation, set by no one). Deploy files
(a compose file or manifest that runs `mlflow server --backend-store-uri ...`) are how the
server is deployed and are never checked.

## Why is this bad?
Where the registry keeps its database and artifacts is decided once, by whoever runs
`mlflow server`. A training repository that sets it either does nothing (the client ignores it)
or points runs at a private store that the team's server never sees; a backend store URI often
carries the database password as well.

## Example
```yaml
mlflow:
  backend_store_uri: postgresql://mlflow@db.internal:5432/mlflow
  default_artifact_root: s3://ml-artifacts/mlflow
```

## Use instead
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def _norm(name: str) -> str:
    return name.lower().replace("-", "_")


def _server_keys(ctx: LintContext) -> set[str]:
    return {_norm(k) for k in ctx.policy.server_keys}


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if not doc.hydra:
        return
    server_key = ctx.memo("server key", lambda name: _norm(name) in _server_keys(ctx))
    if not server_key.any_of(doc.names()):
        return
    for node in doc.scalars():
        if not server_key[node.name]:
            continue
        if node.is_empty or (node.is_string and node.value.strip() in ("", "???")):
            continue
        kind = uri_kind(node.value) if node.is_string else None
        what = f" ({kind} URI)" if kind else ""
        yield ctx.hit(doc, node, f"server-side setting '{node.key}'{what} in the repository: it "
                      "belongs to the `mlflow server` deployment, not to the training config",
                      secret=credential_in_uri(node.value) is not None)


RULE = Rule("TC102", "server-setting-in-repo", Severity.ERROR, "lint", check, __doc__ or "")
