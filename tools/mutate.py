"""Mutation testing of the grading engine, the scope helpers and the sheet parser, with mutmut 3.

    .venv/bin/pip install -r requirements-mutation.txt     # once
    .venv/bin/python tools/mutate.py [grading|scope|parse|all] [--max-children N]

A command people run, not a CI step. Each target runs in a fresh ``mutants/`` copy of the tree
(git-ignored) against its own fast tests only: mutmut first records which of those tests reach
each function, then runs for every mutant only the tests that reach its function. The run ends
with the figures per target (generated, killed, survived, ...) and the surviving mutants' names;
``.venv/bin/mutmut show NAME`` prints one as a diff (until the next target's run replaces
``mutants/``). docs/mutation.md keeps the figures and the equivalent mutants with reasons.

The shared settings (what is copied, which files may be mutated) are ``[tool.mutmut]`` in
pyproject.toml; this script narrows them per target, so a failing test elsewhere in the suite
does not stop the run. Tests run on SQLite whatever ``DATABASE_URL`` says: parallel workers
would otherwise fight over one PostgreSQL test database.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    files: tuple[str, ...]
    # mutmut names (module.x_function__mutmut_N, module.xǁClassǁmethod__mutmut_N) to run
    names: tuple[str, ...]
    tests: tuple[str, ...]


SCOPE_FUNCTIONS = (
    "scope_q",
    "units_visible_to",
    "unit_get",
    "unit_in_scope",
    "cadres_visible_to",
    "cadre_get",
)
TARGETS = {
    "grading": Target(
        files=("assessment/grading.py",),
        names=("assessment.grading.*",),
        # The engine's own tables (no database). test_grading_policy.py covers the same rules
        # through the database and the job, but would cost every mutant a migrated test database.
        tests=("tests/assessment/test_grading_edges.py", "tests/assessment/test_grading_ungraded.py"),
    ),
    "scope": Target(
        files=("cadres/selectors.py", "accounts/roles.py", "accounts/models.py"),
        names=(
            *(f"cadres.selectors.x_{name}__mutmut_*" for name in SCOPE_FUNCTIONS),
            "accounts.roles.x_has_capability__mutmut_*",
            "accounts.models.xǁUserǁcan__mutmut_*",
            "accounts.models.xǁUserǁscope_path__mutmut_*",
        ),
        # tests/scope walks a whole world per test (minutes per mutant); these tables are direct.
        tests=("tests/cadres/test_scope_helpers.py", "tests/accounts/test_roles.py"),
    ),
    "parse": Target(
        files=("assessment/sheets/parse.py",),
        names=("assessment.sheets.parse.*",),
        # The parser's tables and the hostile corpus read through read_sheet itself (no
        # database). test_import_corpus.py reads the same files through the API, the page and
        # the command: a migrated test database and up to 37 s per mutant, for no file the
        # safety test does not already check row by row.
        tests=(
            "tests/assessment/test_sheet_parse.py",
            "tests/assessment/test_sheet_safety.py",
            "tests/assessment/test_sheet_calamine.py",
        ),
    ),
}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


def names_of(target: str, only: list[str]) -> tuple[str, ...]:
    """The target's mutant name patterns, narrowed to the functions named in ``only``."""
    spec = TARGETS[target]
    if not only:
        return spec.names
    module = spec.names[0].rsplit(".", 1)[0]
    return tuple(f"{module}.x{'ǁ' if '.' in fn else '_'}{fn.replace('.', 'ǁ')}__mutmut_*" for fn in only)


def run_mutmut(target: str, max_children: int, timeout_multiplier: float, only: list[str]) -> None:
    """In this process: mutmut's ``run`` with the target's files and tests."""
    from mutmut import configuration
    from mutmut.__main__ import cli

    spec = TARGETS[target]
    config = configuration.config()
    config.timeout_multiplier = timeout_multiplier
    config.only_mutate = list(spec.files)
    config.pytest_add_cli_args_test_selection = list(spec.tests)
    try:
        cli(["run", "--max-children", str(max_children), *names_of(target, only)], standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            raise


def summary(target: str, only: list[str]) -> tuple[Counter, list[str]]:
    spec = TARGETS[target]
    patterns = names_of(target, only)
    counts: Counter = Counter()
    survivors = []
    for path in spec.files:
        meta = ROOT / "mutants" / f"{path}.meta"
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in exit_codes.items():
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                continue
            status = STATUS.get(code, "timeout or crash")
            counts["generated"] += 1
            counts[status] += 1
            if status != "killed":
                survivors.append(f"{status}: {name}")
    return counts, sorted(survivors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?", default="all", choices=[*TARGETS, "all"])
    parser.add_argument("--max-children", type=int, default=2, help="parallel test processes (default 2)")
    parser.add_argument(
        "--timeout-multiplier",
        type=float,
        default=15.0,
        help="a mutant times out after (its tests' time + 1 s) x this, wall clock (mutmut's default 15); "
        "raise it on a busy machine, where slow runs are otherwise counted as timeouts",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="FUNCTION",
        help="mutate only these functions of the target (e.g. _parse_rows read_sheet IdChecker.check)",
    )
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.in_process:
        run_mutmut(args.target, args.max_children, args.timeout_multiplier, args.only)
        return 0

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    report = []
    for target in TARGETS if args.target == "all" else [args.target]:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        print(f"== {target}: {', '.join(TARGETS[target].files)}", flush=True)
        command = [
            sys.executable,
            __file__,
            target,
            "--in-process",
            "--max-children",
            str(args.max_children),
            "--timeout-multiplier",
            str(args.timeout_multiplier),
            *(["--only", *args.only] if args.only else []),
        ]
        done = subprocess.run(command, env=env, check=False)
        if done.returncode:
            print(f"mutmut stopped on {target} (exit {done.returncode})", file=sys.stderr)
            return done.returncode
        counts, survivors = summary(target, args.only)
        report.append((target, counts, survivors))
        for line in survivors:
            print("   ", line)

    print()
    print(f"{'target':10} {'generated':>9} {'killed':>7} {'survived':>8} {'other':>6}  survived %")
    for target, counts, _ in report:
        other = counts["generated"] - counts["killed"] - counts["survived"]
        share = 100 * counts["survived"] / counts["generated"] if counts["generated"] else 0
        print(
            f"{target:10} {counts['generated']:9} {counts['killed']:7} {counts['survived']:8} {other:6}  {share:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
