"""Landed values written into files people open: spreadsheets, pages and the data in pages.

Values come from one unit's submission and are opened by someone else, so every write point
passes them through here:

- `csv_cell` — a CSV (or XLSX) cell: a text starting with `=`, `+`, `-`, `@`, tab or carriage
  return is prefixed with `'` so a spreadsheet shows it instead of evaluating it (OWASP, "CSV
  injection"); plus `clean_text`.
- `clean_text` — any text shown: NUL removed, bidirectional control characters shown as
  `[U+202E]` instead of reordering what follows them, and cut to `MAX_CHARS` with `…` (the
  full value stays in the raw layer).
- `script_json` / `escape_script_json` — the one way data enters a page's `<script>`: JSON with
  `<`, `>`, `&`, U+2028 and U+2029 escaped, so no value can close the script, open a comment
  or end a JavaScript string; its strings cleaned as above.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup

MAX_CHARS = 500
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_CHARS = re.compile("[<>&\u2028\u2029]")


def clean_text(value: str, max_chars: int = MAX_CHARS) -> str:
    """NUL removed, bidi controls made visible, cut to `max_chars` (with `…`)."""
    text = value.replace("\x00", "")
    text = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


def csv_cell(value: Any) -> Any:
    """A value for a CSV or XLSX cell: text cleaned and never read as a formula; numbers and
    empty values as they are."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = clean_text(str(value))
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text


def _clean_tree(obj: Any) -> Any:
    # Not cut: chart specifications hold long expressions; landed values in charts are
    # aggregated labels.
    if isinstance(obj, str):
        return clean_text(obj, max_chars=len(obj))
    if isinstance(obj, dict):
        return {(clean_text(k, len(k)) if isinstance(k, str) else k): _clean_tree(v)
                for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_tree(v) for v in obj]
    return obj


def escape_script_json(text: str) -> Markup:
    """JSON text made safe inside `<script>` (only characters that are never JSON syntax are
    replaced, by their `\\u` escapes, so the value is unchanged)."""
    return Markup(_SCRIPT_CHARS.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text))


def script_json(obj: Any) -> Markup:
    """`obj` as JSON for a page's `<script>`, its strings cleaned (`clean_text`, not cut)."""
    text = json.dumps(_clean_tree(obj), ensure_ascii=False, default=str, separators=(",", ":"))
    return escape_script_json(text)


def finalize(value: Any) -> Any:
    """Jinja `finalize`: every plain text printed into a page is cleaned (markup built by the
    project itself passes as it is)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value
