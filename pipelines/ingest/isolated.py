"""Run a reader that can abort the process (XLSX, Parquet) in a child process with limits.

The XLSX reader (fastexcel / calamine) and the Parquet reader (polars) are native code: when
an allocation fails they abort the whole process, and a hostile file can make them try (a
sparse sheet spanning XFD1048576, a Parquet page that claims gigabytes). The pre-checks
(`xlsx_guard`, the Parquet footer in `read`) keep known shapes away; this child process is the
second wall: whatever the reader does, only the child dies, and the file is refused.

`read_isolated(fmt, path, out, memory_bytes, timeout)` runs this file as a script (`-I`:
isolated, importing the reader only, not the pipeline) with an address-space limit
(`RLIMIT_AS`, set in the child before the reader is imported). The child writes what it read
to the Arrow IPC file `out` (uncompressed record batches: reading them back costs a quarter of
reading lz4-compressed ones), which the caller reads back a slice at a time
(`read.LandedStream`) and removes with its temporary folder. A Parquet file
is streamed from row group to row group, never held whole, even in the child. The child's
output is never shown: a reader's messages may quote cell values.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The Parquet reader decodes one row group ahead at most (the default prefetches many, about
# 1 GB for a 7-million-row file of 250,000-row groups, against 0.6 GB).
_CHILD_ENV = {"POLARS_ROW_GROUP_PREFETCH_SIZE": "1"}


class ReaderFailed(Exception):
    """The child reader died, ran out of memory or time: the file is unreadable."""


def read_isolated(fmt: str, path: Path, out: Path, memory_bytes: int, timeout: float) -> Path:
    """Read `path` in a child process into the Arrow IPC file `out`; returns `out`."""
    cmd = [sys.executable, "-I", __file__, fmt, str(path), str(out), str(memory_bytes)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout, check=False, env={**os.environ, **_CHILD_ENV})
    except subprocess.TimeoutExpired as exc:
        raise ReaderFailed(f"the {fmt.upper()} reader took longer than {timeout:.0f} s") from exc
    if proc.returncode != 0 or not out.exists():
        how = (f"stopped by signal {-proc.returncode}" if proc.returncode < 0
               else f"exit code {proc.returncode}")
        raise ReaderFailed(f"the {fmt.upper()} reader failed ({how}; a memory limit of "
                           f"{memory_bytes:,} bytes applies)")
    return out


def _main(argv: list[str]) -> int:
    import resource

    fmt, src, dst, limit = argv[0], argv[1], argv[2], int(argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import polars as pl

    if fmt == "xlsx":
        import fastexcel

        # header_row=None keeps every row (blank rows too), so row numbers match the sheet.
        sheet = fastexcel.read_excel(src).load_sheet(0, header_row=None, dtypes="string")
        sheet.to_polars().write_ipc(dst, compression="uncompressed")
    elif fmt == "parquet":
        pl.scan_parquet(src).sink_ipc(dst, compression="uncompressed")
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
