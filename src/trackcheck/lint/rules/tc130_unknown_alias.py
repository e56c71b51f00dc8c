"""A registry alias outside the policy's allowed set.

## What it does
Checks every alias a Hydra config writes against `aliases.allowed` (`dev`, `staging`, `prod`,
`archived`): the alias of a `models:/name@alias` URI anywhere in a string, `alias:` and
`aliases:` keys in registry context (under the mlflow group, `register`, `registry`, `deploy`,
or beside a `model_name`), and `lifecycle_intent` values. Aliases are case-sensitive in MLflow
(`Prod` is not `prod`); the message names a case-only or near miss. Interpolated aliases
resolve at run time and are not checked; an alias MLflow itself would reject is TC134's.

## Why is this bad?
Deployments and promotion jobs resolve `models:/name@prod`. An alias outside the team's
lifecycle (`champion`, `Prod`, `production`) resolves to nothing, or to a version nobody
promoted, and the audit's rules about `prod` and `archived` never see it.

## Example
```yaml
deploy:
  model_uri: models:/churn@Prod
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
from trackcheck.lint.aliases import alias_sites, owner
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import did_you_mean, shown
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    allowed = ctx.policy.aliases.allowed
    for site in alias_sites(doc, ctx):
        if owner(doc, ctx, site) == "TC130":
            hint = did_you_mean(site.alias, allowed, "aliases")
            yield ctx.hit(doc, site.node, f"unknown alias {shown(site.alias)} in the {site.where} "
                          f"at '{site.node.key}'{hint}; allowed: {', '.join(allowed)}",
                          value=site.alias)


RULE = Rule("TC130", "unknown-alias", Severity.ERROR, "lint", check, __doc__ or "")
