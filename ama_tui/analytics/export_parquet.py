"""`export --to parquet OUT`: every journal line as a row of one Parquet file (see
`export_lines`), in file and line order. Written beside OUT and renamed, so a reader never sees
half a file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ama_tui.analytics.export_lines import EXPORT_COLUMNS, StagedLines, stage_lines


def export_parquet(paths: Sequence[Path], out: Path) -> StagedLines:
    con = duckdb.connect()
    try:
        staged = stage_lines(paths, con)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        columns = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS)
        con.execute(
            f"COPY (SELECT {columns} FROM export_lines) TO $out (FORMAT parquet, COMPRESSION zstd)",
            {"out": str(partial)},
        )
        os.replace(partial, out)
        return staged
    finally:
        con.close()
