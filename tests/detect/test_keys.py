"""detect.keys: secret-like key names by their words, and values that only stand in for a secret."""

import pytest

from trackcheck.detect.keys import is_secret_key, is_stand_in, key_words
from trackcheck.policy import Policy, load_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("default")[0]


SECRET = [
    "password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "apiKey", "API_KEY",
    "db_password", "dbPassword", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
    "DATABRICKS_TOKEN", "HF_TOKEN", "hf_token", "github_token", "access_token", "auth_token",
    "client_secret", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secret_key", "private_key",
    "privateKey", "openai_api_key", "credentials", "x-api-key", "my.service.token",
]
NOT_SECRET = [
    "max_tokens", "num_tokens", "tokens", "tokenizer", "Tokenizer", "tokenizer_name", "pad_token",
    "eos_token", "bos_token", "unk_token", "mask_token", "sep_token", "cls_token", "pad_token_id",
    "token_limit", "secret_name", "password_file", "token_file", "id-token", "token_type",
    "code_version", "git_sha", "key", "AWS_ACCESS_KEY_ID", "tracking_uri", "run_name",
    "passwords_allowed", "token_ttl", "", "___",
]


@pytest.mark.parametrize("key", SECRET)
def test_secret_keys(policy: Policy, key: str) -> None:
    assert policy.is_secret_key(key)


@pytest.mark.parametrize("key", NOT_SECRET)
def test_not_secret_keys(policy: Policy, key: str) -> None:
    assert not policy.is_secret_key(key)


@pytest.mark.parametrize(("key", "words"), [
    ("MLFLOW_TRACKING_PASSWORD", ("mlflow", "tracking", "password")),
    ("apiKey", ("api", "key")),
    ("x-api.key", ("x", "api", "key")),
    ("dbPassword2", ("db", "password2")),
    ("", ()),
])
def test_key_words(key: str, words: tuple[str, ...]) -> None:
    assert key_words(key) == words


def test_sets_are_the_policy() -> None:
    words, names, never = frozenset({"pin"}), frozenset({"vault_ref"}), frozenset({"pin"})
    assert is_secret_key("card_pin", words, names, frozenset())
    assert not is_secret_key("pin", words, names, never)
    assert is_secret_key("my_vault_ref", words, names, never)
    assert not is_secret_key("password", words, names, never)


STAND_INS = [
    "${{ secrets.DATABRICKS_TOKEN }}", "${{secrets.X}}", "${DB_PASSWORD}", "${DB_PASSWORD:?set it}",
    "${DB_PASSWORD?}", "${DB_PASSWORD:-}", "$DB_PASSWORD", "$(DB_PASSWORD)",
    "{{ .Values.db.password }}", "%(password)s", "<your-token>", "****", "xxxxxxxx", "...",
    "  ${X}  ",
]
LITERALS = [
    "hunter2", "${DB_PASSWORD:-hunter2}", "${DB_PASSWORD-hunter2}", "abc${X}", "$ecret!", "<", "xx",
    "3f786850e387550fdab836ed7e6dc881de23001b", "{{ a }} b",
]


@pytest.mark.parametrize("value", STAND_INS)
def test_stand_ins(value: str) -> None:
    assert is_stand_in(value)


@pytest.mark.parametrize("value", LITERALS)
def test_literals(value: str) -> None:
    assert not is_stand_in(value)
