"""detect.redact: masked forms and the last-line scrub of rendered output."""

import pytest

from trackcheck.detect.redact import MASK, mask, mask_uri_match, scrub
from trackcheck.detect.uris import credential_in_uri

DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"


@pytest.mark.parametrize(("value", "masked"), [
    (DAPI, "dapi************"),
    ("postgresql://mlflow:hunter2@db:5432/mlflow", "postgresql://mlflow:****@db:5432/mlflow"),
    ("https://alice:s3cr3t@mlflow.example.com/api", "https://alice:****@mlflow.example.com/api"),
    ("hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo", "hf_************"),
    ("ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH", "ghp_************"),
    ("glpat-" + "jAIxNKu8iS2G8NPRVdD5", "glpat-************"),
    ("sk-ant-" + "api03-goEmvnEN5N1aE6PwZPf1Qh6yYTWmE4lBYOvfZ8Uz", "sk-ant-************"),
    ("sk-proj-" + "DzV8fUkkibjL5DZPjN0MEQ7wjJJibaZUPgHV7iB3m03nbqns", "sk-proj-************"),
    ("AKIA" + "IOSFODNN7EXAMPLE", "AKIA************"),
    ("AIza" + "duRHHJEYXg4JdpmrcXgGCJbW56eCuNGMGmS", "AIza************"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln", "eyJ************"),
    ("hunter2", MASK),
    ("dapi1234", MASK),  # too short to show even the prefix
    ("3f786850e387550fdab836ed7e6dc881de23001b", MASK),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", MASK),
])
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_mask_long_uri_keeps_only_scheme_user_host() -> None:
    value = "https://u:pw-12345@host.example.com/" + "p" * 300
    assert mask(value) == "https://u:****@host.example.com"


@pytest.mark.parametrize("value", [
    DAPI, "postgresql://mlflow:hunter2@db:5432/mlflow", "hunter2",
    "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH",
])
def test_mask_never_contains_the_secret_part(value: str) -> None:
    m = credential_in_uri(value)
    secret_part = m.group("password") if m else value
    assert secret_part not in mask(value)


def test_mask_uri_match() -> None:
    m = credential_in_uri("x postgresql://mlflow:hunter2@db:5432/mlflow y")
    assert m is not None and mask_uri_match(m) == "postgresql://mlflow:****@db"


def test_scrub_replaces_every_occurrence_with_the_mask() -> None:
    text = f"a {DAPI} b postgresql://mlflow:hunter2@db:5432/mlflow c {DAPI}\n"
    out = scrub(text, [DAPI, "postgresql://mlflow:hunter2@db:5432/mlflow"])
    assert DAPI not in out and "hunter2" not in out
    masked_uri = "postgresql://mlflow:****@db:5432/mlflow"
    assert out == f"a dapi************ b {masked_uri} c dapi************\n"


def test_scrub_longest_first() -> None:
    # the longer secret contains the shorter one: both must disappear
    assert "hunter2" not in scrub("pw=hunter2hunter2 and hunter2", ["hunter2", "hunter2hunter2"])


def test_scrub_ignores_empty_and_tiny_values() -> None:
    assert scrub("a b c abc", ["", "a", "abc"]) == "a b c abc"  # under 4 characters: not scrubbed
    assert scrub("nothing here", []) == "nothing here"
