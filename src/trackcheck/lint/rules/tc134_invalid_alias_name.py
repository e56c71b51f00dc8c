"""An alias name MLflow itself would reject.

## What it does
Checks every alias a Hydra config writes (the places TC130 reads: `models:/name@alias`,
`alias:`/`aliases:` keys in registry context, `lifecycle_intent`) against MLflow's own rules:
not empty, only letters, digits, `_` and `-`, at most 255 characters, not `latest` in any case
(reserved) and not `v<digits>`/`V<digits>` (reserved for versions). Such an alias is reported
here only, not also as unknown (TC130).

## Why is this bad?
`set_registered_model_alias` raises on these names, so the registration or promotion step
fails at the end of a run, after the training time is spent; in a `models:/` URI the name
never resolves (`models:/m@latest` is not the latest version).

## Example
```yaml
deploy:
  model_uri: models:/churn@v3
```

## Use instead
```yaml
deploy:
  model_uri: models:/churn@prod
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.aliases import alias_sites, invalid_alias, owner
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for site in alias_sites(doc, ctx):
        if owner(doc, ctx, site) == "TC134":
            yield ctx.hit(doc, site.node, f"alias {shown(site.alias)} in the {site.where} at "
                          f"'{site.node.key}' is one MLflow rejects: {invalid_alias(site.alias)}",
                          value=site.alias)


RULE = Rule("TC134", "invalid-alias-name", Severity.ERROR, "lint", check, __doc__ or "")
