"""A training config that declares a promotion alias (`prod`, `archived`).

## What it does
In training config (files under the policy's `training_paths`, by default every config root,
except the `deploy` group and keys under `deploy.`), checks the aliases a run declares for
itself: the `lifecycle_intent` run tag and the registration alias (`alias:`/`aliases:` under
a `register:` mapping, e.g. `mlflow.register.alias`). Only `aliases.training_may_declare`
(`dev`, `staging`) may appear there. A `models:/name@prod` that a training config reads (a
base model to fine-tune) is a reference, not a declaration, and is fine.

## Why is this bad?
Promotion to `prod` is a decision taken after a run, by CI or by a person approving it. A
training config that registers straight into `prod` ships every run, debug runs included, and
`archived` from training hides a version nobody reviewed.

## Example
```yaml
mlflow:
  register:
    enabled: true
    model_name: churn
    alias: prod
```

## Use instead
```yaml
mlflow:
  register:
    enabled: true
    model_name: churn
    alias: staging
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.aliases import alias_sites, owner
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind == "python":  # set_registered_model_alias() in training code (training_code_paths)
        from trackcheck.lint import pysource  # Python's ast and tokenize only for a file of code

        yield from pysource.promotion_hits(doc, ctx)
        return
    may = ", ".join(ctx.policy.aliases.training_may_declare) or "none"
    for site in alias_sites(doc, ctx):
        if owner(doc, ctx, site) == "TC132":
            yield ctx.hit(doc, site.node, f"training config declares alias {shown(site.alias)} as "
                          f"the {site.where} at '{site.node.key}': promotion happens outside "
                          f"training (CI or manual approval); training may declare: {may}",
                          value=site.alias)


RULE = Rule("TC132", "training-promotes", Severity.ERROR, "lint", check, __doc__ or "")
