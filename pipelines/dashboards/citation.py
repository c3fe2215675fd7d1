"""Legal bases as the pages show them.

The rule rows (data/reference/deadline_rules.csv) write `BLTTHS 2015 Art. 118(2)`. The
Vietnamese view shows the citation form a prosecutor writes, "khoản 2 Điều 118 BLTTHS 2015"
(point, clause, article, then the law); the English view keeps the article form and names the
instrument in English ("Resolution 84/2025/UBTVQH15", "THAHS Law 2019"). `citation(basis)`
gives both as a `Bi`: every legal basis on a page goes through it.

A basis the parser does not recognise is shown as written, with the names of instruments
translated ("Resolution" → "Nghị quyết" and back)."""

from __future__ import annotations

import re

from pipelines.dashboards.i18n import Bi

# the names of instruments in each language (the abbreviations BLTTHS, THAHS, VKSND stay)
_INSTRUMENTS = (
    ("Luật Tổ chức VKSND", "Law on the Organisation of People's Procuracies"),
    ("Luật THAHS", "THAHS Law"),
    ("Thông tư liên tịch", "Joint Circular"),
    ("Nghị quyết", "Resolution"),
    ("Quyết định", "Decision"),
    ("QĐ ", "Decision "),
)
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
        return _to_vi(text)
    law = _to_vi(found["law"].strip())
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
            return _to_vi(text)
        cited.append(_one(m))
    return " và ".join(cited) + (f" {law}" if law else "") + tail


def _to_vi(text: str) -> str:
    for vi, en in _INSTRUMENTS:
        if vi != "QĐ ":
            text = text.replace(en, vi)
    return text


def _to_en(text: str) -> str:
    for vi, en in _INSTRUMENTS:
        text = text.replace(vi, en) if vi != "QĐ " else re.sub(r"^QĐ ", en, text)
    return text


def vi_citation(basis: str | None) -> str:
    """`BLTTHS 2015 Art. 278(2) and Art. 277(1)` → `khoản 2 Điều 278 và khoản 1 Điều 277
    BLTTHS 2015`; several sources separated by `;` are converted one by one."""
    if not basis:
        return ""
    return "; ".join(_part(p) for p in basis.split(";"))


def en_citation(basis: str | None) -> str:
    """The English view's form: the article form as written, instruments named in English
    (`Luật THAHS 2019 Art. 22(2)` → `THAHS Law 2019 Art. 22(2)`)."""
    if not basis:
        return ""
    return "; ".join(_to_en(p.strip()) for p in basis.split(";"))


def citation(basis: str | None) -> Bi:
    """A legal basis in both views; "–" when there is none."""
    if not basis or not str(basis).strip():
        return Bi("–", "–")
    return Bi(vi_citation(str(basis)), en_citation(str(basis)))
