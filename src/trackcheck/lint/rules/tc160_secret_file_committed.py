"""`.env`, `.databrickscfg`, `.netrc`, credential JSON or key files in the tree.

## What it does
Reports, once per file and at the file itself (no line), a file whose name matches the policy's
`secret_files` globs: `.env` and `.env.*`, `.databrickscfg`, `.netrc`, `.pgpass`, private keys
(`*.pem`, `*.key`, `id_rsa`, ...), `credentials.json` and service-account JSON. Committed
templates (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`) are not
flagged; their contents are scanned by the secret rules like any other file. A file that git
ignores (and does not track) is a developer's local file, not a committed one, and is left alone.
Here the example is a list of file names, not file contents.

## Why is this bad?
These files exist to hold credentials: a tracking server password, a Databricks token, a cloud
key. Once committed, the secret stays in the history of every clone even after the file is
deleted, so it must be rotated.

## Example
```yaml
- .env
- .databrickscfg
- secrets/service-account-training.json
```

## Use instead
```yaml
- .env.example
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.rule import Hit, Rule

_WHAT = {"env": "an environment file", "ini": "a Databricks CLI config", "netrc": "a netrc file"}


def ignored_by_git(path: str) -> bool:
    """git ignores the file and does not track it (outside a repository: not ignored)."""
    import subprocess  # only for secret files: most runs never start git here

    try:
        r = subprocess.run(["git", "check-ignore", "-q", "--", path], capture_output=True,
                           timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if not doc.secret_file or ignored_by_git(doc.path):
        return
    what = _WHAT.get(doc.kind, "a credentials or key file")
    yield Hit(f"'{PurePosixPath(doc.path).name}' is {what} and must not be committed: remove it, "
              "add it to .gitignore and rotate what it held", doc.path, "")


RULE = Rule("TC160", "secret-file-committed", Severity.ERROR, "lint", check, __doc__ or "")
