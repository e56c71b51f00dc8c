"""An `${...}` interpolation that OmegaConf's grammar rejects.

## What it does
Parses every string of a Hydra config with OmegaConf's own interpolation grammar and reports
the ones it rejects (an unclosed `${`, a stray brace). An escaped `\\${...}` is text, not an
interpolation. Only Hydra config is checked: CI workflows' `${{ ... }}` are not OmegaConf's.

## Why is this bad?
OmegaConf refuses to load the whole file because of one broken interpolation, and the error
names neither file nor line: the training job dies at start-up.

## Example
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI
```

## Use instead
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if not doc.hydra:
        return
    for node in doc.strings():
        if "${" not in node.value:
            continue
        interp = doc.interpolation(node)
        if interp.error is not None:
            yield ctx.hit(
                doc,
                node,
                f"invalid interpolation in '{node.key}': {interp.error}",
                value=node.value,
                secret=True,
            )


RULE = Rule("TC002", "interpolation-syntax-error", Severity.ERROR, "lint", check, __doc__ or "")
