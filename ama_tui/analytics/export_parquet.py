"""`export --to parquet OUT`: every journal line as a row of one Parquet file (see
`export_lines`), in file and line order. Each chunk of lines is written as a row group as soon as
it is parsed, so memory stays at one chunk whatever the journals' size (DuckDB's own COPY needs
every row staged first: about 3 GB for a 1,000,000-line journal). Written beside OUT and
renamed, so a reader never sees half a file; a failed export leaves no partial file behind."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ama_tui.analytics import duck
from ama_tui.analytics.export_lines import (
    CHUNK_TABLE,
    EXPORT_COLUMNS,
    StagedLines,
    create_chunk_table,
    stage_chunks,
)
from ama_tui.analytics.progress_line import Progress

_COLUMNS = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS)
_SELECT = f"SELECT {_COLUMNS} FROM {CHUNK_TABLE} ORDER BY file_index, lineNo"


def export_parquet(paths: Sequence[Path], out: Path, progress: Progress | None = None) -> StagedLines:
    import pyarrow.parquet as pq  # only an export needs it (a tenth of a second to import)

    con = duck.connect()
    partial = out.with_name(out.name + ".partial")
    staged = StagedLines(files=len(paths), rows=0, malformed=0)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        create_chunk_table(con)
        schema = con.sql(_SELECT).to_arrow_table().schema
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for so_far in stage_chunks(paths, con, progress):
                writer.write_table(con.sql(_SELECT).to_arrow_table())
                staged = so_far
        os.replace(partial, out)
        return staged
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        con.close()
