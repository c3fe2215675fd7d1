"""Legal bases in the Vietnamese citation form a prosecutor writes: the rule rows say
`BLTTHS 2015 Art. 118(2)`, the pages say "khoản 2 Điều 118 BLTTHS" (point, clause, article,
then the law). A basis the parser does not recognise is shown as written."""

from __future__ import annotations

import re

# laws whose year is dropped in the short form
_SHORT_LAW = {"BLTTHS 2015": "BLTTHS"}
_PART = re.compile(r"^(?P<law>.*?)\s*\bArts?\.\s+(?P<refs>.+)$")
_REF = re.compile(
    r"(?:Art\.\s*)?(?P<article>\d+)(?P<subs>(?:\([0-9a-zđ]+\))*)"
    r"(?:\s*-\s*\((?P<upto>\d+)\))?(?P<para>,\s*(?P<nth>second|third) paragraph)?"
)
_NTH = {"second": "2", "third": "3"}
_TAIL = {"(as read)": "(theo cách hiểu)"}


def _one(m: re.Match[str]) -> str:
    subs = re.findall(r"\(([0-9a-zđ]+)\)", m["subs"] or "")
    words = []
    if m["para"]:
        words.append(f"đoạn {_NTH[m['nth']]}")
    if len(subs) >= 2:
        words.append(f"điểm {subs[1]}")
    if subs:
        clause = subs[0] + (f"–{m['upto']}" if m["upto"] else "")
        words.append(f"khoản {clause}")
    words.append(f"Điều {m['article']}")
    return " ".join(words)


def _part(text: str) -> str:
    text = text.strip()
    found = _PART.match(text)
    if not found:
        return text
    law = _SHORT_LAW.get(found["law"].strip(), found["law"].strip())
    refs = found["refs"]
    tail = ""
    for en, vi in _TAIL.items():
        if refs.endswith(en):
            refs, tail = refs[: -len(en)].strip(), " " + vi
    pieces = re.split(r"\s+and\s+", refs)
    cited = []
    for piece in pieces:
        m = _REF.fullmatch(piece.strip())
        if m is None:
            return text
        cited.append(_one(m))
    return " và ".join(cited) + (f" {law}" if law else "") + tail


def vi_citation(basis: str | None) -> str:
    """`BLTTHS 2015 Art. 278(2) and Art. 277(1)` → `khoản 2 Điều 278 và khoản 1 Điều 277
    BLTTHS`; several sources separated by `;` are converted one by one."""
    if not basis:
        return ""
    return "; ".join(_part(p) for p in basis.split(";"))
