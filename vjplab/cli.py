"""Command line: ``python -m vjplab <command>`` (also installed as ``vjplab``).

Commands:
  bench     benchmark this environment with asv, save results, publish the dashboard
  measure   steady-state reference latency, device time, compile time and XLA statistics of
            one family (or your own function: --function MODULE:CALLABLE) and strategy (to
            check asv's numbers against, or to compare strategies on your function)
  record    run the suite in one asv virtualenv per JAX release (asv.conf.json), incrementally
  history   series over JAX versions from asv's results, flagged steps, report + plots
  bisect    narrow a flagged step between two releases down to its first slower JAX release
  report    this run's report page (vjplab-report.html: seed case, fastest strategy, plots)
  compare   two result sets (commits or results directories) pair by pair: per-kind flag rates
  publish   asv publish of existing results + vjplab's pages, third-party files served locally
  assets    the dashboard's third-party files: list the per-user cache, --fetch, --from DIR
  merge     asv results directories of several jobs or machines into one (with vjplab's
            run manifests and fingerprints); never overwrites or deletes
  reference import a recorded machine's results into results/reference/ (the reference
            machine's history that ships with vjplab)
  spy       the sparsity picture of a family's Jacobian, columns coloured by colour group
            (needs a sparse library: pip install 'vjplab[sparse]')
  many      K cotangents and the adjoint solve at one point: measure, print the tables
  list      the registered families and strategies
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vjplab.dashboard.command import add_parsers as add_dashboard_parsers
from vjplab.grid import GRIDS
from vjplab.many.command import add_parser as add_many_parser
from vjplab.reference import REFERENCE_MACHINE


THRESHOLD_HELP = ("override the per-kind thresholds (vjplab/history/steps.py RULES): RATIO sets "
                  "every non-deterministic kind, KIND=RATIO one kind (e.g. "
                  "track_compile_time=1.3); repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjplab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="asv run (this environment) + asv publish")
    bench.add_argument("--grid", choices=sorted(GRIDS), default="default",
                       help="parameter grid (default: %(default)s)")
    bench.add_argument("--machine", help="asv machine name (default: this host's name)")
    bench.add_argument("--bench", help="regex selecting benchmarks (asv run --bench); combined "
                                       "with the grid's selection: both must match")
    bench.add_argument("--allow-dirty", action="store_true",
                       help="benchmark uncommitted changes anyway (results are labelled with "
                            "HEAD's commit; a warning is printed)")
    bench.add_argument("--no-publish", action="store_true", help="skip asv publish")
    bench.add_argument("--rounds", type=int,
                       help="asv rounds (processes per parameter set); the suite's default is 3 for "
                            "time_vjp, 1 for the others")
    bench.add_argument("--output-dir", type=Path,
                       help="put results, html and the derived config here instead of .asv/")

    measure = sub.add_parser(
        "measure", help="reference timings of one family (or your own function) and strategy",
        usage="%(prog)s (FAMILY STRATEGY | --function MODULE:CALLABLE [STRATEGY]) --dimension N "
              "--locality K [options]")
    measure.add_argument("family", nargs="?", metavar="FAMILY",
                         help="a registered family (`vjplab list`); leave it out with --function")
    measure.add_argument("strategy", nargs="?", metavar="STRATEGY",
                         help="a strategy name, several joined by commas, or 'all' (the "
                              "default with --function)")
    measure.add_argument("--function", metavar="MODULE:CALLABLE",
                         help="measure your own function instead of a family: CALLABLE(N, k) "
                              "returns (f, x, cotangent), no adjoint needed (e.g. "
                              "examples.my_stencil:make; contract: vjplab/user_function.py)")
    measure.add_argument("--dimension", type=int, required=True, help="input size N")
    measure.add_argument("--locality", type=int, required=True, help="stencil radius k")
    measure.add_argument("--dtype", help="float32 (default) or float64; with --function, "
                                         "x's dtype (float64 needs --dtype float64)")
    measure.add_argument("--repeats", type=int, default=15,
                         help="repeats of the continuous loop (median reported)")
    measure.add_argument("--processes", type=int, default=1,
                         help="measure in this many fresh processes and report medians over them "
                              "(a process can settle in a slower steady state than another)")
    measure.add_argument("--json", action="store_true", help="print rows as JSON")

    record = sub.add_parser("record", help="asv run in one virtualenv per JAX release")
    record.add_argument("--versions", help="comma-separated JAX versions (default: all in "
                                           "asv.conf.json)")
    record.add_argument("--grid", choices=sorted(GRIDS), default="default")
    record.add_argument("--machine", help="asv machine name (default: this host's name)")
    record.add_argument("--families", help="comma-separated families: a shard of the grid "
                                           "(default: every family it runs)")
    record.add_argument("--output-dir", type=Path,
                        help="put envs, results and html here instead of .asv/")
    record.add_argument("--no-publish", action="store_true",
                        help="skip asv publish and the history page")

    bisect = sub.add_parser(
        "bisect", help="first slower JAX release of a flagged step (asv find over releases)",
        description="Install the JAX releases between --from and --to (each in its own asv "
                    "virtualenv under the bisect directory), run one parameter set in each and "
                    "binary-search the first release that is slower under the history's rules.")
    bisect.add_argument("param_set", nargs="+", metavar="PARAM_SET",
                        help="asv's name of the parameter set, e.g. \"time_vjp('roll_cubic', "
                             "'exact', 100, 1, 'float32')\", or the benchmark then NAME=VALUE per "
                             "parameter (time_vjp family=roll_cubic strategy=exact ...)")
    bisect.add_argument("--from", dest="low", required=True,
                        help="the older release (one of asv.conf.json's)")
    bisect.add_argument("--to", dest="high", required=True,
                        help="the newer release (one of asv.conf.json's)")
    bisect.add_argument("--machine", help="asv machine name (default: this host's name)")
    bisect.add_argument("--output-dir", type=Path,
                        help="the bisect directory (default: .asv/bisect): configs, env/, "
                             "results/, html/, logs/, verdicts/")
    bisect.add_argument("--threshold", action="append", metavar="RATIO|KIND=RATIO",
                        help=THRESHOLD_HELP)
    bisect.add_argument("--grid", choices=sorted(GRIDS),
                        help="the grid whose processes run the parameter set (it must be in "
                             "it; default: 'default' when it is, else the smallest that runs it)")
    bisect.add_argument("--rounds", type=int,
                        help="asv rounds (processes) per parameter set, instead of the "
                             "benchmark's own (3 for time_vjp): steadier values on a noisy "
                             "machine; a release already measured at this commit is reused")
    bisect.add_argument("--releases",
                        help="comma-separated releases to try between the two, instead of "
                             "asking the registry (e.g. offline)")

    history = sub.add_parser("history", help="JAX-version report from asv's results")
    history.add_argument("--results-dir", type=Path,
                         help="asv results directory (default: from asv.conf.json)")
    history.add_argument("--html-dir", type=Path,
                         help="write vjplab-history.html and plots here (default: asv's html "
                              "directory, when it exists)")
    history.add_argument("--threshold", action="append", metavar="[KIND=]RATIO",
                         help=THRESHOLD_HELP)
    history.add_argument("--markdown", type=Path, help="also write the report as Markdown")
    history.add_argument("--limit", type=int, default=40, help="rows in the terminal table")
    history.add_argument("--fail-on-regression", action="store_true",
                         help="exit 1 when any step of your machines is a regression (for "
                              "CI; the reference machine's steps are shown, never counted)")
    history.add_argument("--bisect-dir", type=Path,
                         help="where `vjplab bisect` wrote its verdicts (DIR/verdicts/*.json), "
                              "shown on the matching regressions (default: the results "
                              "directory's ../bisect, i.e. .asv/bisect)")
    add_reference_arguments(history)

    compare = sub.add_parser(
        "compare", help="two result sets pair by pair, per-kind flag rates",
        description="Compare result set A (before) with B (after). Each is an asv results "
                    "directory or a commit hash/prefix looked up in --results-dir. Pairs share "
                    "machine (unless --machine-a and --machine-b are both given), JAX release "
                    "(unless each side holds one), benchmark, parameters and benchmark version; "
                    "each pair is classified with the history's per-kind rules.")
    compare.add_argument("a", help="side A: results directory, or commit hash or prefix")
    compare.add_argument("b", help="side B: results directory, or commit hash or prefix")
    compare.add_argument("--results-dir", type=Path,
                         help="where commits are looked up (default: from asv.conf.json)")
    compare.add_argument("--machine-a", help="only this machine on side A")
    compare.add_argument("--machine-b", help="only this machine on side B (both given: pairs "
                                             "match across the two machines)")
    compare.add_argument("--jax-a", help="only this JAX release on side A")
    compare.add_argument("--jax-b", help="only this JAX release on side B")
    compare.add_argument("--threshold", action="append", metavar="[KIND=]RATIO",
                         help=THRESHOLD_HELP)
    compare.add_argument("--markdown", type=Path, help="also write the report as Markdown")
    compare.add_argument("--json", type=Path, help="also write the figures as JSON")
    compare.add_argument("--limit", type=int, default=40, help="flagged rows in the terminal")
    compare.add_argument("--fail-on-regression", action="store_true",
                         help="exit 1 when any pair is a regression (B worse than A)")

    merge = sub.add_parser(
        "merge", help="merge asv results directories (several jobs or machines) into one",
        description="Copy every machine's files (asv's machine.json and results, vjplab's run "
                    "manifests) of each SRC into RESULTS, and its program fingerprints into "
                    "RESULTS/../fingerprints/ (where vjplab looks for them). Every "
                    "benchmarks.json must agree (the same suite: benchmark names, params, "
                    "versions). Identical files are skipped; a file whose content differs "
                    "(machine.json included) refuses the whole merge, naming each, before "
                    "anything is copied. Nothing is overwritten or deleted.")
    merge.add_argument("sources", nargs="+", type=Path, metavar="SRC",
                       help="an asv results directory (holding benchmarks.json) or an "
                            "--output-dir of `vjplab bench`/`record` (results/, fingerprints/)")
    merge.add_argument("--into", type=Path, required=True, metavar="RESULTS",
                       help="the results directory to merge into (new, or an existing one; an "
                            "output directory holding results/ also works); fingerprints go "
                            "to its sibling fingerprints/")
    merge.add_argument("--dry-run", action="store_true",
                       help="check and print what would be merged; copy nothing")

    add_dashboard_parsers(sub)
    report = sub.add_parser("report", help="this run's report page from asv's results")
    report.add_argument("--results-dir", type=Path, help="default: from asv.conf.json")
    report.add_argument("--html-dir", type=Path, help="default: asv's html directory")
    report.add_argument("--commit", help="report this commit (default: the newest run)")
    report.add_argument("--machine", help="asv machine name (default: the one that ran last)")
    add_reference_arguments(report)

    reference = sub.add_parser("reference", help="the reference machine's results that ship "
                                                 "with vjplab (results/reference/)")
    reference_sub = reference.add_subparsers(dest="reference_command", required=True)
    imp = reference_sub.add_parser(
        "import", help="copy a recorded --output-dir's results and fingerprints of one machine "
                       "into results/reference/ (never overwriting) and write MACHINE.md's "
                       "skeleton")
    imp.add_argument("output_dir", type=Path, help="the --output-dir of `vjplab record`")
    imp.add_argument("--machine", help=f"the asv machine to import (default: the reference's "
                                       f"name, {REFERENCE_MACHINE})")
    imp.add_argument("--to", type=Path, help="the reference directory (default: "
                                             "results/reference/ of this checkout)")

    spy = sub.add_parser("spy", help="png of a family's Jacobian pattern, columns coloured by "
                                     "their colour group (vjplab.sparse)")
    spy.add_argument("family")
    spy.add_argument("--dimension", type=int, required=True, help="input size N")
    spy.add_argument("--locality", type=int, required=True, help="stencil radius k")
    spy.add_argument("--library", help="asdex or sparsejac (default: the first that runs here)")
    spy.add_argument("-o", "--output", type=Path, default=Path("spy.png"),
                     help="png to write (default: %(default)s)")

    add_many_parser(sub)
    sub.add_parser("list", help="registered families and strategies")
    return parser


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    """``--no-reference`` and ``--reference-dir`` (vjplab.reference)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-reference", action="store_true",
                       help="leave out the reference machine's results that ship with vjplab "
                            "(results/reference/)")
    group.add_argument("--reference-dir", type=Path,
                       help="read the reference machine's results from this directory (laid "
                            "out like results/reference/) instead")


def comma_list(text: str | None) -> list[str] | None:
    """An option's comma-separated names, blanks dropped; None when the option was not given."""
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def reference_choice(args: argparse.Namespace) -> Path | bool | None:
    """What ``vjplab.reference.find_reference`` takes: False, a directory, or None (the
    default place)."""
    return False if args.no_reference else args.reference_dir


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from vjplab.suite import bench_current_environment

        from vjplab.suite import RunFailed, RunInterrupted

        try:
            bench_current_environment(grid=args.grid, machine=args.machine, bench=args.bench,
                                      publish=not args.no_publish, output_dir=args.output_dir,
                                      rounds=args.rounds, allow_dirty=args.allow_dirty)
        except ValueError as exc:
            print(f"vjplab bench: {exc}", file=sys.stderr)
            return 2
        except RunInterrupted:  # the run printed what it kept
            return 130
        except KeyboardInterrupt:  # outside asv's pieces: discovery, manifest or publishing
            print("vjplab bench: interrupted (Ctrl-C); the results asv saved stay in its "
                  "results directory (`vjplab publish` publishes them)", file=sys.stderr)
            return 130
        except RuntimeError as exc:  # RunFailed, or the suite could not be imported
            print(f"vjplab bench: {exc}", file=sys.stderr)
            return 1
    elif args.command == "measure":
        return measure_command(args)
    elif args.command == "many":
        from vjplab.many.command import many_command

        return many_command(args)
    elif args.command == "record":
        from vjplab.history.record import record_versions
        from vjplab.suite import RunInterrupted

        versions = args.versions.split(",") if args.versions else None
        try:
            families = comma_list(args.families)
            record_versions(versions, grid=args.grid, machine=args.machine,
                            output_dir=args.output_dir, publish=not args.no_publish,
                            families=families)
        except ValueError as exc:
            print(f"vjplab record: {exc}", file=sys.stderr)
            return 2
        except RunInterrupted:  # record printed what it kept
            return 130
        except KeyboardInterrupt:
            print("vjplab record: interrupted (Ctrl-C); the results asv saved stay in its "
                  "results directory", file=sys.stderr)
            return 130
        except RuntimeError as exc:  # RecordError: what could be recorded was saved
            print(f"vjplab record: {exc}", file=sys.stderr)
            return 1
    elif args.command == "history":
        return history_command(args)
    elif args.command == "bisect":
        return bisect_command(args)
    elif args.command == "compare":
        return compare_command(args)
    elif args.command == "merge":
        return merge_command(args)
    elif args.command == "publish":
        from vjplab.dashboard.command import publish_command

        return publish_command(args)
    elif args.command == "assets":
        from vjplab.dashboard.command import assets_command

        return assets_command(args)
    elif args.command == "report":
        return report_command(args)
    elif args.command == "reference":
        return reference_command(args)
    elif args.command == "spy":
        return spy_command(args)
    elif args.command == "list":
        import vjplab
        from vjplab import catalog

        try:
            families, plugins = vjplab.families(), catalog.plugin_family_names()
        except ValueError as exc:  # a plugin's entry point takes a built-in name
            print(f"vjplab list: {exc}", file=sys.stderr)
            return 2
        print("families:  " + ", ".join(families))
        if plugins:
            print(f"  from other packages ({catalog.FAMILY_ENTRY_POINT_GROUP} entry points): "
                  + ", ".join(plugins))
        print("strategies: " + ", ".join(vjplab.strategies()))
    return 0


def bisect_command(args: argparse.Namespace) -> int:
    """0: a first slower release found; 2: bad input, the registry unreachable, or the
    endpoints do not reproduce the regression; 130: Ctrl-C (what asv saved is kept)."""
    from vjplab.history.bisect import run_bisect
    from vjplab.history.pypi import RegistryError
    from vjplab.history.steps import parse_thresholds, rules_with
    from vjplab.suite import RunInterrupted

    try:
        rules = rules_with(parse_thresholds(args.threshold))
        releases = comma_list(args.releases)
        result = run_bisect(args.param_set, args.low, args.high, machine=args.machine,
                            output_dir=args.output_dir, rules=rules, grid=args.grid,
                            releases=releases, rounds=args.rounds)
    except (ValueError, RegistryError) as exc:
        print(f"vjplab bisect: {exc}", file=sys.stderr)
        return 2
    except RunInterrupted:  # bisect printed what it kept
        return 130
    except KeyboardInterrupt:
        print("vjplab bisect: interrupted (Ctrl-C); the results asv saved stay in the bisect "
              "results directory", file=sys.stderr)
        return 130
    return result.exit_code


def history_command(args: argparse.Namespace) -> int:
    from vjplab.history.report import build_history, markdown, terminal_table, write_html
    from vjplab.history.results import load_results
    from vjplab.history.steps import parse_thresholds, rules_with
    from vjplab.reference import with_reference

    results_dir, html_dir = args.results_dir, args.html_dir
    if results_dir is None or html_dir is None:
        from vjplab.suite import read_asv_config, repo_root

        try:
            root = repo_root()
        except ValueError as exc:
            print(f"vjplab history: {exc}; or pass --results-dir", file=sys.stderr)
            return 2
        conf = read_asv_config(root)
        results_dir = results_dir or root / conf["results_dir"]
        if html_dir is None and (root / conf["html_dir"]).is_dir():
            html_dir = root / conf["html_dir"]
    try:
        rules = rules_with(parse_thresholds(args.threshold))
        results = with_reference(load_results(results_dir), reference_choice(args))
        history = build_history(results, rules, args.bisect_dir)
    except ValueError as exc:  # ResultsError, a bad threshold or --reference-dir
        print(f"vjplab history: {exc}", file=sys.stderr)
        return 2
    print(terminal_table(history, limit=args.limit))
    if args.markdown:
        args.markdown.write_text(markdown(history))
        print(f"markdown: {args.markdown}")
    if html_dir is not None:
        print(f"html: {write_html(history, Path(html_dir))}")
    yours = [s for s in history.regressions if not results.is_reference(s.machine)]
    if args.fail_on_regression and yours:
        print(f"{len(yours)} regression(s)", file=sys.stderr)
        return 1
    return 0


def merge_command(args: argparse.Namespace) -> int:
    """``vjplab merge``: vjplab.merge. 2: a refusal (nothing copied); 1: a copy failed."""
    from vjplab.merge import carry_out, plan_merge, summary

    try:
        plan = plan_merge(args.sources, args.into)
    except ValueError as exc:  # not a results directory, other suites, conflicting files
        print(f"vjplab merge: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unreadable SRC
        print(f"vjplab merge: {exc}; nothing was copied", file=sys.stderr)
        return 2
    if not args.dry_run:
        try:
            carry_out(plan)
        except OSError as exc:  # what was copied is complete; rerunning merges the rest
            print(f"vjplab merge: copying failed ({exc}); the files copied so far are "
                  f"complete and nothing was overwritten: merge again to copy the rest",
                  file=sys.stderr)
            return 1
    print(summary(plan, dry_run=args.dry_run))
    return 0


def reference_command(args: argparse.Namespace) -> int:
    """``vjplab reference import``: vjplab.reference_import."""
    import shlex

    from vjplab.reference import REFERENCE_DIR, REFERENCE_MACHINE
    from vjplab.reference_import import import_reference

    machine = args.machine or REFERENCE_MACHINE
    try:
        target = args.to
        if target is None:
            from vjplab.suite import repo_root

            target = repo_root() / REFERENCE_DIR
        plan = import_reference(args.output_dir, machine, target,
                                command=shlex.join(["vjplab", "reference", "import",
                                                    str(args.output_dir), "--machine",
                                                    machine]))
    except ValueError as exc:
        print(f"vjplab reference import: {exc}", file=sys.stderr)
        return 2
    print(f"imported {len(plan.results)} results file(s) and {plan.fingerprints} fingerprint "
          f"file(s) of machine {machine!r} into {target}")
    if not plan.fingerprints:
        print(f"note: {args.output_dir} holds no fingerprints of {machine!r}: the history "
              f"cannot say whether the reference's programs changed")
    print(f"complete the TO COMPLETE lines of {plan.note}, then commit {target}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    from vjplab.dashboard.report_page import link_report_from_dashboard, write_report

    try:
        if args.results_dir is None or args.html_dir is None:
            from vjplab.suite import read_asv_config, repo_root

            conf = read_asv_config(repo_root())
        results_dir = args.results_dir or repo_root() / conf["results_dir"]
        html_dir = args.html_dir or repo_root() / conf["html_dir"]
        page = write_report(results_dir, html_dir, commit=args.commit, machine=args.machine,
                            reference_dir=reference_choice(args))
    except ValueError as exc:  # ResultsError, unknown commit, no checkout to find defaults
        print(f"vjplab report: {exc}", file=sys.stderr)
        return 2
    link_report_from_dashboard(html_dir)
    print(f"report: {page}")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    from vjplab.history.compare import run_compare
    from vjplab.history.compare_report import markdown, terminal_text, to_json
    from vjplab.history.steps import parse_thresholds, rules_with

    results_dir = args.results_dir
    try:
        if results_dir is None and not (Path(args.a).is_dir() and Path(args.b).is_dir()):
            from vjplab.suite import read_asv_config, repo_root

            root = repo_root()
            results_dir = root / read_asv_config(root)["results_dir"]
        comparison = run_compare(args.a, args.b, results_dir,
                                 rules_with(parse_thresholds(args.threshold)),
                                 args.machine_a, args.machine_b, args.jax_a, args.jax_b)
    except ValueError as exc:
        print(f"vjplab compare: {exc}", file=sys.stderr)
        return 2
    print(terminal_text(comparison, limit=args.limit))
    if args.markdown:
        args.markdown.write_text(markdown(comparison))
        print(f"markdown: {args.markdown}")
    if args.json:
        args.json.write_text(to_json(comparison))
        print(f"json: {args.json}")
    if args.fail_on_regression and comparison.regressions:
        print(f"{len(comparison.regressions)} regression(s)", file=sys.stderr)
        return 1
    return 0


def spy_command(args: argparse.Namespace) -> int:
    import vjplab
    from vjplab.prepared import Infeasible
    from vjplab.sparse import LIBRARIES, unavailable_reason
    from vjplab.sparse.spy import default_library, spy

    try:
        library = args.library or default_library()
        if library not in LIBRARIES:
            raise ValueError(f"unknown --library {library!r}; allowed: {', '.join(LIBRARIES)}")
        reason = unavailable_reason(library)
        if reason:
            raise ValueError(reason)
        n = vjplab.nearest_dimension(args.family, args.dimension)
        p = vjplab.problem(args.family, n, args.locality)
        path = spy(p, library, args.output)
    except (ValueError, Infeasible) as exc:
        print(f"vjplab spy: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def measure_command(args: argparse.Namespace) -> int:
    import json

    import vjplab
    from vjplab.cpu_affinity import describe_pinning, requested_cpus

    try:  # imports the families: a broken or clashing plugin family is a ValueError
        from vjplab.measure import report
        from vjplab.problems import check_dtype
    except ValueError as exc:
        print(f"vjplab measure: {exc}", file=sys.stderr)
        return 2
    family, strategy = args.family, args.strategy
    if args.function is not None:
        if strategy is not None:
            print(f"vjplab measure: FAMILY and --function are mutually exclusive (got FAMILY "
                  f"{family!r}, STRATEGY {strategy!r} and --function {args.function!r}); with "
                  f"--function give at most STRATEGY", file=sys.stderr)
            return 2
        family, strategy = None, family or "all"
    elif family is None or strategy is None:
        print("vjplab measure: give FAMILY and STRATEGY (`vjplab list` names them), or "
              "--function MODULE:CALLABLE [STRATEGY]", file=sys.stderr)
        return 2
    dtype = args.dtype or "float32"
    if dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)
    names = vjplab.strategies() if strategy == "all" else strategy.split(",")
    dimension = args.dimension
    try:
        check_dtype(dtype)  # an unknown dtype is an error, not a skip
        if args.function is not None:
            from vjplab.user_function import register_user_function

            if args.processes == 1:  # this process measures: pin before CALLABLE starts JAX
                from vjplab.allocator import settle_in_process
                from vjplab.cpu_affinity import pin_for_timing

                settle_in_process()
                pin_for_timing()
            family, dimension, dtype = register_user_function(args.function, args.dimension,
                                                              args.locality, args.dtype)
            title = f"user function {family} N={dimension} k={args.locality} {dtype}"
            if "exact" in names:
                title += (" (no hand-written adjoint: exact is skipped; latencies are compared "
                          "with the fastest automatic strategy)")
        else:
            title = f"{family} N={dimension} k={args.locality} {dtype}"
        report.check_names(family, names)
        # Checks the setting; measure_rows pins the measuring process (here or in each child).
        title += f", {describe_pinning(requested_cpus())}"
        if args.processes > 1:
            what = [family] if args.function is None else ["--function", args.function]
            forwarded = [*what, ",".join(names), "--dimension", str(args.dimension),
                         "--locality", str(args.locality), "--dtype", dtype,
                         "--repeats", str(args.repeats)]
            if not args.json:
                print(title + f", medians over {args.processes} processes", flush=True)
            rows = report.measure_in_processes(forwarded, args.processes, sys.stderr)
        elif args.json:
            rows = report.measure_rows(family, names, dimension, args.locality, dtype,
                                       args.repeats)
        else:
            print(title, flush=True)
            print(report.HEADER + "\n" + "-" * len(report.HEADER), flush=True)
            rows = report.measure_rows(family, names, dimension, args.locality, dtype,
                                       args.repeats, progress=sys.stdout)
            comparison = report.comparison_line(rows)
            if comparison:
                print(comparison)
            return 0
    except ValueError as exc:
        print(f"vjplab measure: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows))
    else:
        print(report.HEADER + "\n" + "-" * len(report.HEADER))
        for row in rows:
            print(report.format_row(row))
        comparison = report.comparison_line(rows)
        if comparison:
            print(comparison)
    return 0


if __name__ == "__main__":
    sys.exit(main())
