"""Masked forms of secret values: the only form in which a secret may reach any output."""

from __future__ import annotations

import re
from collections.abc import Iterable

from trackcheck.detect.uris import credential_in_uri

# prefixes that identify a token's kind without revealing any of its secret part
_SAFE_PREFIXES = (
    "dapi", "hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-",
    "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxo-", "sk-ant-", "sk-proj-", "sk-", "AKIA", "ASIA",
    "AIza", "eyJ",
)
MASK = "************"


def mask(value: str) -> str:
    """``dapi0123…`` → ``dapi************``; credential URIs keep all but the password."""
    m = credential_in_uri(value)
    if m:
        if len(value) >= 200:
            return value[: m.start()] + mask_uri_match(m)
        return value[: m.start("password")] + "****" + value[m.end("password") :]
    v = value.strip()
    for p in _SAFE_PREFIXES:
        if v.startswith(p) and len(v) > len(p) + 8:
            return p + MASK
    return MASK


def mask_uri_match(m: re.Match[str]) -> str:
    return f"{m.group('scheme')}://{m.group('user')}:****@{m.group('host')}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Last line of defence: replace any secret that still reached rendered output."""
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        if s in text:
            text = text.replace(s, mask(s))
    return text
