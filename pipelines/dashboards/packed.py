"""Data a page carries packed: gzip (reproducible: no timestamp), then base64, in a hidden
`<textarea>` (base64 holds no character HTML reads). The page's `unpack(id)` (base.html) gives
it back with the browser's own `DecompressionStream`; a browser without it keeps what the page
shows as HTML (the grids' rows as plain tables, the selected unit's scorecard)."""

from __future__ import annotations

import base64
import gzip
from typing import Any

from markupsafe import Markup, escape

from pipelines.safe_output import script_json


def packed(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")


def packed_json(obj: Any) -> str:
    """`obj` as JSON (its strings cleaned as in any page script, `script_json`), packed."""
    return packed(str(script_json(obj)).encode("utf-8"))


def textarea(element_id: str, text: str) -> Markup:
    return Markup('<textarea id="{}" hidden aria-hidden="true">{}</textarea>').format(
        element_id, escape(text))

