"""detect.tokens: every known credential format, plus near-misses that must stay clean."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackcheck.detect.tokens import KNOWN_TOKENS, TOKEN_HINT, TOKEN_KEYWORDS, find_token

# fake tokens in each provider's published shape; split so that no scanner mistakes this file
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
GHP = "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH"
GHO = "gho_" + "F4vUCsMehGAkWvj7FAc9QeWJKY40uvSwMFLZ"
GH_PAT = "github_pat_" + "De1f8rESQedUStPKR0CsTy_4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj" \
    "oQoaF1Llqsa"
GLPAT = "glpat-" + "jAIxNKu8iS2G8NPRVdD5"
SLACK = "xoxb-" + "866661760313-7215901092815-Nbe3nNyjOq9wMxEhh2FDEEtf"
HOOK = "https://hooks.slack.com/services/" + "TJGVQ4K7B/BN7XJ8B7T/P3fS2qHx6kwXoIIXGvOoNZYW"
HF = "hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo"
ANTHROPIC = "sk-ant-" + "api03-goEmvnEN5N1aE6PwZPf1Qh6yYTWmE4lBYOvfZ8Uz"
OPENAI_PROJ = "sk-proj-" + "DzV8fUkkibjL5DZPjN0MEQ7wjJJibaZUPgHV7iB3m03nbqns"
OPENAI = "sk-" + "GpWLuqIA1id6Vw5DQL05HA064GiIjHGb3CXlMaXZjljENUhJ"
GOOGLE = "AIza" + "duRHHJEYXg4JdpmrcXgGCJbW56eCuNGMGmS"
AZURE = "AccountKey=" + "J59FHz5r1pY4OjE2jBMptUsGr7CmY+uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt/" \
    "PlJhx2jIclHkCiHp6bR1=="
JWT = ("eyJ" + "hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
       "Im1sIn0" + ".xuI5aHUQPFeNBTxaQWk8JzFalHlsZfYcMMDktXP_tKs")
KEY_BLOCK = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
             "AAAAAAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAI\n-----END OPENSSH PRIVATE KEY-----")
RSA_HEAD = "-----BEGIN RSA PRIVATE KEY-----"
PGP_HEAD = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
BEARER = "Bearer " + "xuI5aHUQPFeNBTxaQWk8JzFalHlsZfYc"

# (value, format name, matched text)
TOKENS = [
    ("AKIA" + "IOSFODNN7EXAMPLE", "AWS access key id", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("key_id = ASIA" + "RIC7PHKQDLMTT7NS", "AWS access key id", "ASIA" + "RIC7PHKQDLMTT7NS"),
    (DAPI, "Databricks personal access token", DAPI),
    (DAPI + "-2", "Databricks personal access token", DAPI + "-2"),
    (f"token={DAPI}", "Databricks personal access token", DAPI),
    (GHP, "GitHub token", GHP),
    (GHO, "GitHub token", GHO),
    (GH_PAT, "GitHub fine-grained token", GH_PAT),
    (GLPAT, "GitLab token", GLPAT),
    (SLACK, "Slack token", SLACK),
    (HOOK, "Slack webhook", HOOK),
    (HF, "Hugging Face token", HF),
    (ANTHROPIC, "Anthropic API key", ANTHROPIC),
    (OPENAI_PROJ, "OpenAI API key", OPENAI_PROJ),
    (OPENAI, "OpenAI API key", OPENAI),
    (GOOGLE, "Google API key", GOOGLE),
    (f"DefaultEndpointsProtocol=https;AccountName=acct;{AZURE};EndpointSuffix=core.windows.net",
     "Azure storage account key", AZURE),
    (KEY_BLOCK + "\n", "private key block", KEY_BLOCK),
    (RSA_HEAD + "\nMIIEpAIBAAKCAQEA", "private key block", RSA_HEAD),
    (PGP_HEAD, "private key block", PGP_HEAD),
    (JWT, "JSON web token", JWT),
    ("Authorization: " + BEARER, "bearer token", BEARER),
]

NEAR_MISSES = [
    "3f786850e387550fdab836ed7e6dc881de23001b",  # a git SHA
    "sha256:" + "e58b081006f7e3dfc967a64cb14028d512c9791e" * 2,  # an image digest
    "123e4567-e89b-12d3-a456-426614174000",  # a UUID
    "dapi" + "a4c123b1612dd272d1371c17149d439",  # 31 hex
    "dapi" + "g4c123b1612dd272d1371c17149d4395",  # not hex
    "dapi" + "a4c123b1612dd272d1371c17149d43951",  # 33 hex
    "AKIA" + "IOSFODNN7EXAMPL",  # 15 after the prefix
    "akia" + "iosfodnn7example",  # lower case
    "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKt",  # 35 after the prefix
    "github_pat_short_but_long_enough",
    "glpat-tooshort",
    "hf_hub_download_cache_directory_name",
    "sk-learn-style-package-name",
    "AIza-is-a-prefix-but-this-is-short",
    "AccountKey=short==;AccountName=acct",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A",
    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",  # a JWT header alone
    "Authorization: Bearer ${oc.env:API_TOKEN}",
    "Authorization: Bearer ${{ secrets.API_TOKEN }}",
    "bert-base-uncased-tokenizer-name",
    "${oc.env:DATABRICKS_TOKEN}",
    "dGhpcyBpcyBqdXN0IGEgbG9uZyBiYXNlNjQgc3RyaW5n",
    "xoxb",
    "",
]


@pytest.mark.parametrize(("value", "name", "text"), TOKENS)
def test_finds(value: str, name: str, text: str) -> None:
    assert find_token(value) == (name, text)


@pytest.mark.parametrize("value", NEAR_MISSES)
def test_near_misses(value: str) -> None:
    assert find_token(value) is None


def test_every_format_has_a_case() -> None:
    assert {n for n, _ in KNOWN_TOKENS} == {n for _, n, _ in TOKENS}


def test_token_in_the_middle_of_text() -> None:
    found = find_token(f"export DATABRICKS_TOKEN={DAPI} && run")
    assert found == ("Databricks personal access token", DAPI)


def test_extra_patterns() -> None:
    extra = [("Acme key", re.compile(r"acme_[0-9a-f]{24}"))]
    acme = "acme_0123456789abcdef01234567"
    assert find_token(f"key: {acme}", extra) == ("Acme key", acme)
    assert find_token("key: acme_0123456789abcdef0123", extra) is None
    # built-in formats come first
    assert find_token(f"{DAPI} {acme}", extra) == ("Databricks personal access token", DAPI)


def test_pattern_that_matches_empty_does_not_flag_everything() -> None:
    extra = [("team", re.compile(r"x*"))]
    assert find_token("an ordinary long value here", extra) is None
    assert find_token("an ordinary long value xx", extra) == ("team", "xx")


# --- formats whose tries could each read the rest of a value ---------------------------------
ENCRYPTED = ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
             "3F1C\n\nMIIEowIBAAKCAQEA+/=\n-----END RSA PRIVATE KEY-----")


@pytest.mark.parametrize(("value", "name", "text"), [
    (f"x-{JWT}", "JSON web token", JWT),  # after a '-': where the next try starts
    (f"-eyJ-eyJ {JWT}", "JSON web token", JWT),
    (ENCRYPTED, "private key block", ENCRYPTED),  # headers with '-', ':' and ',' in the body
    (f"{RSA_HEAD}\n{KEY_BLOCK}", "private key block", RSA_HEAD),  # a header without its block
])
def test_formats_read_each_part_once(value: str, name: str, text: str) -> None:
    assert find_token(value) == (name, text)


def test_blocks_in_a_row_are_found_apart() -> None:
    blocks = [m.group(0) for m in dict(KNOWN_TOKENS)["private key block"].finditer(
        f"{KEY_BLOCK}\n{ENCRYPTED}")]
    assert blocks == [KEY_BLOCK, ENCRYPTED]


# --- the quick hint: a value it finds nothing in holds no known token -----------------------
@pytest.mark.parametrize(("name", "rx"), KNOWN_TOKENS, ids=[n for n, _ in KNOWN_TOKENS])
@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_token_holds_a_word_of_its_format(name: str, rx: re.Pattern[str],
                                                 data: st.DataObject) -> None:
    value = data.draw(st.from_regex(rx))
    match = rx.search(value)
    assert match is not None
    assert any(w in match.group(0) for w in TOKEN_KEYWORDS[name]), (name, value)
    assert TOKEN_HINT.search(match.group(0)) is not None, (name, value)


def test_every_format_has_its_words() -> None:
    assert set(TOKEN_KEYWORDS) == {name for name, _ in KNOWN_TOKENS}


@pytest.mark.parametrize(("value", "name", "text"), TOKENS)
def test_the_hint_finds_every_case(value: str, name: str, text: str) -> None:
    assert TOKEN_HINT.search(text) is not None


def test_a_value_without_a_hint_is_not_searched_further() -> None:
    from trackcheck.lint.context import LintContext
    from trackcheck.policy import load_policy

    ctx = LintContext(load_policy("default")[0])
    plain = "${paths.data_dir}/bert/bert_17.parquet"
    assert TOKEN_HINT.search(plain) is None and ctx.token(plain) is None
    token = "dapi" + "0123456789abcdef" * 2
    assert ctx.token(f"url: {token}") == ("Databricks personal access token", token)
