"""TC110 known-token: PASS/FAIL tables."""

from dataclasses import asdict

import pytest

from tests.conftest import assert_secret_hidden, codes, findings_for, lint_text
from trackcheck.policy import load_policy, validate_policy

SECRET_RULES = ("TC101", "TC103", "TC104", "TC110", "TC111")
# fake tokens in each provider's published shape; split so that no scanner mistakes this file
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
GHP = "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH"
HF = "hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo"
AKIA = "AKIA" + "IOSFODNN7EXAMPLE"
OPENAI = "sk-proj-" + "DzV8fUkkibjL5DZPjN0MEQ7wjJJibaZUPgHV7iB3m03nbqns"
SLACK = "xoxb-" + "866661760313-7215901092815-Nbe3nNyjOq9wMxEhh2FDEEtf"
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"

FAIL = [
    (f"databricks:\n  token: {DAPI}\n", "Databricks personal access token"),
    (f"notes: 'use {DAPI} for now'\n", "Databricks personal access token"),  # anywhere in a string
    (f"cmd: |\n  databricks configure\n  export DATABRICKS_TOKEN={DAPI}\n",
     "Databricks personal access token"),  # block scalar
    (f"cmd: >\n  curl -H 'Authorization: token {GHP}'\n  https://api.github.com\n", "GitHub token"),
    (f"hub:\n  tokens_list:\n    - {HF}\n", "Hugging Face token"),  # list
    (f"aws: {{key_id: {AKIA}, region: eu-west-1}}\n", "AWS access key id"),  # flow mapping
    (f"cbs: [{{name: slack, token: {SLACK}}}]\n", "Slack token"),
    (f"llm:\n  max_tokens: 512\n  client: {{api_key: {OPENAI}}}\n", "OpenAI API key"),
    ("key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEpAIBAAKCAQEA\n"
     "  -----END RSA PRIVATE KEY-----\n", "private key block"),
    (f"header: Bearer {DAPI[4:]}\n", "bearer token"),
    (f"url: ${{paths.api}}/v1?token={DAPI}\n", "Databricks personal access token"),  # with a ref
]
PASS = [
    "databricks:\n  token: ${oc.env:DATABRICKS_TOKEN}\n",
    f"code_version: {SHA}\n",
    f"git:\n  sha: {SHA}\n",
    "run_id: 0123456789abcdef0123456789abcdef\n",
    "dataset:\n  id: 123e4567-e89b-12d3-a456-426614174000\n",
    "model:\n  tokenizer: bert-base-uncased\n  max_tokens: 512\n",
    "header: Bearer ${oc.env:API_TOKEN}\n",
    "dapi: short\n",
    f"token: ${{oc.env:DATABRICKS_TOKEN,{DAPI}}}\n",  # a default: TC104's
]


@pytest.mark.parametrize(("text", "kind"), FAIL)
def test_flags(text: str, kind: str) -> None:
    (f,) = findings_for("TC110", text)
    assert f.message.startswith(kind + " in '") and f.severity.value == "error"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC110", text) == []


def test_message_and_position() -> None:
    (f,) = findings_for("TC110", f"x:\n  y: {DAPI}\n")
    assert f.message == "Databricks personal access token in 'x.y'"
    assert (f.line, f.column, f.key) == (2, 6, "x.y")


def test_list_item_key() -> None:
    (f,) = findings_for("TC110", f"hub:\n  - name: a\n  - {HF}\n")
    assert f.key == "hub[1]" and f.line == 3


def test_token_under_secret_key_is_tc110_only() -> None:
    assert codes(f"api_key: {DAPI}\n", select=SECRET_RULES) == ["TC110"]
    assert codes(f"llm: {{api_key: {OPENAI}}}\n", select=SECRET_RULES) == ["TC110"]


def test_token_as_uri_password_is_tc110_only() -> None:
    text = f"repo: https://x-access-token:{GHP}@github.com/org/repo.git\n"
    assert codes(text, select=SECRET_RULES) == ["TC110"]


@pytest.mark.parametrize(("text", "rel"), [
    (f"DATABRICKS_TOKEN={DAPI}\n", ".env.example"),
    (f"export HF_TOKEN=\"{HF}\"\n", ".env"),
    (f"[DEFAULT]\nhost = https://x.cloud.databricks.com\ntoken = {DAPI}\n", ".databrickscfg"),
    (f"machine github.com login me password {GHP}\n", ".netrc"),
    (f"jobs:\n  t:\n    env:\n      DATABRICKS_TOKEN: {DAPI}\n", ".github/workflows/ci.yml"),
    (f"variables:\n  HF_TOKEN: {HF}\n", ".gitlab-ci.yml"),
])
def test_every_file_kind(text: str, rel: str) -> None:
    assert codes(text, rel, select=SECRET_RULES) == ["TC110"]


def test_workflow_secret_reference_is_clean() -> None:
    text = ("name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    permissions: {id-token: write, contents: read}\n"
            "    env:\n      DATABRICKS_TOKEN: ${{ secrets.DATABRICKS_TOKEN }}\n"
            "    steps:\n"
            "      - run: databricks auth login --token \"${{ secrets.DATABRICKS_TOKEN }}\"\n")
    assert not {"TC002", *SECRET_RULES} & set(codes(text, ".github/workflows/ci.yml"))


def test_policy_token_patterns() -> None:
    base = load_policy("default")[0]
    policy = validate_policy({**asdict(base), "token_patterns": [
        {"name": "Acme service key", "regex": r"acme_[0-9a-f]{24}"}]})
    text = "svc:\n  key: acme_0123456789abcdef01234567\n"
    (f,) = findings_for("TC110", text, policy=policy)
    assert f.message == "Acme service key in 'svc.key'"
    assert findings_for("TC110", text) == []


def test_secret_never_printed() -> None:
    report = lint_text(f"databricks:\n  token: {DAPI}\n  other: 'x {GHP} y'\n", select=("TC110",))
    assert {DAPI, GHP} <= report.secrets  # the token itself is the hashed and scrubbed value
    assert_secret_hidden(report, DAPI)
    assert_secret_hidden(report, GHP)


def test_private_key_never_printed() -> None:
    body = "MIIEpAIBAAKCAQEAz9Qv3xkR7"
    text = f"key: |\n  -----BEGIN PRIVATE KEY-----\n  {body}\n  -----END PRIVATE KEY-----\n"
    report = lint_text(text, select=("TC110",))
    assert_secret_hidden(report, body)


def test_docs_example_and_use_instead() -> None:
    from trackcheck.lint.rules import RULES

    rule = next(r for r in RULES if r.code == "TC110")
    assert findings_for("TC110", rule.first_yaml_block("Example") or "")
    assert findings_for("TC110", rule.first_yaml_block("Use instead") or "") == []


# --- Python and shell sources (SPEC, "Secrets in code"; more in tests/lint/test_code_secrets.py)
CODE_FAIL = [
    (f'DATABRICKS_TOKEN = "{DAPI}"\n', "src/train.py", "DATABRICKS_TOKEN"),
    (f"# the old key: {GHP}\n", "src/train.py", ""),  # a comment is text too
    (f'def broken(:\n    key = "{AKIA}"\n', "src/train.py", ""),  # does not parse
    (f"export HF_TOKEN={HF}\n", "scripts/run.sh", "HF_TOKEN"),
]


@pytest.mark.parametrize(("text", "rel", "key"), CODE_FAIL)
def test_code_sources(text: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC110", text, rel)
    assert f.key == key and f.line and f.column
    assert DAPI not in f.message and HF not in f.message


def test_token_in_code_is_tc110_only() -> None:
    src = f'import os\nos.environ["DATABRICKS_TOKEN"] = "{DAPI}"\napi_key = "{OPENAI}"\n'
    assert codes(src, "src/train.py") == ["TC110", "TC110"]


# --- values read as OmegaConf joins them -----------------------------------------------------
_GH = "ghp_" + "Zq9xT4pL" * 4 + "aBcD"


@pytest.mark.parametrize(("text", "code"), [
    (f'a: "${{oc.env:A,a}}{_GH}"\n', "TC110"),  # a one-character default right before a token
    (f'a: "{_GH[:20]}${{oc.env:X,}}{_GH[20:]}"\n', "TC110"),  # split by an empty default
    (f"a: \"{_GH[:20]}${{oc.env:X,''}}{_GH[20:]}\"\n", "TC110"),
    (f"a: ${{oc.env:A,{_GH}}}\n", "TC104"),  # the default itself: TC104's, not again TC110
])
def test_env_lookups_are_joined_as_omegaconf_resolves_them(text: str, code: str) -> None:
    report = lint_text(text, "config/x.yaml")
    assert [(f.rule, f.key) for f in report.findings] == [(code, "a")]
    assert all(_GH[:20] not in f.message and _GH[20:] not in f.message for f in report.findings)


def test_a_lookup_without_default_does_not_join_a_token() -> None:
    # ${oc.env:X} resolves to whatever X holds: the halves around it are not one token
    assert codes(f'a: "{_GH[:20]}${{oc.env:X}}{_GH[20:]}"\n', "config/x.yaml") == []


def test_a_token_in_a_default_of_a_value_that_does_not_parse_is_found() -> None:
    # TC104 cannot read the defaults of a value OmegaConf rejects (TC002): TC110 reads it whole
    assert codes(f'a: "${{oc.env:A,{_GH}}} ${{"\n', "config/x.yaml") == ["TC002", "TC110"]
