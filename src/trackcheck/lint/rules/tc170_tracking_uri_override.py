"""A committed command line that points runs at a remote tracking server or passes a secret.

## What it does
Reads the command lines a repository commits: shell scripts, Makefiles, Dockerfiles, the
`run:`/`script:`/`command:`/`args:` strings of CI workflows and compose or Kubernetes files,
and the overrides Hydra saved in `.hydra/overrides.yaml` (and `hydra.overrides.task`). It
reports an override or assignment of a tracking or registry URI key (`mlflow.tracking_uri=`,
`+mlflow.registry_uri=`, `--tracking-uri`, `MLFLOW_TRACKING_URI=`) to an endpoint off this
machine, and a secret passed on the command line: a secret-like key with a literal value
(`db.password=hunter2`), any override whose value is a known token (`+auth.token=dapi...`) or
a URI with a password, and in scripts, Makefiles and Dockerfiles a known token anywhere, even
as the default of `${TOKEN:-...}` (in YAML files TC110 and TC103 report tokens and URIs with a
password in every string, so they are not reported twice). A loopback server
(`http://127.0.0.1:5000`, `localhost`) and a local store (`file:./mlruns`,
`sqlite:///mlflow.db`) are the "local debugging only" case and pass; so do expansions
(`$MLFLOW_TRACKING_URI`, `${{ secrets.TOKEN }}`, `$(cat ...)`), which are not literals. In a
deploy file (compose, Kubernetes, CI), an address inside the deployment (`0.0.0.0`, a service
name such as `http://mlflow:5000`, `mlflow.mlflow.svc`) is how it wires its services and passes;
an `environment:` entry (`- KEY=value`) is no command line: TC111 judges it by its name.

## Why is this bad?
A script or CI step that overrides the tracking URI sends everyone's runs to whatever server
was written there, whatever the environment says; a secret on a command line lands in the
repository, in shell history, in process listings and in Hydra's saved `overrides.yaml`.

## Example
```yaml
jobs:
  train:
    steps:
      - run: python train.py mlflow.tracking_uri=https://mlflow.internal.example.com
```

## Use instead
```yaml
jobs:
  train:
    env:
      MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}
    steps:
      - run: python train.py
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.uris import credential_in_uri, is_loopback, is_service_endpoint
from trackcheck.findings import Severity
from trackcheck.lint import commandlines
from trackcheck.lint.commandlines import Assignment, remote_uri, unquote
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def _problem(a: Assignment, value: str, ctx: LintContext, yaml: bool,
             deploy: bool = False, shell_var: bool | None = None) -> tuple[str, str, bool] | None:
    """(message, offending value, whether it is a secret), or None. ``shell_var`` is None
    outside shell scripts, else whether the word sets a shell variable."""
    # in YAML and shell scripts, TC110 and TC103 read every string: tokens and credential URIs
    # are theirs, and a secret-like shell variable set to a literal is TC111's; not twice
    read_elsewhere = yaml or shell_var is not None
    token = None if read_elsewhere else ctx.token(value)
    if a.positional or not a.literal:  # a token stays one even inside ``${T:-dapi...}``
        return (f"command line passes a {token[0]} to '{a.key}'", token[1], True) if token else None
    if ctx.uri_key(a.key.split("@", 1)[0]):
        kind = remote_uri(value)
        if deploy and all(is_loopback(p) or is_service_endpoint(p) for p in value.split(",")):
            kind = None  # a deployment wiring its own services
        env = "MLFLOW_REGISTRY_URI" if "registry" in a.name.lower() else "MLFLOW_TRACKING_URI"
        return (f"command line points '{a.key}' at a remote endpoint ({kind}); leave it to {env} "
                "(a loopback URI is fine for local debugging)", value,
                credential_in_uri(value) is not None) if kind else None
    if token is not None:
        return f"command line passes a {token[0]} in '{a.key}'", token[1], True
    if read_elsewhere and (ctx.token(value) or credential_in_uri(value)):
        return None
    if credential_in_uri(value) is not None:
        return f"command line passes a URI with a password in '{a.key}'", value, True
    if ctx.secret_key(a.name) and not shell_var:
        return f"command line passes a literal secret in secret-like '{a.key}'", value, True
    return None


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    yaml = doc.kind not in commandlines.KINDS
    deploy = yaml and ctx.deploy_file(doc)
    env = {(n.key_line, n.name) for n in ctx.env_entries(doc)} if yaml else set()
    shell = doc.kind == "shell"
    sets: set[tuple[int, int]] = set()
    if shell:
        from trackcheck.lint import codestrings  # Python's ast and tokenize only for a file of code

        sets = {(v.line, v.column) for v in codestrings.values(doc) or () if v.role == "env"}
    for a in commandlines.from_document(doc):
        if (a.line, a.key) in env:
            continue
        shell_var = ((a.line, a.column) in sets) if shell else None
        found = _problem(a, unquote(a.value.strip()), ctx, yaml, deploy, shell_var)
        if found is not None:
            message, value, secret = found
            yield Hit(message, doc.path, a.key, a.line, a.column, value=value, secret=secret)


RULE = Rule("TC170", "tracking-uri-override", Severity.ERROR, "lint", check, __doc__ or "")
