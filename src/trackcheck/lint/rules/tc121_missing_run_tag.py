"""A run-tags block of the mlflow group's base option that lacks required tags.

## What it does
Checks that the run-tags blocks of the mlflow config group's base options hold every key of
`run_tags.required` (`project`, `env`, `model_name`, `data_name`, `debug`). A base option is a
file of the group (`config/mlflow/*.yaml`) or a root config's `mlflow:` block, in a file whose
defaults list extends no other option (only `_self_`, or no defaults list): Hydra merges the
partial blocks of files that extend an option, so those are judged with `--compose`, on the
composed config. `tags: null` means "no tags" and is fine. Reported at the block's key.

## Why is this bad?
Every run of the project should be findable by the same tags: a run without `env` or
`model_name` drops out of every comparison and dashboard, and the registry audit cannot tell
a debug run from a production candidate.

## Example
```yaml
mlflow:
  tags:
    project: churn
    env: dev
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
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import base_option_block
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    required = ctx.policy.run_tags.required
    for block in ctx.tag_blocks(doc):
        if not base_option_block(doc, ctx, block):
            continue
        present = {tag.name for tag in block.children}
        missing = [k for k in required if k not in present]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            yield ctx.hit(doc, block, f"run tags '{block.key or '(root)'}' lack required "
                          f"tag{plural}: {', '.join(missing)}", at_key=True)


RULE = Rule("TC121", "missing-run-tag", Severity.ERROR, "lint", check, __doc__ or "")
