"""A deadline finding's `detail` in both views.

`marts.deadline_findings.detail` is one English sentence built by the SQL models, with codes in
it (`very_serious`, `report_resolution`, rule ids such as `detention:investigation:serious`).
For the pages:

- both views: rule ids are dropped (the legal basis column cites the law) and codes are
  replaced by their labels (crime categories, clocks, suspension grounds);
- the Vietnamese view: the sentence's fixed phrases are translated (`PHRASES`, longest first;
  dates, numbers and ids are kept). If a word of English is left (a sentence the phrases do not
  cover), the Vietnamese view shows the finding's rule label instead: never English.
"""

from __future__ import annotations

import functools
import re

from pipelines import paths
from pipelines.dashboards.i18n import Bi
from pipelines.dashboards.labels import Labels

#  rule ids ("rule detention:investigation:serious", "(detention_order:investigation:serious:0)")
#  and clock ids in brackets: the legal basis column says which rule applies
_RULE_ID = re.compile(r",?\s*\brule\s+[a-z_]+(?::[a-z0-9_]+)+"
                      r"|,\s*[a-z_]+(?::[a-z0-9_]+)+(?=\))"
                      r"|\s*\([a-z_]+(?::[A-Za-z0-9_-]+)+\)")
_CATEGORY = re.compile(r"\bthan the ([a-z_]+) rules allow\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")

#  English phrase → Vietnamese, applied longest first on word boundaries.
PHRASES: dict[str, str] = {
    "more extensions than the": "số lần gia hạn nhiều hơn mức cho phép đối với loại tội",
    "rules allow": "",
    "ends after the": "kết thúc sau",
    "deadline": "hạn",
    "extends": "gia hạn từ",
    "stated end": "ngày kết thúc ghi trong quyết định",
    "is after the cap": "sau giới hạn",
    "is after the maximum": "sau thời hạn tối đa",
    "has no request date; it was due by": "không có ngày đề nghị; hạn đề nghị là",
    "later than": "muộn hơn mốc",
    "days before the limit": "ngày trước khi hết hạn",
    "days before order": "ngày trước khi lệnh",
    "the request was due by": "hạn đề nghị là",
    "due by": "hạn",
    "by the procuracy": "do Viện kiểm sát trả",
    "by the court": "do Tòa án trả",
    "at most": "tối đa",
    "allowed": "lần được phép",
    "after the deadline it extends": "sau khi thời hạn được gia hạn đã hết",
    "detention extension": "gia hạn tạm giam",
    "detention order": "lệnh tạm giam",
    "custody order": "lệnh tạm giữ",
    "custody days": "ngày tạm giữ",
    "held after": "vẫn bị giam giữ sau khi",
    "custody order ended": "lệnh tạm giữ hết hạn ngày",
    "detention order ended": "lệnh tạm giam hết hạn ngày",
    "order ended": "lệnh hết hạn ngày",
    "with no chained order": "mà không có lệnh tiếp theo",
    "still held at": "vẫn bị giam giữ đến",
    "no release recorded": "không có bản ghi trả tự do",
    "with no custody or detention order covering it": "mà không có lệnh tạm giữ, tạm giam nào",
    "is later order": "là lệnh kế tiếp thứ",
    "later order": "lệnh kế tiếp thứ",
    "only lawful for a national-security crime": "chỉ hợp pháp với tội xâm phạm an ninh quốc gia",
    "but": "nhưng",
    "within": "trong vòng",
    "over the": "vượt",
    "after the": "sau",
    "months of 30 days": "tháng (30 ngày)",
    "no ground given": "không nêu căn cứ",
    "ground": "căn cứ",
    "before the limit expired on": "trước khi hết thời hạn ngày",
    "days early": "ngày trước hạn",
    "day early": "ngày trước hạn",
    "suspended": "tạm đình chỉ ngày",
    "extension": "gia hạn lần",
    "decided": "quyết định ngày",
    "requested": "đề nghị ngày",
    "return": "trả hồ sơ lần",
    "intake": "tiếp nhận",
    "person": "bị can/bị cáo",
    "report": "nguồn tin",
    "investigation": "vụ án",
    "custody": "tạm giữ",
    "detention": "tạm giam",
    "orders": "lệnh",
    "order": "lệnh",
    "from": "từ",
    "until": "đến",
    "ends": "hết hạn ngày",
    "on": "ngày",
    "at": "lúc",
    "of": "của",
    "days": "ngày",
    "day": "ngày",
    "hours": "giờ",
}
_PHRASE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True))
    + r")(?![\w-])"
)


@functools.cache
def _vocabulary():
    from pipelines.dashboards.language import Vocabulary

    return Vocabulary.from_reference(paths.REFERENCE_DIR)


def _codes(text: str, labels: Labels, lang: str) -> str:
    """Codes in the sentence by their labels (a category, a clock, a ground)."""
    text = _RULE_ID.sub("", text)
    text = _CATEGORY.sub(lambda m: "than the " + (labels.code("crime_category", m[1]).vi
                                                  if lang == "vi" else
                                                  labels.code("crime_category", m[1]).en.lower())
                         + " rules allow", text)

    def one(m: re.Match[str]) -> str:
        label = labels.code_in(("crime_category", "clock", "suspension_ground"), m.group())
        text = label.vi if lang == "vi" else label.en
        return text if text != m.group() else m.group().replace("_", " ")

    return _SNAKE.sub(one, text)


def _grounds_vi(text: str, labels: Labels) -> str:
    """A suspension ground is written by its English label; the Vietnamese view uses its own."""
    for (lst, _code), label in labels.codes.items():
        if lst == "suspension_ground" and label.en and label.en in text:
            text = text.replace(label.en, label.vi)
    return text


#  "90-day cap", "72-hour limit": a length and what it is
_LENGTH = re.compile(r"\b(\d+)-(day|hour) (cap|limit|maximum)\b")
_LENGTH_VI = {"day": "ngày", "hour": "giờ", "cap": "giới hạn", "limit": "thời hạn",
              "maximum": "tối đa"}


def finding_detail(detail: str | None, rule: str | None, labels: Labels) -> Bi:
    if not detail:
        return Bi("–", "–")
    en = _codes(detail, labels, "en")
    vi = _LENGTH.sub(lambda m: f"{_LENGTH_VI[m[3]]} {m[1]} {_LENGTH_VI[m[2]]}",
                     _grounds_vi(_codes(detail, labels, "vi"), labels))
    vi = re.sub(r"(\d{2}/\d{2}/\d{4}) to (\d{2}/\d{2}/\d{4})", r"\1 đến \2", vi)
    vi = _PHRASE.sub(lambda m: PHRASES[m.group()], vi)
    vi = re.sub(r"\s+([,;:)])", r"\1", re.sub(r"\s{2,}", " ", vi)).strip()
    from pipelines.dashboards.language import problems

    if problems(vi, "vi", _vocabulary()):
        vi = labels.code("finding_rule", rule).vi if rule else "–"
    return Bi(vi, en)
