"""Known credential formats (TC110): the token shapes providers publish, anywhere in a value."""

from __future__ import annotations

import re
from collections.abc import Iterable

KNOWN_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        ("Databricks personal access token", r"\bdapi[0-9a-f]{32}(?:-\d)?\b"),
        ("GitHub token", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b"),
        ("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b"),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
        ("Slack webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]{20,}"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
        ("OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("Azure storage account key", r"AccountKey=[A-Za-z0-9+/]{86}=="),
        # the whole block when it is complete, so that the block is what gets hashed and scrubbed;
        # its body stops at the next '-----' (linear: a header never reads past the next one)
        ("private key block", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                              r"(?:(?:[A-Za-z0-9+/=:,\s]|-(?!----))*+"
                              r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"),
        # the header stops before a '-eyJ' (where the next try starts): linear on '-eyJ-eyJ…'
        ("JSON web token", r"\beyJ(?:[A-Za-z0-9_]|-(?!eyJ)){8,}+\.eyJ[A-Za-z0-9_\-]{8,}+"
                           r"\.[A-Za-z0-9_\-]{8,}+"),
        ("bearer token", r"\b[Bb]earer\s+[A-Za-z0-9_\-.=+/]{20,}"),
    )
)

# literal text each known format holds (one of its words): a text without any of a format's
# words holds no token of it. tests/detect/test_tokens.py checks them against each format.
TOKEN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "AWS access key id": ("AKIA", "ASIA", "ABIA", "ACCA"),
    "Databricks personal access token": ("dapi",),
    "GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "GitHub fine-grained token": ("github_pat_",),
    "GitLab token": ("glpat-",),
    "Slack token": ("xox",),
    "Slack webhook": ("hooks.slack.com",),
    "Hugging Face token": ("hf_",),
    "Anthropic API key": ("sk-ant-",),
    "OpenAI API key": ("sk-",),
    "Google API key": ("AIza",),
    "Azure storage account key": ("AccountKey=",),
    "private key block": ("PRIVATE KEY",),
    "JSON web token": ("eyJ",),
    "bearer token": ("earer",),
}
# any format's word: one scan for them costs ~12 ns a character, where the formats' alternation
# costs ~0.4 us (a 40-character value: 17 us); a value without one holds no known token
TOKEN_HINT = re.compile("|".join(re.escape(w) for words in TOKEN_KEYWORDS.values() for w in words))

def find_token(value: str,
               extra: Iterable[tuple[str, re.Pattern[str]]] = ()) -> tuple[str, str] | None:
    """The first known token in the value, as (format name, matched text), or None."""
    if len(value) < 16:
        return None
    for name, rx in (*KNOWN_TOKENS, *extra):
        # a team's pattern that can match the empty string must not flag every value
        m = next((m for m in rx.finditer(value) if m.group(0)), None)
        if m:
            return name, m.group(0)
    return None
