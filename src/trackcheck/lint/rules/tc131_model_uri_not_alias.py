"""A model reference by version, stage or run where deployments must resolve an alias.

## What it does
Checks every `models:/` URI in Hydra config, also inside a longer string or as the default of
an env lookup: a version (`models:/churn/7`), a stage (`models:/churn/Production`) or `latest`
(`models:/churn/latest`) is reported everywhere. In deployment config (files of the `deploy`
group, keys under `deploy.`) a reference that skips the registry is reported too: a run's
artifacts (`runs:/<run_id>/model`) or a logged model by id (`models:/m-<id>`). The message
names the alias to use, from the policy's `aliases.stage_to_alias` for a stage.

## Why is this bad?
A pinned version does not follow promotion, so a rollback or a new `prod` never reaches the
deployment; stages are deprecated since MLflow 2.9; `latest` is whatever was registered last,
reviewed or not; a run's artifacts were never registered or approved at all. An alias
(`models:/churn@prod`) is the one reference that moves exactly when promotion moves it.

## Example
```yaml
deploy:
  model_uri: models:/churn/Production
```

## Use instead
```yaml
deploy:
  model_uri: models:/churn@prod
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.detect.uris import parse_model_uri
from trackcheck.findings import Severity
from trackcheck.lint.aliases import deploy_scope, uri_refs
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.tags import shown
from trackcheck.rule import Hit, Rule


def _problem(uri: str, deploy: bool, stage_to_alias: dict[str, str]) -> tuple[str, str, str] | None:
    """(what the URI references, model name, alias to use) or None when it is fine here."""
    if uri.startswith("runs:/"):
        return ("a run's artifacts", "<name>", "<alias>") if deploy else None
    parsed = parse_model_uri(uri)
    if parsed is None or parsed["alias"] is not None:
        return None
    name, ref = parsed["name"] or "<name>", parsed["version"] or parsed["stage"]
    if ref is None:  # models:/<id>: an MLflow 3 logged model
        return ("a logged model by id", "<name>", "<alias>") if deploy and "${" not in uri else None
    if "${" in ref:
        return f"a version or stage ({shown(ref)})", name, "<alias>"
    if parsed["version"]:
        return f"version {ref}", name, "<alias>"
    if ref.lower() == "latest":
        return "'latest'", name, "<alias>"
    by_stage = {k.lower(): v for k, v in stage_to_alias.items()}  # stages ignore case in MLflow
    return f"stage {shown(ref)}", name, by_stage.get(ref.lower(), "<alias>")


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if not doc.hydra or not doc.may_hold(":/"):
        return
    for node in doc.strings():
        if ":/" not in node.value:  # no models:/ or runs:/ URI: most strings
            continue
        for uri in uri_refs(node.value):
            problem = _problem(uri, deploy_scope(doc, ctx, node), ctx.policy.aliases.stage_to_alias)
            if problem:
                what, name, alias = problem
                yield ctx.hit(doc, node, f"model reference in '{node.key}' uses {what}, not an "
                              f"alias; use models:/{name}@{alias}", value=uri)


RULE = Rule("TC131", "model-uri-not-alias", Severity.ERROR, "lint", check, __doc__ or "")
