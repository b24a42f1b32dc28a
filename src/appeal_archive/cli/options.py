"""What every command shares: its options (records folder, report format, progress, cache, jobs), and how a
report or an error is printed and the command exits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from appeal_archive.cli.report import as_json, format_issues
from appeal_archive.errors import EXIT_CANNOT_RUN, AppealArchiveError, Issue

FORMAT = click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="text: for people; json: the report as data, for programs "
                      "(its fields are listed in docs/codes.md).")
RECORDS_DIR = click.argument("records_dir", default="records", type=click.Path())  # records.not-found when absent
PROGRESS = click.option("--progress/--no-progress", "show_progress", default=None,
                        help="Say how far a run is, on stderr, once it takes more than a few seconds "
                        "[default: when stderr is a terminal].")
CACHE = click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
                     help="Take the checks of files unchanged since the last run from the validation cache, in "
                     "your cache folder (the same verdicts; docs/scale.md).")
JOBS = click.option("--jobs", type=click.IntRange(min=1), default=None,
                    help="Worker processes for large record sets [default: one per CPU].")


@contextmanager
def reported_errors(ctx: click.Context, output_format: str = "text") -> Iterator[None]:
    """Turn library exceptions into a short message and an exit code; tracebacks only with --debug."""
    try:
        yield
    except AppealArchiveError as error:
        if ctx.obj.get("debug"):
            raise
        _print_issues(error.issues, output_format)
        ctx.exit(error.exit_code)
    except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - the edge that must never show a traceback
        if ctx.obj.get("debug"):
            raise
        issue = Issue("internal.error", f"{type(error).__name__}: {error}",
                      hint="this is a bug in appeal-archive; run again with --debug and report the traceback")
        _print_issues([issue], output_format)
        ctx.exit(EXIT_CANNOT_RUN)


def _print_issues(issues: list[Issue], output_format: str) -> None:
    if output_format == "json":
        click.echo(as_json({"ok": False, "issues": [issue.to_dict() for issue in issues]}))
    else:
        click.echo(format_issues(issues), err=True)


def finish(ctx: click.Context, report: Any, output_format: str, text: Callable[[Any], str]) -> None:
    """Hand the report to its reporter and exit with its code."""
    click.echo(as_json(report.to_dict()) if output_format == "json" else text(report))
    ctx.exit(report.exit_code)


def progress_to_stderr(show: bool | None):
    """Progress lines on stderr (never in the report on stdout), when asked or when stderr is a terminal."""
    import sys

    from appeal_archive.progress import Progress

    shown = sys.stderr.isatty() if show is None else show
    return Progress((lambda line: click.echo(f"... {line}", err=True)) if shown else None)
