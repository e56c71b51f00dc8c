"""A run name that is not the model-level name.

## What it does
Checks `run_name` in the mlflow config group (`config/mlflow/*.yaml` and any `mlflow:` block)
against the policy's `naming.run_name` list (default: `${model.name}`). The string is compared
as written, never resolved: `${model.name}` passes, a literal or `${data.name}` does not.
`???` (set at launch) and `null` or an empty value (MLflow then generates a name) are left
alone, as is a missing key; with `--compose` the composed config is checked.

## Why is this bad?
Inside the project's experiment, the run name is what tells one model's runs from another's.
A copied literal (`baseline-v2`) keeps labelling runs of a model it no longer describes, and
runs of different models end up under one name.

## Example
```yaml
mlflow:
  run_name: baseline-v2
```

## Use instead
```yaml
mlflow:
  run_name: ${model.name}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    allowed = ctx.policy.naming.run_name
    expected = " or ".join(f"'{a}'" for a in allowed)
    for node in ctx.naming_mismatches(doc, "run_name", allowed):
        yield ctx.hit(doc, node, f"run name in '{node.key}' is not the model-level name "
                      f"(expected {expected})")


RULE = Rule("TC141", "run-name-convention", Severity.WARNING, "lint", check, __doc__ or "")
