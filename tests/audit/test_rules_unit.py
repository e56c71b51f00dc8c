"""TC201–TC212 on registry state built in memory: PASS/FAIL tables per rule, then conventions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trackcheck.audit.context import AuditContext, ConfigRef
from trackcheck.audit.fixture import config_refs_from_yaml, snapshot_from_yaml
from trackcheck.audit.rules import RULES
from trackcheck.engine import stamp
from trackcheck.findings import Finding
from trackcheck.policy import Policy, load_policy
from trackcheck.rule import Hit

BY_CODE = {r.code: r for r in RULES}
DEFAULT = load_policy("default")[0]

GOOD_TAGS = ("{project: churn, env: prod, model_name: xgb, data_name: churn-2024, debug: 'false', "
             "mlflow.source.git.commit: 9f2c1e0}")
GOOD_RUN = f"{{tags: {GOOD_TAGS}, datasets: [{{name: churn-2024, digest: 3f2a9c}}]}}"


def live(aliases: str = "{prod: 3}", version: str = "{run: r3}", run: str = GOOD_RUN,
         models: str = "") -> str:
    """One model whose version 3 carries ``aliases`` and comes from run r3."""
    return (f"models:\n  churn:\n    aliases: {aliases}\n    versions:\n      3: {version}\n"
            f"{models}runs:\n  r3: {run}\n")


def hits(code: str, text: str, policy: Policy = DEFAULT) -> list[Hit]:
    text = textwrap.dedent(text)
    ctx = AuditContext(policy, config_refs_from_yaml(text))
    return list(BY_CODE[code].check(snapshot_from_yaml(text), ctx))


def findings(code: str, text: str, policy: Policy = DEFAULT) -> list[Finding]:
    return [stamp(BY_CODE[code], h, policy) for h in hits(code, text, policy)]


def policy_with(tmp_path: Path, text: str) -> Policy:
    f = tmp_path / "policy.yaml"
    f.write_text(textwrap.dedent(text), "utf-8")
    return load_policy(f)[0]


TABLE: dict[str, tuple[list[str], list[str]]] = {
    "TC201": (
        ["models: {churn: {aliases: {prod: 3, archived: 3}}}",
         "models: {churn: {aliases: {staging: 2, archived: 2}}}",
         "models: {churn: {aliases: {dev: 1, archived: 1, prod: 4}}}"],
        ["models: {churn: {aliases: {prod: 3, archived: 2}}}",
         "models: {churn: {aliases: {prod: 3, staging: 3, dev: 3}}}",
         "models: {churn: {aliases: {Archived: 3, prod: 3}}}",  # case-sensitive: TC202's business
         "models: {churn: {}}"],
    ),
    "TC202": (
        ["models: {churn: {aliases: {champion: 3}}}",
         "models: {churn: {aliases: {Prod: 3}}}",
         "models: {churn: {aliases: {prod: 3, prod-old: 2}}}"],
        ["models: {churn: {aliases: {prod: 3, staging: 4, dev: 5, archived: 1}}}",
         "models: {churn: {versions: {1: {}}}}"],
    ),
    "TC203": (
        ["models: {churn: {versions: {1: {stage: Production}}}}",
         "models: {churn: {versions: {1: {stage: Staging}}}}",
         "models: {churn: {versions: {1: {stage: Archived}}}}"],
        ["models: {churn: {versions: {1: {stage: None}}}}",
         "models: {churn: {versions: {1: {}}}}",
         "models: {churn: {aliases: {prod: 1}}}"],
    ),
    "TC204": (
        [live(version="{run: r3, status: FAILED_REGISTRATION}"),
         live(version="{run: r3, status: PENDING_REGISTRATION}"),
         live(aliases="{staging: 3}", version="{run: r3, status: FAILED_REGISTRATION}")],
        [live(),
         live(aliases="{dev: 3}", version="{run: r3, status: FAILED_REGISTRATION}"),
         "models: {churn: {versions: {3: {status: FAILED_REGISTRATION}}}}"],
    ),
    "TC205": (
        [live(run="{status: FAILED}"),
         live(run="{status: KILLED}"),
         live(run="{status: RUNNING}"),
         live(run="{lifecycle_stage: deleted}"),
         live(version="{run: gone}"),  # wanted but not found: deleted for good
         live(version="{}")],  # registered without a run
        [live(),
         live(aliases="{dev: 3}", run="{status: FAILED}"),
         live(aliases="{archived: 3}", version="{}")],
    ),
    "TC206": (
        [live(run="{tags: {env: prod, debug: 'true'}}"),
         live(run="{tags: {env: prod, debug: 'True'}}"),
         live(run="{tags: {env: laptop, debug: 'false'}}")],
        [live(),
         live(run="{tags: {env: ci, debug: 'false'}}"),
         live(run="{tags: {debug: 'false'}}"),  # a missing env is TC209's
         live(aliases="{dev: 3}", run="{tags: {env: laptop, debug: 'true'}}")],
    ),
    "TC207": (
        [live(run="{tags: {env: prod}, datasets: [{name: d, digest: abc}]}"),
         live(run=f"{{tags: {GOOD_TAGS}}}"),
         live(run=f"{{tags: {GOOD_TAGS}, datasets: [{{name: d, digest: null}}]}}"),
         live(run="{tags: {git_sha: '', mlflow.source.git.commit: ''},"
                  " datasets: [{name: d, digest: abc}]}")],
        [live(),
         live(run="{tags: {git_sha: 9f2c1e0}, datasets: [{name: d, digest: abc}]}"),
         live(aliases="{dev: 3}", run="{tags: {}}"),
         live(version="{run: gone}")],  # TC205 reports the missing run
    ),
    "TC208": (
        [live(run="{params: {db.password: hunter2-longer}}"),
         live(run="{params: {tracking_uri: 'postgresql://ml:s3cr3t@db:5432/ml'}}"),
         live(run="{tags: {note: 'token dapi0123456789abcdef0123456789abcdef'}}"),
         "models: {churn: {description: 'use hf_abcdefghijklmnopqrstuvwxyz012345 to load'}}",
         "models: {churn: {tags: {MLFLOW_TRACKING_TOKEN: abcdef123456}}}",
         "models: {churn: {versions: {1: {tags: {api_key: abcdef123456}}}}}",
         "models: {churn: {versions: {1: {description: 'ghp_" + "a" * 36 + "'}}}}"],
        [live(),
         live(run="{params: {max_tokens: '512', db.password: '${oc.env:DB_PASSWORD}'}}"),
         live(run="{params: {db.password: None, api_key: '', token: '****'}}"),
         live(run="{params: {tracking_uri: 'http://mlflow:5000'}}"),
         # runs of versions without an alias are not read
         "models: {churn: {versions: {1: {run: r1}}}}\nruns: {r1: {params: {password: hunter22}}}"],
    ),
    "TC209": (
        [live(run="{tags: {project: churn, env: prod, model_name: x, data_name: d, debug: 'no'}}"),
         live(run="{tags: {project: churn, env: Prod, model_name: x, data_name: d, debug: no}}"),
         live(run="{tags: {project: churn, env: prod, model_name: x, debug: 'false'}}"),
         live(run=f"{{tags: {GOOD_TAGS[:-1]}, owner: bob}}}}"),
         live(aliases="{dev: 3}", run="{tags: {}}")],
        [live(),
         live(run=f"{{tags: {GOOD_TAGS[:-1]}, mlflow.runName: x, mlflow.user: bob}}}}"),
         live(run=f"{{tags: {GOOD_TAGS[:-1]}, lifecycle_intent: staging}}}}"),
         "models: {churn: {versions: {3: {run: r3}}}}\nruns: {r3: {tags: {}}}"],
    ),
    "TC210": (
        ["models: {churn: {aliases: {prod: 3}}}\nreferences: {serve.uri: 'models:/churn@champion'}",
         "models: {churn: {aliases: {prod: 3}}}\nreferences: {serve.uri: 'models:/churn@Prod'}",
         "models: {churn: {aliases: {prod: 3}}}\nreferences: {serve.uri: 'models:/fraud@prod'}",
         "models: {churn: {aliases: {prod: 3, archived: 3}}}\n"
         "references: {serve.uri: 'models:/churn@prod'}",
         "models: {churn: {aliases: {prod: 3}, versions: {3: {stage: Archived}}}}\n"
         "references: {serve.uri: 'models:/churn@prod'}"],
        ["models: {churn: {aliases: {prod: 3, archived: 2}}}\n"
         "references: {serve.uri: 'models:/churn@prod'}",
         "models: {churn: {aliases: {prod: 3}}}\nreferences: {serve.uri: 'models:/churn'}",
         "models: {churn: {aliases: {prod: 3}}}"],
    ),
    "TC211": (
        ["models: {churn: {aliases: {prod: 3}}}\nledger:\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3, verdict: observed}",
         # staging came after prod: not the path
         "models: {churn: {aliases: {prod: 3, staging: 3}}}\nledger:\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3}\n"
         "  - {model: churn, action: set_alias, alias: staging, to_version: 3}",
         # staging on another version does not count
         "models: {churn: {aliases: {prod: 3}}}\nledger:\n"
         "  - {model: churn, action: set_alias, alias: staging, to_version: 2}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3}"],
        ["models: {churn: {aliases: {prod: 3}}}",  # no guard: no ledger
         "models: {churn: {aliases: {prod: 3}}}\nledger: []",
         # there when the guard started: not judged
         "models: {churn: {aliases: {prod: 3}}}\nledger:\n"
         "  - {model: churn, action: adopt, alias: prod, to_version: 3}",
         "models: {churn: {aliases: {prod: 3}}}\nledger:\n"
         "  - {model: churn, action: adopt, alias: staging, to_version: 3}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3}",
         # a refused write placed nothing
         "models: {churn: {aliases: {prod: 3}}}\nledger:\n"
         "  - {model: churn, action: adopt, alias: prod, to_version: 3}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3, verdict: denied,"
         " outcome: refused}"],
    ),
    "TC212": (
        ["models: {churn: {aliases: {prod: 4}}}\nledger:\n  - {model: '*', action: adopt}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}",
         # set while the guard was away, on a model it never saw
         "models: {churn: {aliases: {prod: 4}}}\nledger:\n  - {model: '*', action: adopt}",
         # deleted while away
         "models: {churn: {}}\nledger:\n  - {model: '*', action: adopt}\n"
         "  - {model: churn, action: adopt, alias: prod, to_version: 3, after: {prod: 3}}"],
        ["models: {churn: {aliases: {prod: 4}}}",
         "models: {churn: {aliases: {prod: 4}}}\nledger:\n  - {model: '*', action: adopt}\n"
         "  - {model: churn, action: adopt, alias: prod, to_version: 4, after: {prod: 4}}",
         # a refused write changed nothing
         "models: {churn: {aliases: {prod: 3}}}\nledger:\n  - {model: '*', action: adopt}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 5, outcome: refused}",
         # renamed through the guard: the history follows the name
         "models: {fraud: {aliases: {prod: 3}}}\nledger:\n  - {model: '*', action: adopt}\n"
         "  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}\n"
         "  - {model: churn, action: rename_model, new_name: fraud, after: {prod: 3}}",
         # a ledger that never adopted: nothing to compare with
         "models: {churn: {aliases: {prod: 4}}}\nledger: []"],
    ),
}


def test_table_covers_every_live_rule() -> None:
    assert sorted(TABLE) == sorted(BY_CODE) == [f"TC2{i:02d}" for i in range(1, 13)]


@pytest.mark.parametrize(("code", "text"), [(c, t) for c, (fail, _) in TABLE.items() for t in fail])
def test_flags(code: str, text: str) -> None:
    found = findings(code, text)
    assert found, text
    for f in found:
        assert f.rule == code and f.message and f.fingerprint
        if code != "TC210":
            assert f.path.startswith("models:/churn") and f.line is None and f.column is None


@pytest.mark.parametrize(("code", "text"), [(c, t) for c, (_, ok) in TABLE.items() for t in ok])
def test_passes(code: str, text: str) -> None:
    assert hits(code, text) == []


# --- what each finding says and where ---------------------------------------------------
def test_tc201_one_finding_per_pair_with_the_pair_as_value() -> None:
    found = hits("TC201", "models: {churn: {aliases: {dev: 1, archived: 1, prod: 1}}}")
    assert [(h.path, h.key, h.value) for h in found] == [
        ("models:/churn/1", "aliases", "archived,dev"),
        ("models:/churn/1", "aliases", "archived,prod")]
    assert "'archived' and 'prod'" in found[1].message


def test_tc201_groups_of_three_forbid_each_pair(tmp_path: Path) -> None:
    policy = policy_with(tmp_path, "aliases:\n  exclusive: [[prod, staging, canary]]\n"
                                   "  allowed: [prod, staging, canary]\n")
    found = hits("TC201", "models: {m: {aliases: {staging: 1, canary: 1}}}", policy)
    assert [h.value for h in found] == ["canary,staging"]
    assert hits("TC201", "models: {m: {aliases: {archived: 1, prod: 1}}}", policy) == []


def test_tc202_hints_at_case_and_is_model_level() -> None:
    (h,) = hits("TC202", "models: {churn: {aliases: {Prod: 3}}}")
    assert (h.path, h.key, h.value) == ("models:/churn", "aliases", "Prod")
    assert "did you mean 'prod'" in h.message


def test_tc202_fingerprint_survives_the_alias_moving() -> None:
    a = findings("TC202", "models: {churn: {aliases: {champion: 3}}}")
    b = findings("TC202", "models: {churn: {aliases: {champion: 4}}}")
    assert a[0].fingerprint == b[0].fingerprint


def test_tc202_case_insensitive_policy(tmp_path: Path) -> None:
    policy = policy_with(tmp_path, "aliases:\n  case_sensitive: false\n")
    assert hits("TC202", "models: {churn: {aliases: {Prod: 3}}}", policy) == []


def test_aliased_versions_carry_the_aliases_of_interest_and_the_run() -> None:
    snap = snapshot_from_yaml(live(aliases="{prod: 3, staging: 3, dev: 2, archived: 1}"))
    ctx = AuditContext(DEFAULT)
    assert [(v.version, a, r and r.run_id) for v, a, r in ctx.aliased_versions(snap)] == [
        (3, ("prod", "staging"), "r3")]
    every = ctx.aliased_versions(snap, lambda v: v.aliases)
    assert [(v.version, a, r and r.run_id) for v, a, r in every] == [
        (1, ("archived",), None), (2, ("dev",), None), (3, ("prod", "staging"), "r3")]


def test_tc203_names_the_alias_to_use() -> None:
    (h,) = hits("TC203", "models: {churn: {versions: {7: {stage: Production}}}}")
    assert (h.path, h.key, h.value) == ("models:/churn/7", "stage", "Production")
    assert "'prod' alias" in h.message


def test_tc204_value_is_aliases_and_status() -> None:
    (h,) = hits("TC204", live(aliases="{prod: 3, staging: 3}",
                              version="{run: r3, status: PENDING_REGISTRATION}"))
    assert (h.key, h.value) == ("status", "prod,staging:PENDING_REGISTRATION")


@pytest.mark.parametrize(("run", "version", "key", "value"), [
    ("{status: FAILED}", "{run: r3}", "run.status", "FAILED"),
    ("{lifecycle_stage: deleted, status: FAILED}", "{run: r3}", "run.lifecycle_stage", "deleted"),
    (GOOD_RUN, "{run: gone}", "run_id", "gone"),
    (GOOD_RUN, "{}", "run_id", "none"),
])
def test_tc205_keys(run: str, version: str, key: str, value: str) -> None:
    (h,) = hits("TC205", live(version=version, run=run))
    assert (h.key, h.value) == (key, value)


def test_tc205_a_run_that_was_not_looked_up_is_not_judged() -> None:
    snap = snapshot_from_yaml(live(version="{run: gone}"))
    snap.wanted_runs.clear()
    assert list(BY_CODE["TC205"].check(snap, AuditContext(DEFAULT))) == []


def test_tc206_promotable_envs_setting(tmp_path: Path) -> None:
    policy = policy_with(tmp_path, "promotable_envs: [ci, prod]\n")
    text = live(run="{tags: {env: dev, debug: 'false'}}")
    assert hits("TC206", text) == []  # null: any allowed env
    (h,) = hits("TC206", text, policy)
    assert (h.key, h.value) == ("run.tags.env", "dev") and "not promotable" in h.message


def test_tc207_settings(tmp_path: Path) -> None:
    text = live(run="{tags: {build_sha: abc}}")
    assert [h.key for h in hits("TC207", text)] == ["run.tags", "run.inputs"]
    policy = policy_with(tmp_path, "lineage:\n  git_commit_tags: [build_sha]\n"
                                   "  require_dataset_digest: false\n")
    assert hits("TC207", text, policy) == []


def test_tc208_never_puts_the_value_in_the_message() -> None:
    text = live(run="{params: {db.password: hunter2-longer, uri: 'postgresql://ml:s3cr3t@db/ml'}}")
    found = hits("TC208", text)
    assert {h.key for h in found} == {"run.params.db.password", "run.params.uri"}
    for h in found:
        assert h.secret and h.value and h.value not in h.message
        assert "hunter2" not in h.message and "s3cr3t" not in h.message


def test_tc208_reports_a_shared_run_once_on_its_first_aliased_version() -> None:
    text = """\
        models:
          fraud: {aliases: {prod: 1}, versions: {1: {run: r3}, 2: {run: r3}}}
          churn:
            aliases: {staging: 4, prod: 3}
            versions: {4: {run: r3, tags: {api_key: abcdef123456}}, 3: {run: r3}, 2: {run: r2}}
        runs:
          r3: {params: {db.password: hunter2-longer}, tags: {note: 'postgresql://u:s3cr3t@db/x'}}
          r2: {params: {db.password: hunter2-longer}}
        """
    found = [(h.path, h.key) for h in hits("TC208", text)]
    assert sorted(found) == [("models:/churn/3", "run.params.db.password"),
                             ("models:/churn/3", "run.tags.note"),
                             ("models:/churn/4", "tags.api_key")]  # the version's own tags
    for h in hits("TC208", text):
        if h.key.startswith("run."):
            assert h.message.endswith("of version 3 of 'churn' (run r3, shared with version 4 of "
                                      "'churn', version 1 of 'fraud')")
        else:
            assert h.message.endswith("of version 4 of 'churn'")
    alone = text.replace("staging: 4, prod: 3", "prod: 3").replace("{prod: 1}", "{}")
    found = {(h.path, h.key): h.message for h in hits("TC208", alone)}
    assert ("models:/churn/4", "tags.api_key") in found
    assert {k for k in found if k[1].startswith("run.")} == {
        ("models:/churn/3", "run.params.db.password"), ("models:/churn/3", "run.tags.note")}
    assert found["models:/churn/3", "run.tags.note"].endswith("of version 3 of 'churn'")


def test_tc208_value_is_the_secret_so_a_rotated_secret_is_a_new_finding() -> None:
    a = findings("TC208", "models: {churn: {tags: {api_key: abcdef123456}}}")
    b = findings("TC208", "models: {churn: {tags: {api_key: abcdef123456}}}")
    c = findings("TC208", "models: {churn: {tags: {api_key: zyxwvu987654}}}")
    assert a[0].fingerprint == b[0].fingerprint != c[0].fingerprint
    assert (a[0].path, a[0].key) == ("models:/churn", "tags.api_key")


def test_tc208_uses_the_policy_token_patterns(tmp_path: Path) -> None:
    text = "models: {churn: {description: 'key acme_0123456789abcdefghij'}}"
    assert hits("TC208", text) == []
    policy = policy_with(tmp_path,
                         "token_patterns:\n  - {name: ACME key, regex: 'acme_[a-z0-9]{20}'}\n")
    (h,) = hits("TC208", text, policy)
    assert h.message.startswith("ACME key") and h.value == "acme_0123456789abcdefghij"


def test_tc209_one_finding_per_problem() -> None:
    text = live(run="{tags: {project: churn, env: Prod, model_name: x, debug: no, owner: bob}}")
    found = {h.key: h.value for h in hits("TC209", text)}
    assert found == {"run.tags.env": "Prod", "run.tags.owner": "unknown",
                     "run.tags.data_name": "missing"}


def test_tc209_masks_a_secret_tag_value() -> None:
    token = "dapi0123456789abcdef0123456789abcdef"
    (h,) = hits("TC209", live(run=f"{{tags: {GOOD_TAGS[:-1]}, env: '{token}'}}}}"))
    assert h.secret and h.value == token and token not in h.message


def test_tc210_points_at_the_reference() -> None:
    ref = ConfigRef(path="config/serve/prod.yaml", line=4, column=14, key="serve.model_uri",
                    name="churn", alias="champion")
    snap = snapshot_from_yaml("models: {churn: {aliases: {prod: 3}}}")
    (h,) = BY_CODE["TC210"].check(snap, AuditContext(DEFAULT, [ref]))
    assert (h.path, h.line, h.column, h.key) == ("config/serve/prod.yaml", 4, 14, "serve.model_uri")
    assert "champion" in h.message


def test_tc210_a_changed_situation_is_a_new_finding() -> None:
    ref = "references: {serve.uri: 'models:/churn@prod'}"
    archived = findings("TC210", f"models: {{churn: {{aliases: {{prod: 3, archived: 3}}}}}}\n{ref}")
    missing = findings("TC210", f"models: {{other: {{}}}}\n{ref}")
    assert archived[0].fingerprint != missing[0].fingerprint


def test_tc210_retired_aliases_setting(tmp_path: Path) -> None:
    text = ("models: {churn: {aliases: {prod: 3, retired: 3}, versions: {3: {stage: Archived}}}}\n"
            "references: {serve.uri: 'models:/churn@prod'}")
    assert hits("TC210", text.replace("stage: Archived", "stage: None")) == []  # default: archived
    (h,) = hits("TC210", text)
    assert "stage 'Archived'" in h.message
    policy = policy_with(tmp_path, "aliases:\n  retired: [retired]\n"
                                   "  allowed: [prod, retired]\n  stage_to_alias: {}\n")
    (h,) = hits("TC210", text, policy)
    assert "carries 'retired'" in h.message


# --- the context ----------------------------------------------------------------------
def test_context_reads_the_policy() -> None:
    ctx = AuditContext(DEFAULT)
    assert ctx.live_aliases == {"prod", "staging"}
    assert ctx.exclusive_pairs == (
        ("archived", "dev"), ("archived", "prod"), ("archived", "staging"))
    assert ctx.promotable_envs == {"local", "dev", "ci", "staging", "prod"}
    assert ctx.config_refs == ()


@pytest.mark.parametrize(("name", "value", "what"), [
    ("password", "hunter2", "literal value under a secret-like name"),
    ("note", "postgresql://u:pw1234@db/x", "credential URI"),
    ("note", "AKIAABCDEFGHIJKLMNOP", "AWS access key id"),
    (None, "plain prose with a password word", None),
    ("password", "${oc.env:PW}", None),
    ("password", "None", None),
    ("password", "$DB_PASSWORD", None),
    ("password", "<your-password>", None),
    ("password_path", "/run/secrets/db", None),
    ("auth_token", "true", None),
    ("max_tokens", "4096", None),
])
def test_secret_in_uses_the_shared_classifiers(name: str | None, value: str,
                                               what: str | None) -> None:
    found = AuditContext(DEFAULT).secret_in(name, value)
    assert (found[0] if found else None) == what
