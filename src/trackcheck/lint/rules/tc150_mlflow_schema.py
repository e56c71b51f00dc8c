"""The mlflow config group fails its schema: a wrong type, or an unknown key close to a known one.

## What it does
Checks the files of the mlflow config group (`config/mlflow/*.yaml`) and any `mlflow:` block
against the policy's `mlflow.keys` and `mlflow.register_keys` (types `bool`, `str`, `mapping`,
`list`). It reports a value of the wrong type and an unknown key that is a likely typo of a known
key at the same level ("did you mean 'experiment_name'?"): a close spelling, not a different
word (`name` is no typo of `run_name`, `experiment_id` none of `experiment_name`). With
`mlflow.strict_schema: true` every unknown key is reported. An interpolation stands for any
type (a string with text around it for `str` only), `???` is set at launch, and `null` is "none"
(`tags: null` means no tags), except for a `bool` switch, which must be on or off. Server-side
keys and `stage` are left to TC102 and TC133; a block with `_target_` is an object Hydra
instantiates, not the mlflow group.

## Why is this bad?
Nothing reads a misspelt key: `experment_name: ${project.name}` leaves the experiment unset and
runs land in MLflow's `Default` experiment; `log_models: "false"` is a non-empty string, so
models are logged after all.

## Example
```yaml
mlflow:
  enabled: "yes"
  experment_name: ${project.name}
```

## Use instead
```yaml
mlflow:
  enabled: true
  experiment_name: ${project.name}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.rule import Hit, Rule


def _edits(a: str, b: str) -> int:
    """Edit distance in which swapping two neighbouring letters is one edit (OSA distance)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            same = a[i - 1] == b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (not same))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


_TYPOS: dict[tuple[str, tuple[str, ...]], str | None] = {}  # a tree repeats its few key names


def typo_of(name: str, known: list[str]) -> str | None:
    """The known key ``name`` is a likely misspelling of: close by difflib and a few edits away."""
    memo_key = (name, tuple(known))
    if memo_key in _TYPOS:
        return _TYPOS[memo_key]
    found = _typo_of(name, known)
    if len(_TYPOS) < 10_000:
        _TYPOS[memo_key] = found
    return found


def _typo_of(name: str, known: list[str]) -> str | None:
    import difflib  # only for a key the schema does not know

    low = name.lower()
    if len(low) > 64:
        return None
    for cand in difflib.get_close_matches(low, known, n=3, cutoff=0.75):
        if _edits(low, cand) <= max(1, len(cand) // 6):
            return cand
    return None


def _type_ok(doc: Document, node: Node, want: str) -> bool:
    if want == "any":
        return True
    if node.kind != "scalar":
        return node.kind == want
    if node.is_string and node.value.strip() == "???":
        return True
    if node.tag == "null":
        return want != "bool"
    if doc.hydra and node.is_string and "${" in node.value:
        i = doc.interpolation(node)
        if i.error is not None or (i.is_interpolation and not i.has_text):
            return True  # TC002 reports broken ones; a lone interpolation may resolve to anything
    return node.tag == want


def _check_block(doc: Document, ctx: LintContext, block: Node,
                 schema: dict[str, str]) -> Iterator[Hit]:
    p = ctx.policy
    for node in block.children:
        want = schema.get(node.name)
        if want is None:
            if node.name in p.server_keys or node.name == "stage":
                continue  # TC102 / TC133 report these
            guess = typo_of(node.name, list(schema))
            if guess is not None:
                yield ctx.hit(doc, node, f"unknown key '{node.key}' in the mlflow config group: "
                              f"did you mean '{guess}'?", value=node.name, at_key=True)
            elif p.mlflow.strict_schema:
                yield ctx.hit(doc, node, f"unknown key '{node.key}' in the mlflow config group "
                              "(strict_schema)", value=node.name, at_key=True)
        elif not _type_ok(doc, node, want):
            got = node.kind if node.kind != "scalar" else node.tag
            yield ctx.hit(doc, node, f"'{node.key}' must be a {want}, not {got}",
                          at_key=node.kind != "scalar")
        elif node.name == "register" and node.kind == "mapping" and schema is p.mlflow.keys:
            yield from _check_block(doc, ctx, node, p.mlflow.register_keys)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for block in ctx.mlflow_blocks(doc):
        if block.child("_target_") is None:
            yield from _check_block(doc, ctx, block, ctx.policy.mlflow.keys)


RULE = Rule("TC150", "mlflow-schema", Severity.WARNING, "lint", check, __doc__ or "")
