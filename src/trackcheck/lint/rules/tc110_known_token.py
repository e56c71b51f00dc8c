"""A value in a known credential format: a token or key a provider issued.

## What it does
Looks at every scalar of every linted file (Hydra config, CI workflows and other YAML, `.env`,
`.databrickscfg`, `.netrc`), in block scalars, lists and flow mappings, anywhere in the string,
for the formats providers publish: AWS access key ids, Databricks personal access tokens
(`dapi...`), GitHub and GitLab tokens, Slack tokens and webhooks, Hugging Face tokens (`hf_...`),
OpenAI and Anthropic keys, Google API keys, Azure storage account keys, private-key blocks,
JWTs and bearer tokens, plus the policy's `token_patterns`. Python sources and shell scripts
are read too, their whole text (string literals, comments, and a file that does not parse), each
token under the name its value is given to (`API_TOKEN = "..."`, `export HF_TOKEN=...`). A YAML
file that does not parse (TC001) and any file that is not parsed (TC004: oversized, binary, not
UTF-8) is still read, whole, line by line (long lines in overlapping windows): a broken file
hides no token. The message names the format and the key, never the token.

To give one finding per concern: a token inside the default of `${oc.env:VAR,DEFAULT}` is
reported by TC104; a token under a secret-like key (`api_key: sk-...`) is reported here, not
again by TC111; a token that is the password of a URI is reported here, not again by TC103.

## Why is this bad?
A committed token is a leaked token: anyone who can read the repository or its history can use
it until it is revoked. The format says where to revoke it.

## Example
```yaml
databricks:
  token: dapi0123456789abcdef0123456789abcdef
```

## Use instead
```yaml
databricks:
  token: ${oc.env:DATABRICKS_TOKEN}
```
"""

# trackcheck: ignore-file[TC110] reason="the Example above is a made-up token the rule must find"
from __future__ import annotations

from collections.abc import Iterator

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import CODE_STRING_KINDS, Document
from trackcheck.rule import Hit, Rule


def _in_code(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    from trackcheck.lint import codestrings  # Python's ast and tokenize only for a file of code

    for t in codestrings.tokens(doc, ctx.policy):
        where = f"'{t.key}'" if t.key else f"{doc.kind} source"
        yield Hit(f"{t.kind} in {where}", doc.path, t.key, t.line, t.column, value=t.text,
                  secret=True)


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind in CODE_STRING_KINDS:
        yield from _in_code(doc, ctx)
        return
    for node in doc.scalars():
        # the cheap test first: most values hold no token, and then need no parsing; a value
        # with env lookups is read as OmegaConf joins it (an empty default can split a token)
        value = node.value
        if len(value) < 16:  # shorter than any token format (ctx.token's floor)
            continue
        joined = doc.hydra and "oc.env" in value
        found = ctx.token(ctx.outside_env_defaults(doc, node)) \
            if joined or ctx.token(value) else None
        if found is not None:
            kind, text = found
            # the token is what is hashed and scrubbed; a key block is the whole value
            value = node.value if text.startswith("-----BEGIN") else text
            if doc.broken and not node.key:  # a line of a file that is not parsed
                yield Hit(f"{kind} in a file that is not parsed (its text is still read)",
                          doc.path, "", node.line, node.column + max(0, node.value.find(text)),
                          value=value, secret=True)
                continue
            yield ctx.hit(doc, node, f"{kind} in '{node.key}'", value=value, secret=True)


RULE = Rule("TC110", "known-token", Severity.ERROR, "lint", check, __doc__ or "")
