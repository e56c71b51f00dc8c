"""A file that is not valid YAML.

## What it does
Reports a YAML file that the YAML parser rejects, at the line and column where parsing stopped.
The other files are still linted, and this one is still read for tokens and credential URIs
(TC110, TC103), line by line. The finding's fingerprint includes a digest of the file's content,
so a baselined one shows again once the file changes.

## Why is this bad?
Hydra cannot compose a config tree with a broken file in it: the training job fails at start-up,
or, worse, a file that only some entrypoints load breaks one experiment weeks later.

## Example
```yaml
mlflow:
  experiment_name: ${project.name}
   run_name: ${model.name}
```

## Use instead
```yaml
mlflow:
  experiment_name: ${project.name}
  run_name: ${model.name}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    for p in doc.problems:
        if p.rule == "TC001":  # the content's digest: a changed file is a new finding
            yield Hit(p.message, doc.path, "", p.line, p.column, value=doc.content_digest)


RULE = Rule("TC001", "yaml-syntax-error", Severity.ERROR, "lint", check, __doc__ or "")
