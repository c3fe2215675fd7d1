"""Run a reader that can abort the process (XLSX, Parquet) in a child process with limits.

The XLSX reader (fastexcel / calamine) and the Parquet reader (polars) are native code: when
an allocation fails they abort the whole process, and a hostile file can make them try (a
sparse sheet spanning XFD1048576, a Parquet page that claims gigabytes). The pre-checks
(`xlsx_guard`, the Parquet footer in `read`) keep known shapes away; this child process is the
second wall: whatever the reader does, only the child dies, and the file is refused.

`read_isolated(fmt, path, memory_bytes, timeout)` runs this file as a script (`-I`: isolated,
importing the reader only, not the pipeline) with an address-space limit (`RLIMIT_AS`, set in
the child before the reader is imported) and reads back the frame from an Arrow IPC file in a
temporary folder that is always removed. The child's output is never shown: a reader's
messages may quote cell values.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl


class ReaderFailed(Exception):
    """The child reader died, ran out of memory or time: the file is unreadable."""


def read_isolated(fmt: str, path: Path, memory_bytes: int, timeout: float) -> pl.DataFrame:
    with tempfile.TemporaryDirectory(prefix="casewatch-read-") as tmp:
        out = Path(tmp) / "frame.arrow"
        cmd = [sys.executable, "-I", __file__, fmt, str(path), str(out), str(memory_bytes)]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReaderFailed(f"the {fmt.upper()} reader took longer than {timeout:.0f} s"
                               ) from exc
        if proc.returncode != 0 or not out.exists():
            how = (f"stopped by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exit code {proc.returncode}")
            raise ReaderFailed(f"the {fmt.upper()} reader failed ({how}; a memory limit of "
                               f"{memory_bytes:,} bytes applies)")
        # Read into memory: the file goes with its temporary folder.
        return pl.DataFrame(pl.read_ipc(out)).clone()


def _main(argv: list[str]) -> int:
    import resource

    fmt, src, dst, limit = argv[0], argv[1], argv[2], int(argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if fmt == "xlsx":
        import fastexcel

        # header_row=None keeps every row (blank rows too), so row numbers match the sheet.
        sheet = fastexcel.read_excel(src).load_sheet(0, header_row=None, dtypes="string")
        frame = sheet.to_polars()
    elif fmt == "parquet":
        frame = pl.read_parquet(src)
    else:
        return 2
    frame.write_ipc(dst, compression="zstd")  # smaller and faster to pass than raw
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
