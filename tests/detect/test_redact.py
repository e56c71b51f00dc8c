"""detect.redact: masked forms and the last-line scrub of rendered output."""

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.detect.redact import (
    MASK,
    _whole,
    mask,
    mask_uri_match,
    scrub,
    scrub_report,
    scrubber,
    word_like,
)
from trackcheck.detect.uris import credential_in_uri
from trackcheck.engine import Report
from trackcheck.findings import Finding, Severity

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


# --- masking values, not words -------------------------------------------------------------------
@pytest.mark.parametrize(("value", "word"), [
    ("secret", True), ("mlflow", True), ("yaml", True), ("password", True), ("MLflow", True),
    ("mlflow-db", True), ("mlflow_server", True), ("correct horse", True), ("pässwört", True),
    ("5000", True), ("123456", True), ("****", True),
    ("hunter2", False), ("S3cr3t", False), ("12345678", False), ("Hunter2-Zq9!xT4#pL", False),
    ("pässwörd-Ünïcode-42", False), (DAPI, False), ("mlflow2", False), ("p@ss", False),
    ("postgresql://u:S3cr3t-Pw@db/x", False),
])
def test_word_like(value: str, word: bool) -> None:
    assert word_like(value) is word


@pytest.mark.parametrize(("text", "secret"), [
    ("conf/db/mysql.yaml", "yaml"),
    ("services.mlflow.environment.POSTGRES_PASSWORD", "mlflow"),
    ("secret-like key 'db.password' holds a literal value", "secret"),
    ("secret-like key 'db.password' holds a literal value", "password"),
    ("3 error(s), 0 warning(s) in 12 files", "error"),
    ("listening on 5000", "5000"),
])
def test_scrub_leaves_a_word_like_secret_in_other_text(text: str, secret: str) -> None:
    assert scrub(text, [secret]) == text


@pytest.mark.parametrize(("text", "secret", "scrubbed"), [
    # 8 characters or more: masked wherever it sits, even inside other text
    ("tags.Hunter2-Zq9!xT4#pL", "Hunter2-Zq9!xT4#pL", f"tags.{MASK}"),
    ("x-Hunter2-Zq9!xT4#pLx", "Hunter2-Zq9!xT4#pL", f"x-{MASK}x"),
    ("data/12345678.csv", "12345678", f"data/{MASK}.csv"),
    # shorter: masked as a whole token, not as part of a longer name
    ("conf/db01.yaml and db012", "db01", f"conf/{MASK}.yaml and db012"),
    ("key S3cr3t, xS3cr3t", "S3cr3t", f"key {MASK}, xS3cr3t"),
    ("a p@ss b", "p@ss", f"a {MASK} b"),
])
def test_scrub_masks_a_secret_that_is_no_word(text: str, secret: str, scrubbed: str) -> None:
    assert scrub(text, [secret]) == scrubbed


@pytest.mark.parametrize("text", [
    f"conf/{DAPI}.yaml", f"tags.{DAPI}", "config/postgresql://u:S3cr3t-Pw@db/x.yaml",
])
def test_scrub_masks_a_token_shape_in_a_path_or_key_unrecorded(text: str) -> None:
    out = scrub(text, ["yaml", "conf"])  # word-like secrets recorded: they change nothing here
    assert DAPI not in out and "S3cr3t-Pw" not in out
    assert out.startswith(("conf/", "tags.", "config/"))


def _f(path: str, key: str, message: str, suppressed: str | None = None) -> Finding:
    return Finding("TC111", "secret-literal", Severity.ERROR, message, path, key, 2, 13, "0" * 32,
                   suppressed)


def test_scrub_report_masks_fields_as_values_not_words() -> None:
    report = Report(engine="lint", secrets={"yaml", "mlflow", "Hunter2-Zq9!xT4#pL", DAPI})
    report.findings = [
        _f("conf/db/yaml.yaml", "yaml.password", "secret-like key 'yaml.password' holds a literal"),
        _f(f"conf/{DAPI}.yaml", "tags.Hunter2-Zq9!xT4#pL", "unknown run tag"),
    ]
    report.suppressed = [_f("docker-compose.yaml", "services.mlflow.environment.PW", "m",
                            "inline: mlflow is a fixture, not Hunter2-Zq9!xT4#pL")]
    report.summary = {"files": 3, "skipped": ["conf/yaml.txt", f"{DAPI}.txt"]}
    out = scrub_report(report)
    assert out.findings[0] == report.findings[0]  # every field as it was
    assert (out.findings[1].path, out.findings[1].key) == ("conf/dapi************.yaml",
                                                           f"tags.{MASK}")
    assert out.suppressed[0].key == "services.mlflow.environment.PW"
    assert out.suppressed[0].suppressed == f"inline: mlflow is a fixture, not {MASK}"
    assert out.summary == {"files": 3, "skipped": ["conf/yaml.txt", "dapi************.txt"]}
    assert report.findings[1].path == f"conf/{DAPI}.yaml"  # the report itself is left alone


# --- many secrets: one search per text, the same masks as one search per secret ----------------
def _reference(text: str, secrets: list[str]) -> str:
    """The scrub as a search per secret per text (what a few secrets still get)."""
    for s in sorted({s for s in secrets if len(s) >= 4 and not word_like(s)}, key=len,
                    reverse=True):
        if s in text:
            shown = mask(s)
            text = _whole(s).sub(lambda _, m=shown: m, text) if len(s) < 8 \
                else text.replace(s, shown)
    return scrub(text, [])  # token shapes and URI passwords, as the scrub adds them


SECRET = st.text(st.sampled_from("ab1X-_:@/é\udcff"), min_size=4, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(SECRET, min_size=70, max_size=120, unique=True),
       st.lists(st.lists(st.integers(0, 200), max_size=6), min_size=1, max_size=20))
def test_many_secrets_are_masked_as_few_are(secrets: list[str], picks: list[list[int]]) -> None:
    # texts made of secrets, pieces of secrets and glue: overlaps, neighbours, lone surrogates
    pieces = secrets + [s[1:-1] for s in secrets] + [" ", "x", "-", "p/"]
    texts = ["".join(pieces[i % len(pieces)] for i in pick) for pick in picks]
    clean = scrubber(secrets)
    assert [clean(t) for t in texts] == [_reference(t, secrets) for t in texts]


def test_many_secrets_are_looked_up_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from trackcheck.detect import redact

    found: list[int] = []
    real = redact._present

    def counting(secrets: list[str]) -> Callable[[str], list[str]]:
        present = real(secrets)

        def run(text: str) -> list[str]:
            hits = present(text)
            found.append(len(hits))
            return hits
        return run

    monkeypatch.setattr(redact, "_present", counting)
    secrets = [f"Pw-{i}-x9Q" for i in range(5_000)]
    clean = scrubber(secrets)
    texts = [f"secret-like 'k{i}' holds Pw-{i}-x9Q here" for i in range(0, 5_000, 7)]
    assert [clean(t) for t in texts] == [t.replace(f"Pw-{i * 7}-x9Q", MASK)
                                         for i, t in enumerate(texts)]
    # each text was searched (and its masked form once more) for the one secret it holds, not
    # compared with all 5,000
    assert len(found) <= 2 * len(texts) and sum(found) == len(texts)
