"""detect.keys: secret-like key names by their words, and values that only stand in for a secret."""

import re

import pytest

from trackcheck.detect.keys import (
    is_secret_key,
    is_secret_list_key,
    is_stand_in,
    is_uri_key,
    key_words,
    without_indexes,
)
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
    "pass", "pw", "db_pass", "DB_PASS", "dbPass", "RABBITMQ_DEFAULT_PASS", "smtp_pw", "passwd",
    "maxTokenSecret",
]
NOT_SECRET = [
    "max_tokens", "num_tokens", "tokens", "tokenizer", "Tokenizer", "tokenizer_name", "pad_token",
    "eos_token", "bos_token", "unk_token", "mask_token", "sep_token", "cls_token", "pad_token_id",
    "token_limit", "secret_name", "password_file", "token_file", "id-token", "token_type",
    "code_version", "git_sha", "key", "AWS_ACCESS_KEY_ID", "tracking_uri", "run_name",
    "passwords_allowed", "token_ttl", "", "___", "maxTokens", "MAX_TOKENS", "bypass",
    "forward_pass", "first_pass", "password_policy", "passwords", "api_keys", "secrets",
    "pw_conv_channels", "no_password", "not_secret", "nonSecret",
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


# plurals: each list item is a secret; the key itself is not one (``tokens: 512``)
LIST_KEYS = ["passwords", "secrets", "tokens", "TOKENS", "api_keys", "apiKeys", "API_KEYS",
             "openai_api_keys", "access_tokens", "client_secrets", "private_keys", "apikeys",
             "credentials"]
NOT_LIST_KEYS = ["not_secret_keys", "no_tokens",
                 "password", "token", "max_tokens", "stop_tokens", "special_tokens",
                 "max_new_tokens", "num_tokens", "db_passwords", "keys", "passes", "s", "",
                 "settings", "sentences", "tokenizers"]


@pytest.mark.parametrize("key", LIST_KEYS)
def test_secret_list_keys(policy: Policy, key: str) -> None:
    sets = (frozenset(policy.secret_key_words), frozenset(policy.secret_key_names),
            frozenset(policy.not_secret_keys))
    assert is_secret_list_key(key, *sets)


@pytest.mark.parametrize("key", NOT_LIST_KEYS)
def test_not_secret_list_keys(policy: Policy, key: str) -> None:
    sets = (frozenset(policy.secret_key_words), frozenset(policy.secret_key_names),
            frozenset(policy.not_secret_keys))
    assert not is_secret_list_key(key, *sets)


def test_not_secret_keys_compare_by_words() -> None:
    words, never = frozenset({"token"}), frozenset({"max_tokens", "pad_token"})
    assert not is_secret_key("padToken", words, frozenset(), never)
    assert not is_secret_key("PAD-TOKEN", words, frozenset(), never)
    assert is_secret_key("pad_token_secret_token", words, frozenset(), never)
    assert not is_secret_list_key("maxTokens", words, frozenset(), never)


# key paths that name a tracking/registry URI under the built-in uri_keys, and ones that do not
URI_KEYS = [
    "tracking_uri", "registry_uri", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI",
    "mlflow_tracking_uri", "mlflow.tracking_uri", "logger.mlflow.tracking_uri", "tracking-uri",
    "trackingUri", "trackingURI", "remote_tracking_uri", "mlflow_uri", "MLFLOW_URI",
    "paths.mlflow_uri", "remote_mlflow_uri", "mlflow_url", "MLFLOW_URL", "server_uri",
    "remote_server_uri", "mlflow.uri", "logger.mlflow.uri", "cfg.MLflow.uri", "model_registry_uri",
    "loggers[0].mlflow.tracking_uri", "mlflow.registry_uri",
]
NOT_URI_KEYS = [
    "uri", "data.uri", "artifact_uri", "data_uri", "model_uri", "base_uri", "mlflow.artifact_uri",
    "redis_server_uri", "stats_server_uri", "oauth2_server_uri", "schema_registry_uri",
    "tracking", "mlflow", "mlflow.tracking.server", "backend_store_uri", "uri.mlflow",
    "my_mlflow.uri", "backtracking_uri", "", "mlflow.uri.x",
]


@pytest.mark.parametrize("key", URI_KEYS)
def test_uri_keys(policy: Policy, key: str) -> None:
    assert is_uri_key(key, tuple(policy.uri_keys))


@pytest.mark.parametrize("key", NOT_URI_KEYS)
def test_not_uri_keys(policy: Policy, key: str) -> None:
    assert not is_uri_key(key, tuple(policy.uri_keys))


@pytest.mark.parametrize(("pattern", "key", "match"), [
    ("*_uri", "x_uri", True), ("*_uri", "uri", False), ("*_uri", "a_b_c_uri", True),
    ("a_*_b", "a_x_y_b", True), ("a_*_b", "a_b", False), ("*", "anything", True),
    ("db.*_url", "db.read_url", True), ("db.*_url", "cache.read_url", False),
    ("TRACKING_URI", "trackingUri", True), ("x", "x.y", False), ("", "x", False),
])
def test_uri_key_patterns(pattern: str, key: str, match: bool) -> None:
    assert is_uri_key(key, (pattern,)) is match


def test_uri_key_matching_is_linear() -> None:
    import time

    key = "_".join(["w"] * 100_000) + "_x"
    start = time.perf_counter()
    assert not is_uri_key(key, ("*_tracking_uri", "a_*_b_*_c"))
    assert time.perf_counter() - start < 5


FILL_INS = [
    "string", "String", "str", "text", "int", "Integer", "bool", "SecretStr", "Optional[str]",
    "changeme", "CHANGEME", "change-me", "change_me", "REPLACE_ME", "replace-me", "TODO", "tbd",
    "your_password_here", "YOUR_API_KEY", "your-token", "put-your-token-here", "password_here",
    "xxx", "***", "...", "xxxx-xxxx-xxxx", "<your-password>", "None", "placeholder",
]
NOT_FILL_INS = [
    "password", "secret", "mlflow", "hunter2", "strong", "change", "todos", "yourself",
    "herein", "p@ss", "minioadmin", "s3cr3t-Pa55", "integer1",
]


@pytest.mark.parametrize("value", FILL_INS)
def test_fill_ins_and_type_names_stand_in(value: str) -> None:
    assert is_stand_in(value)


@pytest.mark.parametrize("value", NOT_FILL_INS)
def test_word_secrets_are_literals(value: str) -> None:
    # ``password: password`` is a weak password, but a real one: it is reported
    assert not is_stand_in(value)


@pytest.mark.parametrize(("path", "stripped"), [
    ("a.b[0][1]", "a.b"), ("a[0].b[12]", "a[0].b"), ("[3]", ""), ("a", "a"), ("a[x]", "a[x]"),
    ("a[]", "a[]"), ("a5][0]", "a5]"), ("a[0][", "a[0]["),
    ("[0]" * 50_000 + "x", "[0]" * 50_000 + "x"),  # read from the end: once, not per '['
])
def test_without_indexes(path: str, stripped: str) -> None:
    assert without_indexes(path) == stripped
    if len(path) < 100:  # the regex it replaces, quadratic on the long one
        assert re.sub(r"(?:\[\d+\])+$", "", path) == stripped
