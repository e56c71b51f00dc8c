"""Python source that hard-codes a tracking/registry URI or an MLflow credential.

## What it does
Parses Python files with `ast` (never importing or running them) and reports a string literal
passed to `mlflow.set_tracking_uri(...)`, `mlflow.set_registry_uri(...)` or
`MlflowClient(...)` / `MlflowClient(tracking_uri=..., registry_uri=...)`, or written into the
environment with `os.environ["MLFLOW_TRACKING_URI"] = "..."`, `os.environ.setdefault(...)`,
`os.environ.update(...)` or `os.putenv(...)`, when it names an endpoint off this machine. A
string built from text that already spells out the scheme and host
(`f"https://mlflow.corp/{path}"`) counts as a literal; a variable, an `os.environ[...]` read or
an f-string of names does not. Loopback servers and local stores (`http://127.0.0.1:5000`,
`file:./mlruns`) pass, as in TC170. A literal credential put into the environment
(`os.environ["MLFLOW_TRACKING_TOKEN"] = "..."`) is reported too. A file that does not parse is
skipped: it is not a config, and Python reports it when it runs. The same reading reports stage
transitions (`transition_model_version_stage`) as TC133 and `prod`/`archived` set with
`set_registered_model_alias` in training code (the policy's `training_code_paths`) as TC132.

## Why is this bad?
Code that sets the tracking URI overrides `MLFLOW_TRACKING_URI` everywhere the code runs: CI,
a colleague's laptop and production all log to the server someone once typed in, and no config
review ever sees it.

## Example
```python
import mlflow

mlflow.set_tracking_uri("https://mlflow.internal.example.com")
```

## Use instead
```python
import mlflow

# MLflow reads MLFLOW_TRACKING_URI from the environment; nothing to set here
mlflow.set_experiment(cfg.mlflow.experiment_name)
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.uris import credential_in_uri
from trackcheck.findings import Severity
from trackcheck.lint import pysource
from trackcheck.lint.commandlines import remote_uri
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit, Rule


def _message(c: pysource.Call, ctx: LintContext) -> str | None:
    value = c.value or ""
    if c.kind in ("tracking_uri", "registry_uri") or (c.kind == "env" and ctx.uri_key(c.key)):
        kind = remote_uri(value)
        what = f"{shown(c.key)} in {c.func}" if c.kind == "env" else \
            f"the {c.kind.replace('_uri', ' URI')} in {c.func}()"
        return f"code hard-codes {what}: a remote endpoint ({kind}); let the environment decide" \
            if kind else None
    if c.kind == "env" and (ctx.secret_key(c.key) or ctx.token(value)) and not is_stand_in(value):
        return (f"code sets {shown(c.key)} in {c.func} to a literal secret; leave it to the "
                "environment")
    return None


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind != "python":
        return
    for c in pysource.calls(doc):
        message = _message(c, ctx) if c.value and c.kind != "stage" and c.kind != "alias" else None
        if message is None or c.value is None:
            continue
        env = c.kind == "env"
        secret = (env and not ctx.uri_key(c.key)) or credential_in_uri(c.value) is not None
        yield Hit(message, doc.path, c.key if env else c.func, c.line, c.column, value=c.value,
                  secret=secret)


RULE = Rule("TC171", "tracking-uri-in-code", Severity.ERROR, "lint", check, __doc__ or "")
