"""A run-tag key outside the policy's allowed set.

## What it does
Checks the keys of every run-tags block (the policy's `run_tags.blocks`: `mlflow.tags`, with
the Hydra package counted, so the top-level `tags:` of `config/mlflow/*.yaml` is one) against
`run_tags.allowed`. MLflow's own `mlflow.*` tags (`mlflow.note.content`) are always allowed.
Keys are compared as MLflow compares them, case-sensitively: `Env` is not `env`.

## Why is this bad?
Runs are searched and compared by their tags (`tags.model_name = 'resnet'`). A tag outside the
team's vocabulary, or a near miss like `model` for `model_name`, splits runs into groups that
no search or dashboard puts back together.

## Example
```yaml
mlflow:
  tags:
    project: churn
    env: dev
    model_name: ${model.name}
    data_name: ${data.name}
    debug: false
    team: growth
```

## Use instead
```yaml
mlflow:
  tags:
    project: churn
    env: dev
    model_name: ${model.name}
    data_name: ${data.name}
    debug: false
    mlflow.note.content: owned by the growth team
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import did_you_mean, mlflow_tag, shown
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    allowed = ctx.policy.run_tags.allowed
    for block in ctx.tag_blocks(doc):
        for tag in block.children:
            if tag.name in allowed or mlflow_tag(tag.name):
                continue
            hint = did_you_mean(tag.name, allowed, "tag keys")
            yield ctx.hit(doc, tag, f"run tag {shown(tag.name)} in '{block.key or '(root)'}' is "
                          f"not an allowed run tag{hint}; allowed: {', '.join(allowed)}",
                          value=tag.name, at_key=True)


RULE = Rule("TC120", "unknown-run-tag", Severity.ERROR, "lint", check, __doc__ or "")
