"""Masked forms of secret values: the only form in which a secret may reach any output."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from trackcheck.detect.tokens import KNOWN_TOKENS
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
    return scrubber(secrets)(text)


def scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    """``scrub`` for many texts and one set of secrets. Besides the secrets the rules recorded,
    it masks whatever has the shape of one (a known token format, a URI's password), recorded
    or not: a token can sit where no rule looks (a key, a tag value with TC110 not selected)."""
    ordered = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def run(text: str) -> str:
        for s in ordered:
            if s in text:
                text = text.replace(s, mask(s))
        if len(text) >= 16:  # the shortest known token format
            for _, rx in KNOWN_TOKENS:
                text = rx.sub(lambda m: mask(m.group(0)), text)
        m = credential_in_uri(text) if "@" in text else None
        while m:  # a masked password ("****") is no password: each pass masks one more
            text = text[: m.start("password")] + "****" + text[m.end("password") :]
            m = credential_in_uri(text)
        return text

    return run
