"""The ``trackcheck`` command line.

Exit codes (SPEC):
  0  no finding at or above ``--fail-on``
  1  findings
  2  usage error, invalid policy or baseline file, or nothing to audit
  3  could not run or could not finish (registry unreachable, unauthorized, timed out,
     extra not installed); a partial audit never exits 0

A Python traceback is a bug: exceptions become exit codes only here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from trackcheck import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
FORMATS = ("text", "json", "sarif", "github", "junit", "html")


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _codes(value: str) -> list[str]:
    from trackcheck.codes import unknown_code

    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for c in codes:
        why = unknown_code(c, prefix=True)
        if why:
            raise argparse.ArgumentTypeError(why)
    return codes


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", metavar="FILE", help="policy file (default: discovered)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: text; github under GITHUB_ACTIONS)",
    )
    # long-only: `lint -o` gives a Hydra override (`--compose CONFIG -o OVERRIDE`)
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument(
        "--select", type=_codes, action="extend", metavar="CODES", help="only these codes/prefixes"
    )
    p.add_argument(
        "--ignore", type=_codes, action="extend", metavar="CODES", help="skip these codes/prefixes"
    )
    p.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        default="error",
        help="lowest severity that fails the run (default: error)",
    )
    p.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    p.add_argument(
        "--write-baseline", metavar="FILE", help="record current findings in FILE and exit 0"
    )
    p.add_argument(
        "--show-suppressed",
        action="store_true",
        help="also list findings hidden by inline suppressions or the baseline",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also say (on stderr) what was searched, the config roots and how each "
                   "was found, and each file linted with its kind")


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width: argparse makes one for every
    argument added and would import ``shutil`` to ask it (with bz2 and lzma: ~5 ms of every
    start-up). The width is read as ``shutil.get_terminal_size`` reads it."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _columns() - 2)


def _columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trackcheck",
        description=(
            "Lint Hydra/OmegaConf configs and audit the MLflow Model Registry against one policy."
        ),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"trackcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=partial(
        argparse.ArgumentParser, formatter_class=_Formatter))
    sub.required = True

    lint = sub.add_parser("lint", help="lint config files and directories (offline)")
    lint.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and directories (default: the repository: the files git lists, or outside "
        "git a walk that honours .gitignore)",
    )
    lint.add_argument(
        "--compose",
        action="append",
        metavar="CONFIG",
        help="also compose this Hydra entrypoint (a primary config, or the policy's "
        "entrypoints named so; globs work) and check the composed config "
        "(needs the hydra extra); repeatable",
    )
    lint.add_argument(
        "-o",
        "--override",
        action="append",
        metavar="OVERRIDE",
        default=[],
        help="a Hydra override for --compose (e.g. -o model=mlp -o +experiment=foo): "
        "one override set instead of the entrypoint's sets and sweeps",
    )
    lint.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes to Hydra config, then report what remains",
    )
    lint.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, also apply fixes that may change what a config means",
    )
    lint.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff and write nothing (exit 1 if any)",
    )
    _common(lint)

    audit = sub.add_parser("audit", help="audit the live MLflow Model Registry (read-only)")
    audit.add_argument(
        "--registry",
        action="store_true",
        required=True,
        help="audit the registry named by MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI",
    )
    audit.add_argument(
        "--tracking-uri", metavar="URI", help="registry to audit (for local debugging)"
    )
    audit.add_argument(
        "--config",
        metavar="PATH",
        action="append",
        help="also cross-check committed models:/ references in PATH (TC210)",
    )
    audit.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="bound on each request, to its last byte, retries included (default: 10)",
    )
    audit.add_argument(
        "--deadline",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="bound on the whole audit (default: 600)",
    )
    audit.add_argument("--snapshot", metavar="FILE",
                       help="also write the audited state (models, versions, aliases, findings' "
                       "fingerprints; no values) to FILE, for `trackcheck diff`")
    _common(audit)

    diff = sub.add_parser("diff", help="what changed between two registry snapshots, or a "
                          "snapshot and the live registry")
    diff.add_argument("old", metavar="OLD", help="a snapshot (audit --registry --snapshot FILE)")
    diff.add_argument("new", nargs="?", metavar="NEW", help="a later snapshot (or --live)")
    diff.add_argument("--live", action="store_true",
                      help="compare OLD with the live registry, audited now (read-only)")
    diff.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    diff.add_argument("--output", metavar="FILE", help="write the diff to FILE")
    diff.add_argument("--fail-on-new", action="store_true",
                      help="exit 1 when NEW has findings OLD did not")
    diff.add_argument("--select", type=_codes, action="extend", metavar="CODES",
                      help="compare only findings of these codes/prefixes")
    diff.add_argument("--ignore", type=_codes, action="extend", metavar="CODES",
                      help="leave findings of these codes/prefixes out")
    diff.add_argument("--policy", metavar="FILE", help="policy of the --live audit")
    diff.add_argument("--tracking-uri", metavar="URI", help="registry for --live (local debugging)")
    diff.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                      help="--live: bound on each request chain (default: 10)")

    rules = sub.add_parser("rules", help="list rules, or print one rule's documentation")
    rules.add_argument("code", nargs="?", metavar="CODE")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    hist = sub.add_parser("history", help="the alias ledger the guard keeps, read through the "
                          "tracking server")
    hist.add_argument("model", nargs="?", metavar="MODEL", help="only this registered model")
    hist.add_argument("--alias", metavar="ALIAS", help="only writes of this alias")
    hist.add_argument("--since", metavar="WHEN", type=_since,
                      help="only entries since an ISO date/time (UTC unless it says) or an age "
                           "like 7d, 12h, 30m")
    hist.add_argument("--tracking-uri", metavar="URI", help="server to read (for local debugging)")
    hist.add_argument("--format", choices=("text", "json"), default="text")
    hist.add_argument("--output", metavar="FILE", help="write the history to FILE")
    hist.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                      help="bound on each request (default: 10)")

    cp = sub.add_parser("check-policy", help="validate policy files")
    cp.add_argument(
        "files", nargs="*", metavar="FILE", help="policy files (default: the discovered one)"
    )
    return parser


def _since(value: str) -> float:
    """``--since``: an ISO-8601 date or time (UTC unless it names a zone) or an age (``7d``)."""
    import re
    import time
    from datetime import datetime, timezone

    m = re.fullmatch(r"\s*(\d{1,6})\s*([dhm])\s*", value)
    if m:
        return time.time() - int(m.group(1)) * {"d": 86400, "h": 3600, "m": 60}[m.group(2)]
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is neither an ISO date/time "
                                         "(2026-11-30, 2026-11-30T08:00) nor an age (7d, 12h, "
                                         "30m)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _fmt(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _emit(text: str, output: str | None) -> None:
    """Write the report. A file name that is not UTF-8 reaches the text as lone surrogates
    (``os.fsdecode``): written back as ``\udcff`` escapes, never a crash."""
    if output:
        try:
            if os.path.lexists(output) and not os.path.isfile(output):
                raise CliError(f"{_masked(output)}: not a regular file (a FIFO, a device or a "
                               "folder): will not write a report there", EXIT_USAGE)
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(text, "utf-8", errors="backslashreplace")
        except OSError as e:
            raise CliError(
                f"{output}: cannot write report ({e.strerror or type(e).__name__})", EXIT_USAGE
            ) from None
    elif sys.stdout is None:  # started with stdout closed
        raise CliError("cannot write report (standard output is closed)", EXIT_FAILED)
    else:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as e:  # a full disk, a closed descriptor: the run could not finish
            why = e.strerror or type(e).__name__
            raise CliError(f"cannot write report to standard output ({why})", EXIT_FAILED) from None


def _scrubbed(report):  # type: ignore[no-untyped-def]
    """The report with secrets masked as values, not words (``detect.redact.scrub_report``)."""
    from trackcheck.detect.redact import scrub_report

    return scrub_report(report)


def _masked(text: str, secrets: Iterable[str] = ()) -> str:
    """A message with anything secret-shaped masked: errors quote paths, URIs and overrides."""
    from trackcheck.detect.redact import scrub

    return scrub(text, secrets)


def _say(message: str, secrets: Iterable[str] = ()) -> None:
    print(f"trackcheck: {_masked(message, secrets)}", file=sys.stderr)


def _load_policy(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from trackcheck.policy import PolicyError, load_policy

    try:
        return load_policy(args.policy)[0]
    except PolicyError as e:
        raise CliError(str(e), EXIT_USAGE) from None


def _finish(report, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    """Baseline, render, scrub, exit code: the same for both engines."""
    from trackcheck.findings import Severity
    from trackcheck.reporters import NEEDS_RULES, NEEDS_STATE, REPORTERS

    if args.write_baseline:
        from trackcheck import baseline

        try:
            n = baseline.write(Path(args.write_baseline), report)
        except baseline.BaselineError as e:
            raise CliError(str(e), EXIT_USAGE) from None
        print(
            f"trackcheck: wrote {n} finding(s) to baseline {args.write_baseline}", file=sys.stderr
        )
        return EXIT_OK
    if args.baseline:
        from trackcheck import baseline

        try:
            baseline.apply(report, baseline.load(Path(args.baseline)))
        except baseline.BaselineError as e:
            raise CliError(str(e), EXIT_USAGE) from None
    fmt = _fmt(args)
    # only a format that prints rule docs loads them, and only those of the engines it shows
    rules = _all_rules({f.rule for f in (*report.findings, *report.suppressed)}) \
        if fmt in NEEDS_RULES else {}
    shown = report if fmt in NEEDS_STATE else replace(report, registry=None)
    text = REPORTERS[fmt](_scrubbed(shown), rules, args.show_suppressed)
    if args.quiet and fmt in ("text", "github"):
        text = "".join(line + "\n" for line in text.splitlines()[:-1])
    _emit(text, args.output)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if report.failing(Severity(args.fail_on)) else EXIT_OK


def _all_rules(codes: Iterable[str] | None = None):  # type: ignore[no-untyped-def]
    """Every rule by code; given ``codes``, the audit's rules are imported only when one of
    them is not a lint rule (a lint run never loads ``trackcheck.audit``)."""
    from trackcheck.lint.rules import RULES as LINT

    rules = {r.code: r for r in LINT}
    if codes is None or not set(codes) <= rules.keys():
        from trackcheck.audit.rules import RULES as AUDIT
        from trackcheck.guard.rules import RULES as GUARD

        rules.update((r.code, r) for r in (*AUDIT, *GUARD))
    return rules


def _selection(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from trackcheck.engine import Selection

    return Selection(select=args.select or ("TC",), ignore=args.ignore or ())


def _compose_plan(args: argparse.Namespace, policy):  # type: ignore[no-untyped-def]
    """The Hydra entrypoints ``--compose``/``-o`` ask for (None without ``--compose``); a request
    that cannot run (Hydra not installed, unknown config, bad override) is a usage error."""
    if not args.compose and not args.override:
        return None
    from trackcheck.lint.compose import ComposeError, plan

    try:
        return plan(policy, args.compose or [], args.override)
    except ComposeError as e:
        raise CliError(str(e), EXIT_USAGE) from None


def cmd_lint(args: argparse.Namespace) -> int:
    from trackcheck.lint.discover import UsageError, discover
    from trackcheck.lint.runner import lint

    try:
        found = discover(list(args.paths), _load_policy(args), Path.cwd())
    except UsageError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    policy = found.policy  # with the config roots discovery found
    if args.verbose:
        _describe(found)
    if not found.targets and not found.only_files:
        raise CliError(_nothing_linted(found), EXIT_USAGE)
    compose = _compose_plan(args, policy)
    report = lint(found.targets, policy, _selection(args), compose)
    if found.skipped:
        report.summary["skipped"] = found.skipped
    if args.fix or args.diff:
        return _lint_fix(args, policy, found.targets, report)
    return _finish(report, args)


def _describe(found) -> None:  # type: ignore[no-untyped-def]
    """``-v``: the config roots and how each was found, then each linted file and its kind."""
    from trackcheck.lint.discover import KIND_NAMES

    err = sys.stderr
    for where in found.searched:
        print(f"trackcheck: searched {where}", file=err)
    if found.roots:
        for r in found.roots:
            print(f"trackcheck: config root {r.path}/ ({r.how})", file=err)
    else:
        print("trackcheck: no Hydra config root (policy config_roots, Hydra entry points in "
              "code, config/, configs/, conf/, defaults lists): YAML is read as plain YAML",
              file=err)
    for t in found.targets:
        print(f"  {_masked(t.rel)}  [{KIND_NAMES.get(t.kind, t.kind)}]", file=err)
    print(f"trackcheck: {len(found.targets)} file(s) to lint", file=err)


def _nothing_linted(found) -> str:  # type: ignore[no-untyped-def]
    where = "; ".join(found.searched) or "the paths given"
    return (f"nothing to lint: searched {where} ({found.listed} file(s)); none is YAML, a "
            "secret-bearing file (.env, .databrickscfg, .netrc, keys), Python, a shell script, "
            "a Makefile or a Dockerfile. Name files or directories to lint, or see -v")


def _lint_fix(args: argparse.Namespace, policy, targets, report) -> int:  # type: ignore[no-untyped-def]
    """``--fix`` / ``--diff``: fix the reported findings, lint again, report what remains."""
    from trackcheck import baseline
    from trackcheck.lint import fix

    if not fix.available():
        raise CliError("fixes need ruamel.yaml: pip install 'ruamel.yaml>=0.18'", EXIT_FAILED)
    if args.diff and args.write_baseline:
        raise CliError(
            "--diff writes nothing: it cannot be combined with --write-baseline", EXIT_USAGE
        )
    if args.baseline:  # baselined findings are accepted as they are: not fixed
        try:
            baseline.apply(report, baseline.load(Path(args.baseline)))
        except baseline.BaselineError as e:
            raise CliError(str(e), EXIT_USAGE) from None
    result = fix.plan(targets, report, policy, unsafe=args.unsafe_fixes)
    if not args.quiet:
        for note in result.notes():
            _say(note, report.secrets)
    for note in result.rotation_notes(applied=not args.diff):
        _say(note, report.secrets)
    fixed, files = len(result.outcomes("fixed")), len(result.changed)
    more = len(result.outcomes("unsafe"))
    hint = f"; {more} more fixable with --unsafe-fixes" if more else ""
    if args.diff:
        _emit(result.diff(), args.output)
        if not args.quiet:
            print(
                f"trackcheck: would fix {fixed} finding(s) in {files} file(s){hint}",
                file=sys.stderr,
            )
        return EXIT_FINDINGS if result.changed and not args.exit_zero else EXIT_OK
    errors = result.write()
    for err in errors:
        _say(err, report.secrets)
    if not args.quiet:
        print(
            f"trackcheck: fixed {fixed} finding(s) in {files - len(errors)} file(s){hint}",
            file=sys.stderr,
        )
    if not result.changed and not args.baseline:  # nothing changed: the report stands
        return _finish(report, args)
    args.fix = False  # what remains: the whole lint again, on the fixed files
    return cmd_lint(args)


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        from trackcheck.audit.runner import AuditError, audit
    except ImportError as e:  # pragma: no cover - the audit engine ships with the package
        raise CliError(f"the audit engine is not available ({e})", EXIT_FAILED) from None
    policy = _load_policy(args)
    try:
        report = audit(args, policy, _selection(args))
    except AuditError as e:
        raise CliError(str(e), e.exit_code) from None
    if args.snapshot:  # the registry's state: every finding, before any baseline hides one
        from trackcheck import snapshot

        try:
            snap = snapshot.write(Path(args.snapshot), _scrubbed(report))
        except snapshot.SnapshotError as e:
            raise CliError(str(e), EXIT_USAGE) from None
        if not args.quiet:
            n = sum(len(m.versions) for m in snap.models)
            _say(f"wrote snapshot {args.snapshot} ({len(snap.models)} model(s), {n} version(s), "
                 f"{len(snap.findings)} finding(s))")
    return _finish(report, args)


def cmd_diff(args: argparse.Namespace) -> int:
    """``trackcheck diff OLD NEW`` / ``diff OLD --live``: exit 1 with ``--fail-on-new`` when NEW
    has findings OLD did not, 2 for a bad snapshot or usage, 3 when the live audit fails."""
    from trackcheck import diff, snapshot

    if (args.new is None) is not args.live:
        raise CliError("diff needs OLD and NEW snapshots, or OLD and --live", EXIT_USAGE)
    try:
        old = snapshot.load(Path(args.old))
        new = snapshot.load(Path(args.new)) if args.new else None
    except snapshot.SnapshotError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    if new is None:
        from trackcheck.audit.runner import AuditError, audit

        args.config = None
        try:
            report = audit(args, _load_policy(args), _selection(args))
        except AuditError as e:
            raise CliError(str(e), e.exit_code) from None
        new = snapshot.parse(snapshot.document(_scrubbed(report), taken_at="now (live)"))
    result = diff.compare(old, new, _selection(args).wants)
    _emit(diff.RENDERERS[args.format](result), args.output)
    return EXIT_FINDINGS if args.fail_on_new and result.findings_new else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    import json

    rules = _all_rules()
    if args.code:
        code = args.code.upper()
        rule = rules.get(code) or next((r for r in rules.values() if r.name == args.code), None)
        if rule is None:
            from trackcheck.codes import unknown_code

            why = unknown_code(code, prefix=False) or f"unknown rule '{args.code}'"
            raise CliError(why if "see 'trackcheck rules'" in why else
                           f"{why} (see 'trackcheck rules')", EXIT_USAGE)
        selected = [rule]
    else:
        selected = list(rules.values())
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.value,
                        "engine": r.engine,
                        "summary": r.summary,
                        "doc": r.doc.strip(),
                    }
                    for r in selected
                ],
                indent=2,
            )
        )
    elif args.format == "markdown":
        print(rules_markdown(selected), end="")
    elif args.code:
        r = selected[0]
        print(f"{r.code} {r.name} [{r.severity.value}, {r.engine}]\n")
        print(r.doc.strip())
    else:
        for r in selected:
            print(f"{r.code}  {r.name:<32} {r.severity.value:<8} {r.engine:<6} {r.summary}")
    return EXIT_OK


def rules_markdown(rules: Sequence) -> str:  # type: ignore[type-arg]
    out = [
        "# trackcheck rules",
        "",
        "Generated by `trackcheck rules --format markdown` from the rule modules; do not edit.",
        "",
        "| code | name | severity | engine | flags |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        out.append(
            f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity.value} "
            f"| {r.engine} | "
            f"{r.summary.replace('|', chr(92) + '|')} |"
        )
    out.append("")
    for r in rules:
        body = r.doc.strip().split("\n", 1)
        out += [f"## {r.code} {r.name}", "", f"*{r.severity.value}, {r.engine}* — {body[0]}", ""]
        if len(body) > 1:
            out.append(body[1].strip().replace("\n## ", "\n### "))
            out.append("")
    return "\n".join(out)


def cmd_check_policy(args: argparse.Namespace) -> int:
    from trackcheck.policy import PolicyError, load_policy

    files = args.files or [None]
    bad = 0
    for f in files:
        try:
            _, origin = load_policy(f)
            print(f"{origin}: ok")
        except PolicyError as e:
            print(_masked(str(e)), file=sys.stderr)
            bad += 1
    return EXIT_USAGE if bad else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from trackcheck.audit.source import SourceError

    try:
        from trackcheck.audit.ledger_reader import read_ledger
        from trackcheck.guard.render import render_history

        uri = (args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")).strip()
        if not uri:
            raise CliError("nothing to read: set MLFLOW_TRACKING_URI to the tracking server "
                           "that runs the guard", EXIT_USAGE)
        if not args.timeout > 0:
            raise CliError("--timeout must be a positive number of seconds", EXIT_USAGE)
        entries = list(read_ledger(uri, model=args.model, alias=args.alias, since=args.since,
                                   timeout=args.timeout))
    except SourceError as e:
        raise CliError(str(e), EXIT_FAILED) from None
    except ImportError:
        raise CliError("trackcheck history needs MLflow: install trackcheck[registry] "
                       "(pip install 'trackcheck[registry]')", EXIT_FAILED) from None
    _emit(render_history(entries, args.format), args.output)
    return EXIT_OK


COMMANDS = {
    "lint": cmd_lint,
    "audit": cmd_audit,
    "diff": cmd_diff,
    "rules": cmd_rules,
    "check-policy": cmd_check_policy,
    "history": cmd_history,
}


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # file names that are not UTF-8 print as escapes
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: _emit says so
                pass
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(e.code or 0) if isinstance(e.code, int) else EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except CliError as e:
        _say(str(e))
        return e.code
    except KeyboardInterrupt:
        print("trackcheck: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_FAILED
    except (
        Exception
    ) as e:  # a bug: say so in one line, never with a traceback that could hold a value
        print(f"trackcheck: internal error ({type(e).__name__}); please report it", file=sys.stderr)
        if os.environ.get("TRACKCHECK_DEBUG"):
            raise
        return EXIT_FAILED
