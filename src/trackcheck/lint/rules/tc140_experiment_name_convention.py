"""An experiment name that is not the project-level name.

## What it does
Checks `experiment_name` in the mlflow config group (`config/mlflow/*.yaml` and any `mlflow:`
block) against the policy's `naming.experiment_name` list (default: `${project.name}`). The
string is compared as written, never resolved: `${project.name}` passes, `${model.name}` or a
literal does not. `???` (set at launch) and `null` or an empty value (no experiment chosen
here) are left alone, as is a missing key; with `--compose` the composed config is checked.

## Why is this bad?
An experiment is where a project's runs are compared. A name per model, per person or per date
scatters one project's runs over many experiments, and dashboards, searches and promotion
scripts that look for the project's experiment miss them.

## Example
```yaml
mlflow:
  experiment_name: ${model.name}-experiments
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
    allowed = ctx.policy.naming.experiment_name
    expected = " or ".join(f"'{a}'" for a in allowed)
    for node in ctx.naming_mismatches(doc, "experiment_name", allowed):
        yield ctx.hit(doc, node, f"experiment name in '{node.key}' is not the project-level "
                      f"name (expected {expected})")


RULE = Rule("TC140", "experiment-name-convention", Severity.WARNING, "lint", check, __doc__ or "")
