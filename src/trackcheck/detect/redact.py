"""Masked forms of secret values: the only form in which a secret may reach any output."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from trackcheck.detect.tokens import KNOWN_TOKENS
from trackcheck.detect.uris import credential_in_uri

if TYPE_CHECKING:  # detect/ is below the engine: the report is only read, never imported
    from trackcheck.engine import Report
    from trackcheck.findings import Finding

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


def word_like(value: str) -> bool:
    """Whether a secret reads as a word of a path, key path, message or format: letters only
    (``secret``, ``mlflow``, ``MLflow``, ``mlflow-db``, ``correct horse``), or shorter than 8
    characters and of one character class (``5000``, ``****``). Such a secret is masked only
    where it is known to be the value, never as a substring of other text."""
    v = value.strip()
    if _WORDS.fullmatch(v):
        return True
    if len(v) >= 8:
        return False
    return v.isdigit() or not any(c.isalnum() or c.isspace() for c in v)


# letter runs joined by the separators names use; ``[^\W\d_]`` is a letter in any script
_WORDS = re.compile(r"[^\W\d_]+(?:[-_. ][^\W\d_]+)*")
_SHORT = 8  # a secret this long or longer is masked inside other text too


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Last line of defence: replace any secret that still reached rendered output."""
    return scrubber(secrets)(text)


def scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    """``scrub`` for many texts and one set of secrets: masking values, not words.

    Rules never write a value into a message, so a recorded secret that still shows in a path,
    key path, message or summary either got there by mistake or is a word that happens to be
    equal to the secret (``password: yaml`` in ``conf/db/yaml.yaml``). A word-like secret (see
    ``word_like``) is therefore left alone here: it is masked only where a value is known to sit
    (``--diff`` lines, by position). Any other secret is masked: anywhere when it is 8 characters
    or longer (a collision with a word is then practically impossible), as a whole token when
    shorter (``db01`` masks ``db01`` but not ``db012``). Besides the recorded secrets it masks
    whatever has the shape of one (a known token format, a URI's password), recorded or not and
    wherever it sits: a token can sit where no rule looks (a key, a file name, a tag value with
    TC110 not selected), and there it is a secret, not a word.
    """
    kept = {s for s in secrets if s and len(s) >= 4 and not word_like(s)}
    ordered = sorted(kept, key=len, reverse=True)
    # many secrets (one per line of a hostile file): one linear search per text finds those it
    # holds, instead of a search per secret per text (quadratic in the findings)
    present = _present(ordered) if len(ordered) > _FEW else None
    whole: dict[str, re.Pattern[str]] = {}
    memo: dict[str, str] = {}  # a report repeats its paths, keys and messages

    def clean(text: str) -> str:
        for s in ordered if present is None else present(text):
            if s in text:
                shown = mask(s)
                if len(s) < _SHORT:
                    rx = whole.get(s) or whole.setdefault(s, _whole(s))
                    text = rx.sub(lambda _, m=shown: m, text)
                else:
                    text = text.replace(s, shown)
        if len(text) >= 16:  # the shortest known token format
            for _, rx in KNOWN_TOKENS:
                text = rx.sub(lambda m: mask(m.group(0)), text)
        m = credential_in_uri(text) if "@" in text else None
        while m:  # a masked password ("****") is no password: each pass masks one more
            text = text[: m.start("password")] + "****" + text[m.end("password") :]
            m = credential_in_uri(text, m.start("password") + 4)
        return text

    def run(text: str) -> str:
        done = memo.get(text)
        if done is None:
            done = clean(text)
            if present is not None and done != text and present(done):
                done = clean(done)  # a mask that left a shorter secret beside it: once more
            if len(text) <= 1024 and len(memo) < _MEMO_MAX:
                memo[text] = done
        return done

    return run


_FEW = 64
_MEMO_MAX = 100_000


def _present(secrets: list[str]) -> Callable[[str], list[str]]:
    """Which of ``secrets`` (longest first) a text holds, overlapping ones included, by one
    RE2 set search per text: time linear in the text whatever the number of secrets. Texts and
    secrets are compared as UTF-8 bytes (lone surrogates of file names included)."""
    import re2  # a dependency already (policy patterns); loaded only for a run with many secrets

    options = re2.Options()
    options.encoding = type(options.encoding).LATIN1  # bytes as they are, any byte sequence
    options.literal = True
    options.log_errors = False
    # room for the program (about 100 bytes a character of secret) and the search's own cache
    options.max_mem = min((64 << 20) + 256 * sum(map(len, secrets)), 8 << 30)
    found = re2.Set.SearchSet(options)
    try:
        for s in secrets:
            found.Add(s.encode("utf-8", "surrogatepass"))
        found.Compile()
    except re2.error:  # past any memory RE2 will take: one search per secret, slow but sure
        return lambda text: secrets

    def run(text: str) -> list[str]:
        hits = found.Match(text.encode("utf-8", "surrogatepass"))
        return [secrets[i] for i in sorted(hits)] if hits else []

    return run


def _whole(secret: str) -> re.Pattern[str]:
    """``secret`` where it is a whole token: not continued by a letter or digit on either side
    (an edge of the secret that is not a letter or digit needs no boundary there)."""
    left = r"(?<![^\W_])" if secret[0].isalnum() else ""
    right = r"(?![^\W_])" if secret[-1].isalnum() else ""
    return re.compile(left + re.escape(secret) + right)


def scrub_report(report: Report) -> Report:
    """The report with secrets masked in every field a reporter prints. Masking fields, not the
    rendered text, never touches the format's own words (a password ``error`` must not turn
    ``"severity": "error"`` into a mask) and sees each value before JSON or XML escapes it.
    Rule text (names, help, docs) is not the report's and is never touched."""
    clean = scrubber(report.secrets)

    def one(f: Finding) -> Finding:
        why = None if f.suppressed is None else clean(f.suppressed)
        return replace(f, message=clean(f.message), path=clean(f.path), key=clean(f.key),
                       suppressed=why)

    def value(v: object) -> object:
        if isinstance(v, str):
            return clean(v)
        return [value(x) for x in v] if isinstance(v, list) else v

    state = None if report.registry is None else report.registry.scrubbed(clean, one)
    return replace(report, findings=[one(f) for f in report.findings],
                   suppressed=[one(f) for f in report.suppressed],
                   summary={k: value(v) for k, v in report.summary.items()}, registry=state)
