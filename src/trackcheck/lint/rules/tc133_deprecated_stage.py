"""Use of deprecated registry stages: a stage setting or a stage transition in config.

## What it does
Reports two things in Hydra config:

- a stage key holding a registry stage (`Production`, `Staging`, `Archived`, `None`, in any
  case, as MLflow reads them): a key named `stage` or `*_stage` under the mlflow group,
  `register`, `registry`, `deploy` or `serving`, or named for the registry anywhere
  (`model_stage`, `registry_stage`, `version_stage`, `registered_stage`). A `stage: train`
  elsewhere is a pipeline stage and is left alone;
- a stage-transition setting (`transition_stage`, `stage_transition`,
  `transition_model_version_stage`, `archive_existing_versions`) anywhere, whatever its value,
  unless `null`, empty or `???`.

A `models:/name/Production` URI is TC131's, not reported again here.

## Why is this bad?
Stages are deprecated since MLflow 2.9 and independent of aliases: a version moved to
`Production` is not what `models:/name@prod` serves, so two lifecycles drift apart, and
`archive_existing_versions` silently demotes versions that deployments may still use.

## Example
```yaml
mlflow:
  register:
    model_name: churn
    stage: Production
```

## Use instead
```yaml
mlflow:
  register:
    model_name: churn
    alias: staging
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.aliases import registry_context
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.lint.tags import literal
from trackcheck.rule import Hit, Rule

STAGES = frozenset({"production", "staging", "archived", "none"})
TRANSITION_KEYS = frozenset({"transition_stage", "stage_transition",
                             "transition_model_version_stage", "archive_existing_versions"})
REGISTRY_PREFIXES = ("model_", "registry_", "version_", "registered_")
_NAME_ENDS = ("stage", *TRANSITION_KEYS)  # every name the rule reads ends in one of these


def _stage_name(name: str) -> bool:
    return name.endswith(_NAME_ENDS)


def _stage_key(ctx: LintContext, node: Node) -> bool:
    """``stage`` or ``*_stage`` (checked by the caller) in registry context."""
    return node.name.startswith(REGISTRY_PREFIXES) or registry_context(ctx, node.full_key)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind == "python":  # stage transitions in code, found with ast (TC171's reading)
        from trackcheck.lint import pysource  # Python's ast and tokenize only for a file of code

        yield from pysource.stage_hits(doc, ctx)
    if not doc.hydra or not ctx.memo("stage name", _stage_name).any_of(doc.names()):
        return
    to_alias = {k.lower(): v for k, v in ctx.policy.aliases.stage_to_alias.items()}
    for node in doc.scalars():
        name = node.name
        if not name.endswith(_NAME_ENDS):  # most keys: neither a stage nor a transition key
            continue
        if name in TRANSITION_KEYS:
            if not (node.is_empty or node.value.strip() == "???"):
                yield ctx.hit(doc, node, f"stage transition setting '{node.key}': stages are "
                              "deprecated since MLflow 2.9; promote by moving an alias, outside "
                              "training")
        elif (name == "stage" or name.endswith("_stage")) and _stage_key(ctx, node) \
                and literal(doc, ctx, node) and node.value.lower() in STAGES:
            alias = to_alias.get(node.value.lower())
            instead = f"use the alias '{alias}'" if alias else "remove it; versions carry aliases"
            yield ctx.hit(doc, node, f"registry stage '{node.value}' in '{node.key}': stages are "
                          f"deprecated since MLflow 2.9; {instead}")


RULE = Rule("TC133", "deprecated-stage", Severity.ERROR, "lint", check, __doc__ or "")
