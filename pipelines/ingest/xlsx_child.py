"""Read a workbook's first sheet in a child process under a memory limit.

The XLSX reader (fastexcel / calamine) aborts the whole process when an allocation fails; the
workbook pre-check (`xlsx_guard`) keeps such workbooks away from it, and this child process is
the second wall: whatever the reader does, only the child dies, and the file is refused.

`read_isolated(path, memory_bytes, timeout)` runs this file as a script with
an address-space limit (`RLIMIT_AS`, set in the child before the reader is imported) and reads
back the sheet, every cell as text, from an Arrow IPC file in a temporary folder that is always
removed. The child's output is never shown: a reader's messages may quote cell values.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl


class ReaderFailed(Exception):
    """The child reader died, ran out of memory or time: the file is unreadable."""


def read_isolated(path: Path, memory_bytes: int, timeout: float) -> pl.DataFrame:
    with tempfile.TemporaryDirectory(prefix="casewatch-xlsx-") as tmp:
        out = Path(tmp) / "sheet.arrow"
        # Run as a script (-I: isolated), so the child imports the reader only, not the
        # pipeline (Dagster) through the package.
        cmd = [sys.executable, "-I", __file__, str(path), str(out), str(memory_bytes)]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReaderFailed(f"the XLSX reader took longer than {timeout:.0f} s") from exc
        if proc.returncode != 0 or not out.exists():
            how = (f"stopped by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exit code {proc.returncode}")
            raise ReaderFailed(f"the XLSX reader failed ({how}; a memory limit of "
                               f"{memory_bytes:,} bytes applies)")
        # Read into memory: the file goes with its temporary folder.
        return pl.DataFrame(pl.read_ipc(out)).clone()


def _main(argv: list[str]) -> int:
    import resource

    src, dst, limit = argv[0], argv[1], int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import fastexcel

    # header_row=None keeps every row (blank rows too), so row numbers match the sheet.
    sheet = fastexcel.read_excel(src).load_sheet(0, header_row=None, dtypes="string")
    sheet.to_polars().write_ipc(dst)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
