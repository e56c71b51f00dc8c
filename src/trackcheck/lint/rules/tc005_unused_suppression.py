"""A suppression comment that is malformed, names an unknown code, or suppresses nothing.

## What it does
Reports `# trackcheck: ignore[...]` and `# trackcheck: ignore-file[...]` comments that cannot
work (no codes, a code that does not exist, bad syntax) or that hid no finding in this run,
like ruff's RUF100.

## Why is this bad?
A stale suppression hides the next real finding on that line; a bare `ignore` looks like it
silences something while it silences nothing.

## Example
```yaml
mlflow:
  experiment_name: ${project.name}  # trackcheck: ignore[TC101]
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
from trackcheck.lint.suppress import Suppression, is_known_code
from trackcheck.rule import Hit, Rule


def suppression_hits(doc: Document, sups: list[Suppression], known: set[str],
                     not_run: set[str] | frozenset[str] = frozenset()) -> Iterator[Hit]:
    """Called by the runner after suppressions were applied: only then is "unused" known.
    A rule that did not run on this file (``--select``/``--ignore``, disabled, a per-path
    ignore) cannot be said to report nothing: its suppressions are not called unused."""
    # identity without line numbers: the key on the suppression's line and the directive itself
    keys = {(n.key_line or n.line): n.key for n in reversed(doc.nodes)}
    for s in sups:
        key = "" if s.file_wide else keys.get(s.line, "")
        if s.malformed:
            yield Hit(s.malformed, doc.path, key, s.line, s.column, value=s.body)
            continue
        for code in s.codes:
            if not is_known_code(code, known):
                yield Hit(f"suppression names unknown code '{code[:20]}'", doc.path, key, s.line,
                          s.column, value=code)
            elif code in not_run:
                continue
            elif code not in s.used:
                scope = "this file" if s.file_wide else "this line"
                yield Hit(f"unused suppression: {code} reports nothing on {scope}", doc.path, key,
                          s.line, s.column, value=code)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    return iter(())  # the runner calls suppression_hits() once the other rules have run


RULE = Rule("TC005", "unused-suppression", Severity.WARNING, "lint", check, __doc__ or "")
