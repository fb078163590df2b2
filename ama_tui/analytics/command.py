"""`ama-tui report` and `ama-tui export`: read the options, run, print. A problem with what the
user asked for (a time, a folder, a market, a target) is one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ama_tui.analytics.sources import JournalSource, SourceError, find_journals
from ama_tui.analytics.timespec import TimeSpecError, parse_window

if TYPE_CHECKING:
    from ama_tui.analytics.model import Report

USAGE_ERROR: Final = 2
DEFAULT_STATE_DIR: Final = Path("state")


def _fail(message: str) -> int:
    print(f"ama-tui: {message}", file=sys.stderr)
    return USAGE_ERROR


def _sources(args: argparse.Namespace) -> list[JournalSource]:
    return find_journals(getattr(args, "state_dir", None) or DEFAULT_STATE_DIR, args.market)


def run_report(args: argparse.Namespace) -> int:
    try:
        window = parse_window(args.since, args.until, int(time.time() * 1000))
        sources = _sources(args)
    except (TimeSpecError, SourceError) as exc:
        return _fail(str(exc))
    from ama_tui.analytics import duck
    from ama_tui.analytics.cache_dir import default_cache_dir
    from ama_tui.analytics.progress_line import ProgressLine, ReportProgress
    from ama_tui.analytics.report import build_report
    from ama_tui.analytics.report_cache import build_deferred, report_cache

    labels = {s.order_book: s.label for s in sources}
    cache = report_cache(None if args.no_cache else default_cache_dir())
    paths = [s.path for s in sources]
    con = duck.connect()
    try:
        with ReportProgress(ProgressLine(sys.stderr), con, paths) as progress:
            report = build_report(paths, window, labels, cache=cache, con=con, on_file=progress.file_started)
    finally:
        con.close()
    try:
        return _print_report(args, report)
    finally:
        sys.stdout.flush()
        build_deferred(cache)


def _print_report(args: argparse.Namespace, report: Report) -> int:
    from ama_tui.analytics.render_json import render_json
    from ama_tui.analytics.render_markdown import render_markdown
    from ama_tui.analytics.render_text import render_text

    charts: list[tuple[str, str]] = []
    if args.out is not None:
        from ama_tui.analytics.charts import write_charts

        out: Path = args.out
        if out.exists() and not out.is_dir():
            return _fail(f"--out {out} is not a folder")
        try:
            charts = write_charts(report, out)
            (out / "report.md").write_text(render_markdown(report, charts), encoding="utf-8")
            (out / "report.json").write_text(render_json(report) + "\n", encoding="utf-8")
        except OSError as exc:
            return _fail(f"cannot write the report to {out}: {exc.strerror or exc}")
    if args.format == "json":
        print(render_json(report))
    elif args.format == "md":
        print(render_markdown(report, charts))
    else:
        print(render_text(report))
    if args.out is not None:
        print(f"wrote report.md, report.json and {len(charts)} chart(s) to {args.out}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    kind, target = args.to
    if kind not in ("parquet", "clickhouse"):
        return _fail(f"--to {kind}: choose parquet OUT_FILE or clickhouse URL")
    try:
        sources = _sources(args)
    except SourceError as exc:
        return _fail(str(exc))
    paths = [s.path for s in sources]
    from ama_tui.analytics.progress_line import ProgressLine, bytes_read

    if kind == "parquet":
        from ama_tui.analytics.export_parquet import export_parquet

        out = Path(target)
        if out.is_dir():
            return _fail(f"--to parquet {out}: is a folder, give a file name")
        line = ProgressLine(sys.stderr)
        try:
            staged = export_parquet(paths, out, bytes_read(line, f"exporting to {out.name}"))
        except OSError as exc:
            line.clear()
            return _fail(f"cannot write {out}: {exc.strerror or exc}")
        line.clear()
        print(
            f"{staged.rows:,} lines from {staged.files} journal(s) to {out} "
            f"({staged.malformed:,} malformed, kept and flagged)"
        )
        return 0
    from ama_tui.analytics.export_clickhouse import connect, export_clickhouse, redacted

    try:
        client = connect(target)
    except Exception as exc:  # the client raises many kinds for a bad URL or an unreachable server
        return _fail(redacted(target, f"--to clickhouse {target}: cannot connect ({exc})"))
    from clickhouse_connect.driver.exceptions import ClickHouseError

    line = ProgressLine(sys.stderr)
    try:
        result = export_clickhouse(paths, client, bytes_read(line, "exporting to ClickHouse"))
    except ClickHouseError as exc:
        line.clear()
        print(
            redacted(
                target,
                f"ama-tui: export to {target} failed: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            ),
            file=sys.stderr,
        )
        return 1
    finally:
        client.close()
    line.clear()
    print(
        f"{result.inserted:,} lines from {result.staged.files} journal(s) sent, {result.already_stored:,} "
        f"already stored, {result.staged.malformed:,} malformed (not sent)"
    )
    return 0
