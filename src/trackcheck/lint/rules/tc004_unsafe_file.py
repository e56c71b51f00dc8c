"""A file that cannot be linted safely.

## What it does
Reports a file trackcheck refuses to parse: unreadable, not a regular file, a symlink loop,
binary or not UTF-8, larger than `max_file_bytes`, an alias/anchor expansion bomb, or nested
deeper than `max_depth`. It is a finding (exit 1), never a crash, and the other files are still
linted. A regular file among them is still read for tokens and credential URIs (TC110, TC103),
line by line, whole and in bounded memory (an oversized one in chunks): refusing to parse a file
hides no secret in it. The finding's fingerprint includes a digest of the file's content, so a
baselined one shows again once the file changes.

## Why is this bad?
Such a file either cannot be reviewed (binary, huge) or is built to hurt whatever loads it: a
338-byte "billion laughs" file takes OmegaConf 32 s and 400 MB to load, and every training job
that composes it pays that price.

## Example
```yaml
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
```

## Use instead
```yaml
a: &a [x, x, x]
b: [*a, *a]
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
        if p.rule == "TC004":  # the content's digest: a changed file is a new finding
            yield Hit(p.message, doc.path, "", p.line, p.column, value=doc.content_digest)


RULE = Rule("TC004", "unsafe-file", Severity.ERROR, "lint", check, __doc__ or "")
