"""Student and instructor commands: ``python -m bplib.course
start|progress|solution|check|release|grade|table|rerun``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bplib.course.release import repo_notebooks_dir


def _release(args: argparse.Namespace) -> int:
    from bplib.course.exercises import exercises, format_points, read_notebook
    from bplib.course.release import release

    for path in release(args.sources, args.out, force=args.force):
        found = exercises(read_notebook(path))
        points = format_points(sum(e.points for e in found))
        print(f"wrote {path} ({len(found)} exercises, {points} points)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from bplib.course.student_check import check_notebook

    ok = check_notebook(args.notebook, timeout=args.timeout, cell_timeout=args.cell_timeout)
    return 0 if ok else 1


def _grade(args: argparse.Namespace) -> int:
    from bplib.course.grade import grade

    grade(args.submissions, args.out, source_dir=args.source, timeout=args.timeout,
          cell_timeout=args.cell_timeout, jobs=args.jobs, sandboxed=not args.no_sandbox,
          resume=args.resume, cluster=args.cluster)
    return 0


def _table(args: argparse.Namespace) -> int:
    from bplib.course.exercises import exercise_table_markdown

    notebooks = sorted(Path(args.source).glob("*.ipynb"))
    text = exercise_table_markdown(notebooks)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    from bplib.course.rerun import RerunFailed, rerun_notebook

    failed = False
    for path in args.notebooks:
        try:
            count = rerun_notebook(path, cell_timeout=args.cell_timeout)
        except RerunFailed as err:
            print(f"{path}: {err}. The file is unchanged.", file=sys.stderr)
            failed = True
        else:
            cells = f"{count} code cell" + ("" if count == 1 else "s")
            print(f"re-ran {path} ({cells}); its outputs are stored")
    return 1 if failed else 0


def _start(args: argparse.Namespace) -> int:
    from bplib.course.progress import start

    start(args.out)
    print(f"open them with: jupyter lab --notebook-dir={args.out}   (or: make learn)\n"
          f"see how far you are with: python -m bplib.course progress {args.out}")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from bplib.course.progress import progress_table

    print(progress_table(args.folder))
    return 0


def _solution(args: argparse.Namespace) -> int:
    from bplib.course.progress import solution_text

    print(solution_text(args.chapter, args.exercise), end="")
    return 0


def _set_repository(args: argparse.Namespace) -> int:
    from bplib.course.launch import set_repository

    changed = set_repository(args.url)
    for path in changed:
        print(f"updated {path}")
    print(f"{len(changed)} files updated" if changed else "everything already points at " + args.url)
    return 0


def _add_timeouts(p: argparse.ArgumentParser) -> None:
    """The two limits that keep a runaway notebook from stalling ``check`` and ``grade``."""
    p.add_argument("--timeout", type=float, default=600, metavar="S",
                   help="seconds for a whole notebook (default 600)")
    p.add_argument("--cell-timeout", type=float, default=120, metavar="S",
                   help="seconds for any one cell (default 120)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for the sub-commands."""
    from bplib.course.progress import DEFAULT_WORK

    parser = argparse.ArgumentParser(
        prog="python -m bplib.course",
        description="Start your own copy of the course and follow your progress; check one "
                    "notebook; release student notebooks, grade submissions, list the "
                    "exercises, re-run chapters to store their outputs.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="your own copy of every chapter, solutions left to write "
                                     "(copies you edited are kept)")
    p.add_argument("--out", default=DEFAULT_WORK, metavar="DIR",
                   help=f"your work folder (default {DEFAULT_WORK}/)")
    p.set_defaults(run=_start)

    p = sub.add_parser("progress", help="which exercises of every chapter you passed")
    p.add_argument("folder", nargs="?", default=DEFAULT_WORK, metavar="DIR")
    p.set_defaults(run=_progress)

    p = sub.add_parser("solution", help="show one exercise's solution (only when you ask)")
    p.add_argument("chapter", metavar="CHAPTER", help="e.g. 04 or 04_computing_gradients")
    p.add_argument("exercise", type=int, metavar="N", help="the exercise's number in the chapter")
    p.set_defaults(run=_solution)

    p = sub.add_parser("release", help="write student versions of chapter notebooks")
    p.add_argument("sources", nargs="+", metavar="SRC", help="notebooks or folders of notebooks")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the student versions")
    p.add_argument("--force", action="store_true",
                   help="replace files in DIR even if they were edited since the last release")
    p.set_defaults(run=_release)

    p = sub.add_parser("check", help="run a copy of your notebook and show each exercise's result")
    p.add_argument("notebook", metavar="NOTEBOOK")
    _add_timeouts(p)
    p.set_defaults(run=_check)

    p = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<notebook>.ipynb into a CSV")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--out", default="grades/grades.csv", metavar="CSV",
                   help="gradebook CSV; feedback goes to feedback/ beside it "
                        "(default grades/grades.csv)")
    p.add_argument("--source", default=str(repo_notebooks_dir()), metavar="DIR",
                   help="instructor notebooks with solutions and hidden tests (default notebooks/)")
    _add_timeouts(p)
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="notebooks graded at the same time (default: the number of cores)")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows of submissions an earlier, stopped run already graded")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: a scheduler's address (tcp://host:8786), or "
                        "local:N for N worker processes on this machine (needs bplib[cluster])")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code without bubblewrap (only for work you trust)")
    p.set_defaults(run=_grade)

    p = sub.add_parser("table", help="markdown table of every exercise by chapter")
    p.add_argument("--source", default=str(repo_notebooks_dir()), metavar="DIR")
    p.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=_table)

    p = sub.add_parser("set-repository", help="the course's GitHub address, for the site's buttons "
                                              "and every chapter's install cell")
    p.add_argument("url", metavar="URL", help="e.g. https://github.com/ORG/backprop-by-hand")
    p.set_defaults(run=_set_repository)

    p = sub.add_parser("rerun", help="re-run chapter notebooks in place and store their outputs "
                                     "(what make test compares with)")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument("--cell-timeout", type=float, default=600, metavar="S",
                   help="seconds for any one cell (default 600)")
    p.set_defaults(run=_rerun)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors in the input become one readable line and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
