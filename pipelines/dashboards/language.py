"""Is the visible text of a page in one language, with every code shown by its label?

The detector is built from the reference data, not from a hand-kept word list:

- the codes: the `code` column of `reference.codes` (data/reference/codes.csv) and the
  indicator, pillar, stage and campaign codes of their own reference tables;
- the two vocabularies: the words of every Vietnamese label (`label_vi`, `name_vi`, ...) and of
  every English label (`label_en`, `name_en`, ...) of those tables and of `labels.csv`;
- proper names that stay Vietnamese in the English view: the unit names of `units.csv`, the
  place names in them (Bến Tre, Vĩnh Long), the campaign's Vietnamese name and motto (quoted
  as they are, then translated);
- a short list of tokens allowed in both views (`ALLOWED`): abbreviations of laws and bodies,
  product and file-format names.

`problems(text, lang, vocabulary)` lists what is wrong with the visible text of a page shown in
`lang`:

- `raw code`: a snake_case token (`not_a_crime`), a period code (`SY2025`, `2025-Q1`), or a
  code of the code lists that is not a word of that language (`warn`, `met`; `Open` is a word
  in the English view, `open` is not one in the Vietnamese view);
- `English` in the Vietnamese view: an unaccented word that is not a Vietnamese syllable
  (`Resolution`, `All`, `Art`), or a word of the English labels that the Vietnamese labels never
  use (`the`, `by`);
- `Vietnamese` in the English view: a word with Vietnamese letters (`Tất`, `Điều`), or an
  unaccented word of the Vietnamese labels that the English labels never use (`theo`).

Identifiers are not words: unit codes (`BTR-BD`), case, person and prosecutor ids (`C-001`,
`KSV-01`), run ids and anything with a digit are skipped (after the period-code check), and so
is every element marked `translate="no"` (`i18n.tech`: a file, table or column name, a value as
landed) when the page's text is read (`VISIBLE_TEXT_JS`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

#  Tokens shown as they are in both views: legal and institutional abbreviations, the names of
#  the product and of file formats.
ALLOWED = frozenset({
    "BLTTHS", "BLHS", "THAHS", "VKS", "VKSND", "VKSNDTC", "TAND", "KSV", "UBTVQH", "QH",
    "QĐ", "VKSTC", "CEPEJ", "SQL", "casewatch", "DuckDB", "Parquet", "CSV", "XLSX", "PDF",
    "Excel", "Internet", "ISO", "CCCD", "SHA",
})

#  Unaccented Vietnamese words that are also English words (the Vietnamese view may use them).
VI_HOMOGRAPHS = frozenset({"in", "an", "to", "do", "con", "tin", "ban", "hang", "bao", "theo"})

#  Unaccented Vietnamese words of the labels that are also common English words.
EN_HOMOGRAPHS = frozenset({"can", "do", "so", "an", "to", "in", "on", "con", "ban", "tin",
                           "hang", "long", "man", "me", "the", "bao", "chi", "than"})
_SNAKE = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
_PERIOD_CODE = re.compile(r"^(?:SY\d{4}(?:-H[12])?|\d{4}-Q[1-4])$")
_ID_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+$")
_TOKEN = re.compile(r"[^\s,;:!?()\[\]{}\"“”‘’«»·•|/=<>+*&%§–—…]+")
_WORD = re.compile(r"[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[^\W\d_])(?=[A-Z][a-z])")
_PLACE = re.compile(r"(?:tỉnh|thành phố|huyện|thị xã|quận|khu vực \d+)\s+(.+)$")
_VI_SYLLABLE = re.compile(
    r"^(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"[aeiouy]{1,3}(?:ch|nh|ng|c|m|n|p|t)?$"
)
#  Letters of Vietnamese that English never uses (tone marks and the modified vowels).
_VI_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
    re.IGNORECASE,
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_nfc(text or ""))}


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


#  (file, code column, Vietnamese label columns, English label columns)
_SOURCES = (
    ("codes.csv", "code", ("label_vi",), ("label_en",)),
    ("labels.csv", None, ("label_vi",), ("label_en", "label_en_plural")),
    ("indicators.csv", "indicator_code", ("name_vi",), ("name_en",)),
    ("campaign_pillars.csv", "pillar", ("name_vi", "group_name_vi"),
     ("name_en", "group_name_en")),
    ("indicator_stages.csv", "stage", ("stage_name_vi",), ("stage_name_en",)),
    ("campaign.csv", "campaign_code", ("name_vi", "motto_vi"), ("name_en", "motto_en")),
)


@dataclass(frozen=True)
class Problem:
    page: str
    lang: str
    kind: str  # "raw code" | "English" | "Vietnamese"
    token: str
    context: str

    def __str__(self) -> str:
        return f"{self.page} [{self.lang}] {self.kind} {self.token!r} in “{self.context}”"


@dataclass(frozen=True)
class Vocabulary:
    codes: frozenset[str]
    vi_words: frozenset[str]
    en_words: frozenset[str]
    proper_names: tuple[str, ...]  # longest first: masked before the words are judged
    allowed: frozenset[str]

    @classmethod
    def from_reference(cls, reference_dir: Path) -> Vocabulary:
        codes: set[str] = set()
        vi: set[str] = set()
        en: set[str] = set()
        for name, code_col, vi_cols, en_cols in _SOURCES:
            for row in _rows(reference_dir / name):
                if code_col and row.get(code_col):
                    codes.add(row[code_col].strip())
                for c in vi_cols:
                    vi |= _words(row.get(c) or "")
                for c in en_cols:
                    en |= _words(row.get(c) or "")
        units = _rows(reference_dir / "units.csv")
        names = {_nfc(u["name_vi"]) for u in units if u.get("name_vi")}
        #  a campaign's proper name is the quoted part of its Vietnamese name: Đồng Khởi mới
        for r in _rows(reference_dir / "campaign.csv"):
            quoted = re.findall(r'"([^"]+)"', r.get("name_vi") or "")
            names |= {_nfc(q) for q in quoted}
            if r.get("motto_vi"):  # the motto is quoted as it is, then translated
                names.add(_nfc(r["motto_vi"]))
        #  place names of the units (Bến Tre, Vĩnh Long, Châu Thành), for the prose that names them
        for name in list(names):
            place = _PLACE.search(name)
            if place:
                names |= {p.strip() for p in re.split(r"[–(),]", place.group(1)) if p.strip()}
        allowed = set(ALLOWED) | {u["unit_code"] for u in units if u.get("unit_code")}
        return cls(
            codes=frozenset(codes),
            vi_words=frozenset(vi),
            en_words=frozenset(en),
            proper_names=tuple(sorted(names, key=len, reverse=True)),
            allowed=frozenset(allowed),
        )

    @cached_property
    def english_only(self) -> frozenset[str]:
        """Words of the English labels that no Vietnamese label uses."""
        return frozenset(self.en_words - self.vi_words - VI_HOMOGRAPHS)

    @cached_property
    def vietnamese_only(self) -> frozenset[str]:
        """Unaccented words of the Vietnamese labels that no English label uses."""
        return frozenset(w for w in self.vi_words - self.en_words - EN_HOMOGRAPHS
                         if w.isascii() and len(w) > 2)

    def is_word(self, token: str, lang: str) -> bool:
        low = token.lower()
        if lang == "vi":
            return low in self.vi_words or low in VI_HOMOGRAPHS
        return low in self.en_words


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40): end + 40].split())


def problems(text: str, lang: str, vocabulary: Vocabulary, page: str = "") -> list[Problem]:
    """Every raw code and every word of the other language in the visible `text` of a page
    shown in `lang` ("vi" or "en"). One problem per distinct token."""
    if lang not in ("vi", "en"):
        raise ValueError(f"language must be 'vi' or 'en', not {lang!r}")
    text = _nfc(text)
    found: dict[tuple[str, str], Problem] = {}

    def add(kind: str, token: str, start: int, end: int) -> None:
        found.setdefault((kind, token), Problem(page, lang, kind, token,
                                                _context(text, start, end)))

    for m in _SNAKE.finditer(text):
        add("raw code", m.group(), m.start(), m.end())
    masked = text
    for name in vocabulary.proper_names:  # unit names and the campaign's name: proper nouns
        masked = masked.replace(name, " " * len(name))
    for m in _TOKEN.finditer(masked):
        token = m.group().strip(".'’-")
        if not token or _SNAKE.fullmatch(token):
            continue
        if _PERIOD_CODE.match(token):
            add("raw code", token, m.start(), m.end())
            continue
        if token in vocabulary.codes and not vocabulary.is_word(token, lang):
            add("raw code", token, m.start(), m.end())
            continue
        if (token in vocabulary.allowed or any(ch.isdigit() for ch in token)
                or _ID_LIKE.match(token)):
            continue
        for part in _CAMEL.sub(" ", token).split():
            for word in _WORD.findall(part):
                if word in vocabulary.allowed:
                    continue
                kind = _other_language(word, lang, vocabulary)
                if kind:
                    add(kind, word, m.start(), m.end())
    return list(found.values())


def _other_language(word: str, lang: str, vocabulary: Vocabulary) -> str | None:
    low = word.lower()
    if len(word) == 1:  # a point of an article (điểm a), an initial
        return None
    if lang == "vi":
        if not word.isascii():
            return None
        if low in VI_HOMOGRAPHS or low in vocabulary.vi_words:
            return None
        if not _VI_SYLLABLE.match(low) or low in vocabulary.english_only:
            return "English"
        return None
    if _VI_LETTERS.search(word) or low in vocabulary.vietnamese_only:
        return "Vietnamese"
    return None


#  The text a reader sees (without the elements marked translate="no"): the rendered body
#  text, every option of a visible list (an open drop-down shows them all) and the text of
#  visible charts (axis titles, labels, legends).
VISIBLE_TEXT_JS = """() => {
  // technical names shown on purpose (translate="no") are not words of either language
  const hide = document.createElement('style');
  hide.textContent = '[translate="no"] { display: none !important; }';
  document.head.appendChild(hide);
  const parts = [document.body.innerText];
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  document.querySelectorAll('select').forEach((s) => {
    if (shown(s)) { [...s.options].forEach((o) => parts.push(o.text)); }
  });
  document.querySelectorAll('svg text').forEach((t) => {
    if (t.getClientRects().length && getComputedStyle(t).visibility !== 'hidden') {
      parts.push(t.textContent);
    }
  });
  hide.remove();
  return parts.join('\\n');
}"""
