"""Worksheet rows written many at a time, for the office workbooks and the unit exports.

xlsxwriter keeps every cell as an object and turns each into XML one call at a time (a few
microseconds a cell); the unit bundles of a national night write some thirty million cells.
`RowSheet` is an xlsxwriter worksheet (pass `worksheet_class=RowSheet` to `add_worksheet`)
whose `write_rows` turns whole rows into the `<sheetData>` XML at once. Everything else of the
workbook (styles, shared strings, column widths, page setup, filters, panes) is still
xlsxwriter's own, and the rows' XML is what xlsxwriter writes for the same values, byte for
byte (`tests/test_xlsx_rows.py` compares both on every kind of value):

- `None` and empty text: no cell;
- `int`, `float`: a number (`NaN` and infinities raise, as `write_number` does);
- `bool`: a boolean cell, or the text given as `booleans`;
- `datetime.date`, `datetime.datetime`: an Excel date in the given format;
- text, and anything else as its `str()`: a shared string, or an inline string when the
  workbook is in `constant_memory` mode or the sheet's `inline_strings` is set (then rows
  carry no `spans`, as in that mode), escaped, cut at Excel's limit and marked to keep
  leading or trailing spaces as xlsxwriter does.

Write the workbooks with `{"in_memory": True}`: xlsxwriter otherwise writes every part of
the package to a temporary file and deletes it, which costs more than the rows of a small
workbook.

With `tokens=True` text is taken as `Worksheet.write()` takes it; the rare text that `write()`
would turn into a formula or a link raises `UnusualValue`, so the caller can write that
sheet through xlsxwriter's own calls instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

__all__ = ["RowSheet", "UnusualValue"]

#  Text that may need more than being placed between tags: XML escapes, control characters
#  and `_xHHHH_` sequences (Excel's own escapes), characters Excel refuses, leading or
#  trailing white space.
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_URL = re.compile(r"(ftp|http)s?://|mailto:|(in|ex)ternal:|file://")
_BLOCK = 16  # rows per "spans" block (xlsxwriter's _calculate_spans)
_HALF_STRMAX = 32767 // 2  # shorter text is never cut (xlsxwriter's _write_string)
_NATIVE = {str, int, float, bool, dt.date, dt.datetime}  # written as what they are


class UnusualValue(ValueError):
    """A value `Worksheet.write()` would not write as a plain cell (a formula, a link)."""


class RowSheet(Worksheet):
    """An xlsxwriter worksheet with `write_rows` (module doc). Cells written by xlsxwriter's
    own `write_*` calls and by `write_rows` cannot be mixed in one sheet."""

    def _initialize(self, init_data: dict) -> None:
        super()._initialize(init_data)
        self._row_xml: list[str] = []
        self._block: list[tuple[str, int, int, str]] = []  # row, first col, last col, cells
        self._block_index = -1
        self._next_row = 0
        self._letters: list[str] = []
        self._dates: dict[Any, str] = {}  # date -> Excel's number for it
        self._texts: dict[str, str] = {}  # text -> its inline cell's end
        #  Inline strings and rows without spans, as xlsxwriter writes them in constant_memory
        #  mode; may be set before the first `write_rows` (module doc).
        self.inline_strings = self.constant_memory

    def write_rows(
        self, first_row: int, rows: Iterable[Sequence[Any]], *,
        cell_format: Format | None = None, date_format: Format | None = None,
        booleans: tuple[str, str] | None = None, tokens: bool = False,
    ) -> int:
        """Write `rows` from row `first_row` (0-based) on, one value per column from A, in
        increasing row order after any rows written before; `cell_format` for every cell
        but dates, `date_format` for dates; `booleans` = (true text, false text) writes
        booleans as text. Returns the number of rows."""
        if first_row < self._next_row:
            raise ValueError(f"row {first_row} comes after row {self._next_row - 1}")
        s = f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""
        date_s = None  # the date format's index, taken when a date first comes (as xlsxwriter)
        shared = not self.inline_strings
        sst = self.str_table._get_shared_string_index
        letters, dates, texts = self._letters, self._dates, self._texts
        spans = not self.inline_strings  # rows carry the spans of their block of 16 rows
        block, out = self._block, self._row_xml
        row_min = row_max = col_min = col_max = None
        n = 0
        i = first_row - 1
        for i, row in enumerate(rows, start=first_row):
            n += 1
            if len(row) > len(letters):
                letters.extend(xl_col_to_name(j) for j in range(len(letters), len(row)))
            r = str(i + 1)
            cells = []
            first = last = -1
            for j, v in enumerate(row):
                if v is None:
                    continue
                kind = v.__class__
                if kind is str or kind is bool and booleans is not None or kind not in _NATIVE:
                    if kind is not str:  # booleans as text; anything else as its text
                        v = (booleans[0] if v else booleans[1]) if kind is bool else str(v)
                    if v == "":
                        continue
                    if tokens and (v[0] in "={" or ":" in v) and self._unusual(v):
                        raise UnusualValue(f"row {i + 1}, column {j + 1}: {v[:40]!r}")
                    if shared:
                        if len(v) > _HALF_STRMAX:
                            v = self._cut(v)
                        cells.append(f'<c r="{letters[j]}{r}"{s} t="s"><v>{sst(v)}</v></c>')
                    else:
                        text = texts.get(v)
                        if text is None:
                            text = texts[v] = self._inline(v)
                        cells.append(f'<c r="{letters[j]}{r}"{s}{text}')
                elif kind is int or kind is float:
                    if kind is float and (math.isnan(v) or math.isinf(v)):
                        raise TypeError("NAN/INF not supported in write_number() "
                                        "without 'nan_inf_to_errors' Workbook() option")
                    cells.append(f'<c r="{letters[j]}{r}"{s}><v>{v:.16G}</v></c>')
                elif kind is bool:
                    cells.append(f'<c r="{letters[j]}{r}"{s} t="b"><v>{1 if v else 0}</v></c>')
                else:  # a date
                    number = dates.get(v)
                    if number is None:
                        when = v if kind is dt.datetime else dt.datetime.combine(v, dt.time())
                        number = dates[v] = f"{self._convert_date_time(when):.16G}"
                    if date_s is None:
                        date_s = (f' s="{date_format._get_xf_index()}"'
                                  if date_format is not None else "")
                    cells.append(f'<c r="{letters[j]}{r}"{date_s}><v>{number}</v></c>')
                if first < 0:
                    first = j
                last = j
            if not cells:
                continue
            if row_min is None:
                row_min, col_min, col_max = i, first, last
            row_max = i
            col_min, col_max = min(col_min, first), max(col_max, last)
            if spans:
                if i // _BLOCK != self._block_index:
                    self._end_block()
                    self._block_index = i // _BLOCK
                    block = self._block
                block.append((r, first, last, "".join(cells)))
            else:
                out.append(f'<row r="{r}">{"".join(cells)}</row>')
        if row_min is not None and (self._check_dimensions(row_min, col_min)
                                    or self._check_dimensions(row_max, col_max)):
            raise ValueError(f"cells outside the worksheet: row {row_max + 1}, "
                             f"column {col_max + 1}")
        self._next_row = i + 1
        return n

    def _unusual(self, text: str) -> bool:
        """Text `Worksheet.write()` writes as a formula or a link (_write_token_as_string)."""
        return bool(self.strings_to_formulas and text.startswith("=")
                    or self.strings_to_formulas and text.startswith("{=") and text.endswith("}")
                    or self.strings_to_urls and ":" in text and _URL.match(text))

    def _cut(self, text: str) -> str:
        """Text cut at Excel's limit, as _write_string cuts it."""
        if _utf16_len(text) > self.xls_strmax:
            return _utf16_truncate(text, self.xls_strmax)
        return text

    def _inline(self, text: str) -> str:
        """The end of an inline text cell, as xlsxwriter's _write_cell writes it."""
        if len(text) > _HALF_STRMAX:
            text = self._cut(text)
        preserve = ""
        if _SPECIAL.search(text):
            text = self._escape_control_characters(text)
            if text.startswith("<r>") and text.endswith("</r>"):
                raise UnusualValue(f"rich text {text[:40]!r}")
            if _preserve_whitespace(text):
                preserve = ' xml:space="preserve"'
            text = self._escape_data(text)
        return f' t="inlineStr"><is><t{preserve}>{text}</t></is></c>'

    def _end_block(self) -> None:
        if self._block:
            spans = (f"{min(b[1] for b in self._block) + 1}:"
                     f"{max(b[2] for b in self._block) + 1}")
            self._row_xml.extend(f'<row r="{r}" spans="{spans}">{cells}</row>'
                                 for r, _, _, cells in self._block)
            self._block = []

    def _write_rows_xml(self) -> None:
        self._end_block()
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
            return
        self._xml_start_tag("sheetData")
        for chunk in range(0, len(self._row_xml), 4096):
            self.fh.write("".join(self._row_xml[chunk:chunk + 4096]))
        self._xml_end_tag("sheetData")

    def _write_sheet_data(self) -> None:
        if self._row_xml or self._block:
            self._write_rows_xml()
        else:
            super()._write_sheet_data()

    def _write_optimized_sheet_data(self) -> None:
        if self._row_xml:
            self.discard_row_file()
            self._write_rows_xml()
        else:
            super()._write_optimized_sheet_data()

    def discard_row_file(self) -> None:
        """Remove the temporary file xlsxwriter opens for a sheet's rows in constant_memory
        mode (`write_rows` keeps the rows itself): when the workbook is assembled, or when
        it is given up without being closed."""
        if self.constant_memory and self.row_data_fh is not None:
            if not self.row_data_fh_closed:
                self.row_data_fh.close()
                self.row_data_fh_closed = True
            Path(self.row_data_filename).unlink(missing_ok=True)
            self.row_data_fh = None
