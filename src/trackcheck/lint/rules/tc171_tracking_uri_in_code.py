"""Python source that pins a tracking/registry URI or puts an MLflow credential in the environment.

## What it does
Parses Python files with `ast` (never importing or running them) and reports a tracking or
registry URI that the code decides instead of the environment: a literal passed to
`mlflow.set_tracking_uri(...)`, `mlflow.set_registry_uri(...)` or `MlflowClient(...)` /
`MlflowClient(tracking_uri=..., registry_uri=...)`, also under another name
(`from mlflow import set_tracking_uri as stu`, `import mlflow as mf`); a literal written into
the environment with `os.environ["MLFLOW_TRACKING_URI"] = "..."`, `os.environ.setdefault(...)`,
`os.environ.update(...)` or `os.putenv(...)`; and the literal default of
`os.environ.get("MLFLOW_TRACKING_URI", "...")` or `os.getenv(...)` when it is a URI, a store
or a path (the code twin of TC104: wherever the variable is unset, the default decides).

Committed code pins no tracking URI at all: remote servers, loopback servers
(`http://127.0.0.1:5000`) and local stores (`file:./mlruns`, `sqlite:///mlflow.db`, `mlruns`)
alike. A loopback URI is for local debugging on a command line (TC170), not for code everyone
runs. A literal is read through concatenation, `%` and `str.format` templates and f-strings
whose own text names a scheme, a store or a path (`f"sqlite:///{root}/mlflow.db"`),
`os.path.join` and `pathlib` joins (`'file:/' + os.path.join(cwd, 'mlruns')`), a fallback
(`os.getenv("MLFLOW_TRACKING_URI") or "file:./mlruns"`) and names bound once in the module to
such a value (`URI = "http://..."` then `mlflow.set_tracking_uri(URI)`). A value read from the
environment or from config (`os.environ[...]`, `os.getenv(...)`, `cfg.mlflow.tracking_uri`), a
parameter, a variable bound more than once and an f-string of names only (`f"{uri}"`) are not
literals.

A literal credential put into the environment (`os.environ["MLFLOW_TRACKING_PASSWORD"] = "..."`)
is reported too. To give one finding per concern, a known token format is TC110's, and TC103
and TC111 do not report again a value reported here. A file that does not parse is skipped
here (the secret rules still read its text). The same reading reports stage transitions
(`transition_model_version_stage`) as TC133 and `prod`/`archived` set with
`set_registered_model_alias` in training code (the policy's `training_code_paths`) as TC132.

## Why is this bad?
Code that sets the tracking URI overrides `MLFLOW_TRACKING_URI` everywhere the code runs: CI,
a colleague's laptop and production all log to the server someone once typed in, or to a local
`mlruns/` folder nobody collects, and no config review ever sees it.

## Example
```python
import mlflow

mlflow.set_tracking_uri("file:./mlruns")
```

## Use instead
```python
import mlflow

# MLflow reads MLFLOW_TRACKING_URI from the environment; nothing to set here
mlflow.set_experiment(cfg.mlflow.experiment_name)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.uris import credential_in_uri, is_loopback, uri_kind
from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit, Rule

if TYPE_CHECKING:
    from trackcheck.lint import pysource

_STORE = re.compile(r"mlruns|\.db\b|\.sqlite3?\b", re.I)
_NETLOC = re.compile(r"^[A-Za-z][\w+.\-]*://([^/?#]*)")


def _pins(c: pysource.Call, default: bool) -> str | None:
    """What the value pins, or None when the code decides nothing (text of its own that names
    no scheme, store or path; for a default, also a word that is no URI)."""
    from trackcheck.lint import pysource  # ast and tokenize only for a file of code

    value = (c.value or "").strip()
    own = value.replace(pysource.PLACEHOLDER, "")
    if not own.strip(" /") or is_stand_in(value):
        return None
    kind = uri_kind(value)
    if value.lower().startswith("sqlite:"):
        return "a local SQLite store"
    if kind == "file":
        return "a local file store"
    if kind == "tracking":
        host = _NETLOC.match(value)
        if host and pysource.PLACEHOLDER in host.group(1):
            return "a server URI built in code"
        return "a loopback server" if is_loopback(value) else "a remote server"
    if kind == "databricks":
        return "a Databricks workspace"
    if kind in ("db", "object-store", "uri"):
        return f"a remote endpoint ({kind})"
    if kind in ("models", "runs"):
        return None
    if _STORE.search(own):
        return "a local store"
    if kind == "path" or c.path or (c.whole and not default):
        return "a local path"  # MLflow reads any other string as a folder
    return None


def _message(c: pysource.Call, ctx: LintContext) -> tuple[str, bool] | None:
    """(message, whether the value is a secret), or None."""
    from trackcheck.lint.codestrings import own_text  # ast and tokenize only for a file of code

    value = c.value or ""
    secret = credential_in_uri(value) is not None
    if c.kind in ("tracking_uri", "registry_uri"):
        what = _pins(c, default=False)
        env = f"MLFLOW_{c.kind.upper()}"
        how = "pins" if c.whole else "builds"
        return (f"code {how} the {c.kind.replace('_uri', ' URI')} in {c.func}(): {what}; "
                f"leave it to {env}", secret) if what else None
    if not ctx.uri_key(c.key):
        if c.kind == "env" and ctx.secret_key(c.key) and own_text(value) \
                and ctx.token(value) is None:  # a token is TC110's
            return (f"code sets {shown(c.key)} in {c.func} to a literal secret; leave it to "
                    "the environment", True)
        return None
    what = _pins(c, default=c.kind == "env_default")
    if what is None:
        return None
    if c.kind == "env_default":
        return (f"the default of {c.func}({shown(c.key)}) pins {what} wherever the variable is "
                "unset; drop the default", secret)
    return f"code sets {shown(c.key)} in {c.func} to {what}; leave it to the environment", secret


def reported(doc: Document, ctx: LintContext) -> Iterator[tuple[pysource.Call, str, bool]]:
    """Each call this rule reports, with its message and whether its value is a secret."""
    if doc.kind != "python":
        return
    from trackcheck.lint import pysource  # ast and tokenize only for a file of code

    for c in pysource.calls(doc):
        found = _message(c, ctx) if c.value and c.kind not in ("stage", "alias") else None
        if found is not None:
            yield c, *found


def consumed(doc: Document, ctx: LintContext) -> frozenset[pysource.Pos]:
    """The string literals behind what this rule reports: TC103 and TC111 leave them alone."""
    return frozenset(p for c, _, _ in reported(doc, ctx) for p in c.sources)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for c, message, secret in reported(doc, ctx):
        key = c.key if c.kind in ("env", "env_default") else c.func
        yield Hit(message, doc.path, key, c.line, c.column, value=c.value, secret=secret)


RULE = Rule("TC171", "tracking-uri-in-code", Severity.ERROR, "lint", check, __doc__ or "")
