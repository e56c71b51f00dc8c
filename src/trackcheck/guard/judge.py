"""The verdict on one write: the findings it would introduce (after minus before), and how the
policy applies each (enforce or observe). Pure: no mlflow, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.audit.rules import RULES as AUDIT_RULES
from trackcheck.findings import Severity
from trackcheck.guard.context import Write
from trackcheck.guard.rules import RULES as GUARD_RULES
from trackcheck.policy import Policy
from trackcheck.rule import Rule

# the live rules that judge one model's state (TC210 reads committed files; TC211/TC212 the
# ledger itself): the same code, the same message, the same policy as the audit
STATE_RULES: tuple[Rule, ...] = tuple(r for r in AUDIT_RULES if r.code <= "TC209")

# what to do, by rule, appended to a refusal so that the person at the client can act on it
HINTS: dict[str, str] = {
    "TC201": "take the conflicting alias off that version first",
    "TC202": "use an alias the policy allows (aliases.allowed)",
    "TC203": "use aliases, not stages: set the alias the stage stands for",
    "TC204": "wait until the version's registration is READY",
    "TC205": "promote a version whose source run finished and still exists",
    "TC206": "promote a version from a run that is not a debug run, in a promotable env",
    "TC207": "log the git commit and a dataset input with a digest on the source run",
    "TC208": "keep secrets out of tags and descriptions; name where they live instead",
    "TC209": "fix the source run's tags to match the run-tag policy",
    "TC301": "promote it through the earlier alias first",
    "TC302": "ask one of the users the policy names to make this change",
    "TC303": "move or delete the alias first",
}


@dataclass(frozen=True)
class Violation:
    code: str
    name: str
    message: str
    mode: str  # enforce | observe


@dataclass
class Verdict:
    violations: list[Violation] = field(default_factory=list)

    @property
    def enforced(self) -> list[Violation]:
        return [v for v in self.violations if v.mode == "enforce"]

    @property
    def allowed(self) -> bool:
        return not self.enforced

    @property
    def name(self) -> str:
        if not self.allowed:
            return "denied"
        return "observed" if self.violations else "allowed"

    @property
    def rules(self) -> str:
        return ",".join(dict.fromkeys(v.code for v in self.violations))

    def explain(self, what: str) -> str:
        """The refusal a client shows: the write, each enforced rule and what to do."""
        parts = [f"{v.code} {v.name}: {v.message}" + (f" ({HINTS[v.code]})" if v.code in HINTS
                                                       else "")
                 for v in self.enforced]
        return (f"trackcheck guard refused {what}: " + "; ".join(parts)
                + ". See 'trackcheck rules CODE'.")

    def summary(self) -> str:
        return "; ".join(f"{v.code} {v.message}" for v in self.violations)


def _identities(snap: RegistrySnapshot, ctx: AuditContext, names: set[str]
                ) -> dict[tuple[str, str, str, str], tuple[Rule, str]]:
    """Each live-rule finding of the model, keyed as its fingerprint is (rule, where, key,
    offending value: ``prod`` joining ``staging`` on a debug run is a new finding), with the
    model's name left out so that a rename does not make old findings new."""
    found: dict[tuple[str, str, str, str], tuple[Rule, str]] = {}
    for rule in STATE_RULES:
        if not ctx.policy.rule_enabled(rule.code):
            continue
        for hit in rule.check(snap, ctx):
            path = hit.path
            for name in names:
                if path == f"models:/{name}" or path.startswith(f"models:/{name}/"):
                    path = "models:/" + path[len(f"models:/{name}"):]
                    break
            found.setdefault((rule.code, path, hit.key, hit.value or ""), (rule, hit.message))
    return found


def judge(write: Write, policy: Policy) -> Verdict:
    ctx = AuditContext(policy)
    names = {write.change.model} | ({write.change.new_name} if write.change.new_name else set())
    before = _identities(write.before, ctx, names)
    after = _identities(write.after, ctx, names)
    new = [(rule, message) for key, (rule, message) in after.items() if key not in before]
    for rule in GUARD_RULES:
        if policy.rule_enabled(rule.code):
            new += [(rule, hit.message) for hit in rule.check(write, ctx)]
    verdict = Verdict()
    for rule, message in new:
        severity = policy.rule_severity(rule.code, rule.severity)
        mode = policy.guard.mode_of(rule.code) if severity is Severity.ERROR else "observe"
        verdict.violations.append(Violation(rule.code, rule.name, message, mode))
    return verdict
