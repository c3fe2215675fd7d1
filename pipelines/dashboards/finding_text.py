"""A deadline finding's detail in both views.

`marts.deadline_findings` carries the finding twice, both built by the SQL models: `detail`,
the contract's English sentence (with codes and rule ids in it), and `detail_vi`, the same in
Vietnamese with codes by their labels. For the pages:

- the Vietnamese view shows `detail_vi` as the models wrote it;
- the English view drops the rule ids (the legal basis column cites the law) and replaces codes
  by their English labels (crime categories, clocks, suspension grounds).
"""

from __future__ import annotations

import re

from pipelines.dashboards.i18n import Bi
from pipelines.dashboards.labels import Labels

#  rule ids ("rule detention:investigation:serious", "(detention_order:investigation:serious:0)")
#  and clock ids in brackets: the legal basis column says which rule applies
_RULE_ID = re.compile(r",?\s*\brule\s+[a-z_]+(?::[a-z0-9_]+)+"
                      r"|,\s*[a-z_]+(?::[a-z0-9_]+)+(?=\))"
                      r"|\s*\([a-z_]+(?::[A-Za-z0-9_-]+)+\)")
_CATEGORY = re.compile(r"\bthan the ([a-z_]+) rules allow\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _codes_en(text: str, labels: Labels) -> str:
    """Codes in the sentence by their labels (a category, a clock, a ground)."""
    text = _RULE_ID.sub("", text)
    text = _CATEGORY.sub(lambda m: "than the " + labels.code("crime_category", m[1]).en.lower()
                         + " rules allow", text)

    def one(m: re.Match[str]) -> str:
        label = labels.code_in(("crime_category", "clock", "suspension_ground"), m.group())
        return label.en if label.en != m.group() else m.group().replace("_", " ")

    return _SNAKE.sub(one, text)


def finding_detail(detail: str | None, detail_vi: str | None, rule: str | None,
                   labels: Labels) -> Bi:
    """The finding as each view shows it; a row without its Vietnamese sentence (a warehouse
    built before `detail_vi` existed) shows its rule's label in the Vietnamese view."""
    if not detail:
        return Bi("–", "–")
    vi = detail_vi or (labels.code("finding_rule", rule).vi if rule else "–")
    return Bi(vi, _codes_en(detail, labels))
