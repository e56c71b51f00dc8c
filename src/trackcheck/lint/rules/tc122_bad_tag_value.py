"""A run-tag value outside the values or type the policy allows for that tag.

## What it does
Checks the tags of every run-tags block that `run_tags.values` constrains: `env` and
`lifecycle_intent` must be one of their listed values (compared as MLflow compares tag values,
case-sensitively), `debug` must be a boolean: a YAML boolean (`true`, `false`; YAML 1.1's
`yes`/`no`/`on`/`off` too, which OmegaConf also reads as booleans) or the text `"true"` /
`"false"` in any case, which is what MLflow stores. A mapping or list is never a tag value.
Interpolated values (`${oc.env:ENV}`) resolve at run time and are not checked, nor are `null`
and `???`. A `lifecycle_intent` that is an unknown or invalid alias, or one a training config
may not declare, is reported by TC130, TC134 or TC132 instead.

## Why is this bad?
Tags are how runs are filtered and how the registry audit decides what may be promoted:
`env: production` next to `env: prod`, or `debug: "no"` (a non-empty string, so true for
any code that tests it), make searches miss runs and let a debug run pass for a real one.

## Example
```yaml
mlflow:
  tags:
    project: churn
    env: production
    model_name: ${model.name}
    data_name: ${data.name}
    debug: "no"
```

## Use instead
```yaml
mlflow:
  tags:
    project: churn
    env: prod
    model_name: ${model.name}
    data_name: ${data.name}
    debug: false
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.aliases import INTENT_KEY, AliasSite, owner
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import literal, shown, typed
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    values = ctx.policy.run_tags.values
    for block in ctx.tag_blocks(doc):
        for tag in block.children:
            allowed = values.get(tag.name)
            if allowed is None:
                continue
            what = "true or false" if allowed == "bool" else ", ".join(allowed)
            if tag.kind != "scalar":
                yield ctx.hit(doc, tag, f"run tag '{tag.key}' holds a {tag.kind}; a tag value is "
                              f"a single value ({what})", value="", at_key=True)
                continue
            if not literal(doc, ctx, tag) or ctx.policy.run_tag_value_ok(tag.name, typed(tag)):
                continue
            if tag.name == INTENT_KEY and owner(doc, ctx, AliasSite(tag, tag.value, "", True)):
                continue  # an alias problem: TC130/TC132/TC134 report it
            text = "the text " if allowed == "bool" and tag.is_string else ""
            yield ctx.hit(doc, tag, f"run tag '{tag.key}' has {text}{shown(tag.value)}; "
                          f"allowed: {what}")


RULE = Rule("TC122", "bad-tag-value", Severity.ERROR, "lint", check, __doc__ or "")
