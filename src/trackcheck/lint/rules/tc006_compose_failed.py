"""A composition Hydra cannot complete here, for a reason that is not one file's fault.

## What it does
With `--compose` (or the policy's `entrypoints`), reports a composition that Hydra cannot
complete where trackcheck runs: an option of a Hydra plugin that is not installed
(`hydra/job_logging: colorlog` needs `hydra-colorlog`, `hydra/launcher: joblib` needs
`hydra-joblib-launcher`), options that do not combine (an experiment that overrides a group the
primary config does not select, an option that is not there, a key one option lacks), a defaults
list that needs the environment, or a `hydra.searchpath` entry outside the repository, which is
never read. The finding points at the defaults entry (or search path entry) and names the
entrypoint and overrides. A missing plugin's option is replaced by Hydra's built-in one, so the
rest of the config is still composed and checked. A file that is broken on its own stays with
TC001-TC004.

## Why is this bad?
What does not compose is not checked: the run tags, names and tracking URI of that entrypoint go
unverified. The training job may fail the same way at start-up, or the CI job that lints lacks a
plugin the training image has; either way the gap should be seen, not silent.

## Example
```yaml
defaults:
  - _self_
  - override hydra/job_logging: colorlog
```

## Use instead
Install the plugins the training image has where trackcheck runs
(`pip install 'trackcheck[hydra]' hydra-colorlog`), or choose such options on the command line
of the runs that want them (`python train.py hydra/job_logging=colorlog`):
```yaml
defaults:
  - _self_
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    """Nothing per file: ``trackcheck.lint.compose`` reports what Hydra could not compose."""
    return iter(())


RULE = Rule("TC006", "compose-failed", Severity.WARNING, "lint", check, __doc__ or "")
