"""A mapping key given twice.

## What it does
Reports the second (and every later) occurrence of a key in the same mapping.

## Why is this bad?
Plain YAML loaders silently keep the last value and OmegaConf refuses the file: either way the
value a reviewer reads first is not the one a run uses.

## Example
```yaml
mlflow:
  experiment_name: ${project.name}
  experiment_name: scratch
```

## Use instead
```yaml
mlflow:
  experiment_name: ${project.name}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for node, first in doc.duplicates:
        yield ctx.hit(doc, node, f"duplicate key '{node.key}' (first given on line {first})",
                      value=None, at_key=True)


RULE = Rule("TC003", "duplicate-key", Severity.ERROR, "lint", check, __doc__ or "")
