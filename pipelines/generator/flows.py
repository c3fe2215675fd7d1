"""Case-handling flows for one territory: crime reports → cases → investigation → prosecution →
trial → appeal → execution, with the custody and detention chain of every held person.

Everything is decided by one `random.Random` per territory, in a fixed order, so a territory's
records depend only on the seed and the territory. Most handling is on time; a small share is
prolonged, extended, suspended, returned, late, overdue or irregular (`domain.md` §4–§5), which
is what the deadline engine exists to find. Every share comes from the territory's `Knobs`
(`calibration.py`: the published figures of `data/reference/calibration.csv` and the
generator's own parameters); the numbers left here are the law's limits and day ranges.

Each record version is recorded with its *entry day* (when it was typed into the source system,
a few days after the fact at most, rarely weeks) and its `updated_at`. A version entered after
the generation's last day is not delivered. A record is never entered before the record it
refers to, so delivery out of order only happens where the delivery layer plants it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from pipelines.generator.calibration import (
    CATEGORIES,
    ESPECIALLY,
    LESS,
    SERIOUS,
    VERY,
    Knobs,
    rate_for_day,
)
from pipelines.generator.contract11 import suspension_day
from pipelines.generator.dates import (
    DAY,
    add_months,
    add_workdays,
    from_day,
    next_workday,
    to_day,
    weekday,
)
from pipelines.generator.world import Territory, fictitious_name, scramble

# Penal Code 2015 articles and clauses by category (Art. 9: the bracket's maximum), with weights.
ARTICLES: dict[str, list[tuple[int, int, float]]] = {
    LESS: [(173, 1, 30), (174, 1, 8), (134, 1, 10), (321, 1, 14), (178, 1, 5), (318, 1, 5),
           (330, 1, 2), (175, 1, 2), (260, 1, 0)],
    SERIOUS: [(173, 2, 8), (174, 2, 4), (134, 2, 9), (249, 1, 12), (251, 1, 6), (321, 2, 4),
              (322, 1, 3), (260, 1, 5), (318, 2, 1), (145, 1, 1), (175, 2, 1), (304, 1, 1)],
    VERY: [(173, 3, 2), (174, 3, 2), (134, 3, 3), (249, 2, 4), (251, 2, 5), (260, 2, 2),
           (168, 1, 3), (168, 2, 1), (123, 2, 1), (145, 2, 1)],
    ESPECIALLY: [(251, 3, 4), (123, 1, 3), (174, 4, 1), (168, 3, 1), (134, 5, 1)],
}

INV_BASE = {LESS: 2, SERIOUS: 3, VERY: 4, ESPECIALLY: 4}  # months, Art. 172(1)
INV_EXT = {LESS: [2], SERIOUS: [3, 2], VERY: [4, 4], ESPECIALLY: [4, 4, 4, 4]}  # Art. 172(2)-(3)
RESUMED_BASE = {LESS: 2, SERIOUS: 2, VERY: 3, ESPECIALLY: 3}  # months, Art. 174(1)
RESUMED_EXT = {LESS: 1, SERIOUS: 2, VERY: 2, ESPECIALLY: 3}
PROS_LIMIT = {LESS: 20, SERIOUS: 20, VERY: 30, ESPECIALLY: 30}  # days, Art. 240
PROS_EXT = {LESS: 10, SERIOUS: 10, VERY: 15, ESPECIALLY: 30}
TRIAL_MONTHS = {LESS: 0, SERIOUS: 0, VERY: 2, ESPECIALLY: 3}  # Art. 277(1)
TRIAL_DAYS = {LESS: 30, SERIOUS: 45, VERY: 60, ESPECIALLY: 90}  # same, 30-day months
TRIAL_EXT = {LESS: 15, SERIOUS: 15, VERY: 30, ESPECIALLY: 30}
DET_INV_BASE = {LESS: 60, SERIOUS: 90, VERY: 120, ESPECIALLY: 120}  # days, Art. 173
DET_INV_EXT = {LESS: [30], SERIOUS: [60], VERY: [90], ESPECIALLY: [120, 120]}
CUSTODIAL = ("prison", "life")

UNKNOWN_PENDING = 10**9  # "never": a day beyond any generation


@lru_cache(maxsize=256)
def _cumulative(weights: tuple) -> tuple[list[float], float]:
    cum = list(accumulate(weights))
    return cum, cum[-1]


def _choose(rng: random.Random, items, weights):
    """One of `items`, drawn with `weights` (a cheaper `random.choices`)."""
    cum, total = _cumulative(tuple(weights))
    return items[bisect_right(cum, rng.random() * total)]


@lru_cache(maxsize=256)
def _split(pairs: tuple) -> tuple[tuple, tuple]:
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _pick(rng: random.Random, pairs: tuple):
    """One item of a knob's ((item, weight), ...)."""
    items, weights = _split(pairs)
    return _choose(rng, items, weights)


@dataclass
class PersonState:
    person_id: str
    full_name: str
    national_id: str
    birth_day: int
    sex: str
    free_from: int  # day from which the person may appear in a new case


class Recorder:
    """Collects record versions per table as tuples in contract column order, followed by
    `updated_at` (seconds) and the entry day. Versions entered after `end` are dropped."""

    def __init__(self, end: int) -> None:
        self.end = end
        self.rows: dict[str, list[tuple]] = {
            t: [] for t in ("crime_reports", "cases", "persons", "case_events",
                            "detention_orders", "detention_movements", "judgements",
                            "execution_events", "manual_scores")
        }

    def add(self, table: str, row: tuple, entry: int, ts: int) -> None:
        if entry <= self.end:
            self.rows[table].append((*row, ts, entry))


class TerritorySim:
    """Simulates every crime report, case and held person of one territory."""

    def __init__(self, t: Territory, seed: int, start: int, end: int, rec: Recorder) -> None:
        self.t = t
        self.rng = random.Random(f"{seed}:territory:{t.index}")
        self.start, self.end = start, end
        self.rec = rec
        self.counters: dict[str, int] = {}
        self.pool: list[PersonState] = []  # earlier accused who may re-offend
        self.case_last = 0  # last activity day of the case being simulated
        self.moved: dict[str, int] = {}  # entry day of each person's latest movement
        self._random = self.rng.random
        self.k: Knobs = t.knobs
        self.custody_persons = 0  # persons of cases held in custody (for custody_released)
        # the sample shows one of each rare outcome (in its first territory, after a year)
        self.showcase = ({"acquitted", "wrongful", "protest_superior", "protest_withdrawn"}
                         if self.k.showcase and t.index == 1 else set())

    def rare(self, what: str, day: int) -> bool:
        """True once for `what` in a showcase territory, after its first year."""
        if what in self.showcase and day >= self.start + 365:
            self.showcase.discard(what)
            return True
        return False

    def poisson(self, mean: float) -> int:
        """About Poisson(mean) (normal approximation; exact enough for the volumes here)."""
        if mean <= 0:
            return 0
        if mean < 30:
            n, limit, product = 0, math.exp(-mean), self._random()
            while product > limit:
                n += 1
                product *= self._random()
            return n
        return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))

    def days_by_year(self, per_year: dict[int, float], share: float = 1.0) -> list[int]:
        """Sorted days of a Poisson process over the simulated period whose yearly rate
        (× the unit's size × `share`) changes with the National Assembly year (01/10–30/09)."""
        days: list[int] = []
        segment = self.start
        while segment <= self.end:
            d = from_day(segment)
            next_oct = to_day(dt.date(d.year + (1 if d.month >= 10 else 0), 10, 1))
            last = min(self.end, next_oct - 1)
            rate = rate_for_day(per_year, d) * self.t.size * share
            n = self.poisson(rate * (last - segment + 1) / 365.25)
            days.extend(self.ri(segment, last) for _ in range(n))
            segment = last + 1
        return sorted(days)

    def instituted_share(self, day: int) -> float:
        """Share of resolved reports that become a case, so that new cases follow their
        calibrated yearly volume (the rest come without a report)."""
        k, d = self.k, from_day(day)
        resolved = 1 - k.report_suspended * (1 - k.report_resumed - k.report_suspension_cancelled)
        from_reports = rate_for_day(k.cases_per_year, d) * (1 - k.cases_without_report)
        return min(0.9, from_reports / (rate_for_day(k.reports_per_year, d) * resolved))

    def ri(self, lo: int, hi: int) -> int:
        """A uniform integer in [lo, hi] (a cheaper `randint`)."""
        return lo + int(self._random() * (hi - lo + 1))

    # ------------------------------------------------------------------ helpers
    def nid(self, prefix: str, width: int = 7) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}{self.t.index:03d}{n:0{width}d}"

    def stamp(self, day: int, after: int = 0) -> tuple[int, int]:
        """Entry day and updated_at (whole minutes) of a record about `day`."""
        r = self.rng.random()
        lag = 0
        for share, least, most in self.k.entry_lag:
            if r < share:
                lag = least if least == most else self.ri(least, most)
                break
        entry = day + lag
        if weekday(entry) >= 5 and self.rng.random() < self.k.entry_weekend_moved:
            entry = next_workday(entry)
        if entry < after:
            entry = after
        return entry, entry * DAY + 60 * self.ri(450, 1050)

    def prosecutor(self, day: int) -> str | None:
        active = [p.prosecutor_id for p in self.t.prosecutors
                  if p.valid_from <= day and (p.valid_to is None or p.valid_to >= day)]
        if not active:
            active = [p.prosecutor_id for p in self.t.prosecutors]
        return self.rng.choice(active)

    def event(self, etype: str, subject_type: str, subject_id: str, case_id: str | None,
              day: int, body: str, after: int, *, received: int | None = None,
              judgement_id: str | None = None, stated_end: int | None = None,
              ext_no: int | None = None, requested: int | None = None,
              outcome: str | None = None, return_by: str | None = None,
              return_ground: str | None = None, category: str | None = None,
              article: int | None = None, to_unit: str | None = None,
              accepted: bool | None = None) -> int:
        entry, ts = self.stamp(day if received is None else max(day, received), after)
        self.rec.add("case_events", (
            self.nid("SK", 8), etype, subject_type, subject_id, case_id, day, received,
            judgement_id, stated_end, ext_no, requested, outcome, body, return_by,
            return_ground, category, article, to_unit, accepted), entry, ts)
        if case_id is not None and day > self.case_last:
            self.case_last = day
        return entry

    def order(self, person_id: str, case_id: str | None, facility: str, measure: str,
              stage: str, ext_no: int, start_ts: int, stated_end: int, after: int,
              approved_ts: int | None = None, requested: int | None = None,
              issued: int | None = None) -> int:
        day = start_ts // DAY if issued is None else issued
        entry, ts = self.stamp(day, after)
        if ts < start_ts and entry == start_ts // DAY:
            ts = start_ts + 60 * self.ri(10, 180)  # typed in after it started
        self.rec.add("detention_orders", (
            self.nid("LTG"), person_id, case_id, self.t.unit_at(start_ts // DAY), facility,
            measure, stage, ext_no, start_ts, stated_end, approved_ts, requested), entry, ts)
        return entry

    def movement(self, person_id: str, facility: str, mtype: str, at_ts: int,
                 reason: str | None = None) -> None:
        entry, ts = self.stamp(at_ts // DAY, self.moved.get(person_id, 0))
        self.moved[person_id] = entry
        self.rec.add("detention_movements", (
            self.nid("BD", 8), person_id, facility, mtype, at_ts, reason), entry, ts)

    def execution(self, judgement_id: str, person_id: str, etype: str, day: int, body: str,
                  after: int) -> int:
        entry, ts = self.stamp(day, after)
        self.rec.add("execution_events", (
            self.nid("TH", 8), judgement_id, person_id, etype, day,
            body if self.rng.random() < self.k.execution_body_recorded else None), entry, ts)
        return entry

    # ------------------------------------------------------------------ the territory
    def run(self) -> None:
        k = self.k
        for day in self.days_by_year(k.reports_per_year):
            self.report(day)
        # cases instituted without a crime report (caught in the act, found by the police)
        for day in self.days_by_year(k.cases_per_year, k.cases_without_report):
            self.case(None, day, 0, self.prosecutor(day))
        # arrests that ended without a case: custody only, person not in `persons`; as many as
        # make `custody_released` of everyone held in custody
        released = self.poisson(self.custody_persons * k.custody_released
                                / (1 - k.custody_released))
        for day in sorted(self.ri(self.start, self.end) for _ in range(released)):
            self.custody_without_case(day)
        self.manual_scores()

    # ------------------------------------------------------------------ crime reports
    def report(self, recv: int) -> None:
        rng, t = self.rng, self.t
        r = rng.random
        rid = self.nid("NT")
        k = self.k
        pros = self.prosecutor(recv) if r() >= k.report_without_prosecutor else None
        source = _pick(rng, k.report_sources)
        body = "cqdt" if r() < k.report_by_investigators else "other_investigating"
        entry, ts = self.stamp(recv)
        self.rec.add("crime_reports", (rid, t.unit_at(recv), pros, source, recv, body),
                     entry, ts)
        if entry > self.end:
            return
        ev = self.event
        u = r()
        prolonged = k.report_prolonged
        extended = prolonged + k.report_prolonged_extended
        suspended_until = extended + k.report_suspended
        resolved: int | None
        if u >= suspended_until + k.report_late:  # most within 20 days
            resolved = recv + self.ri(2, 20)
        elif u < prolonged:  # prolonged (complex): up to 2 months from receipt
            prolonged_end = add_months(recv, 2)
            ev("report_prolonged", "report", rid, None, recv + self.ri(12, 20), body,
               entry, stated_end=prolonged_end, ext_no=1)
            resolved = self.ri(recv + 21, prolonged_end)
            if r() < k.report_prolonged_late:
                resolved = prolonged_end + self.ri(1, 15)
        elif u < extended:  # prolonged, then extended once by the procuracy
            prolonged_end = add_months(recv, 2)
            ev("report_prolonged", "report", rid, None, recv + self.ri(12, 20), body,
               entry, stated_end=prolonged_end, ext_no=1)
            extended_end = add_months(prolonged_end, 2)
            if r() < k.report_extension_beyond_max:
                extended_end += self.ri(3, 15)  # beyond the 4-month maximum
            ev("report_extended", "report", rid, None, prolonged_end - self.ri(1, 10),
               "vks", entry, stated_end=extended_end, ext_no=2)
            resolved = self.ri(prolonged_end + 1, extended_end)
        elif u < suspended_until:  # suspended when the limit expired
            if r() < k.report_suspended_at_20_days:
                suspended = suspension_day(rng, recv + 20)
            else:
                prolonged_end = add_months(recv, 2)
                ev("report_prolonged", "report", rid, None, recv + self.ri(12, 20), body,
                   entry, stated_end=prolonged_end, ext_no=1)
                suspended = suspension_day(rng, prolonged_end)
            ev("report_suspended", "report", rid, None, suspended, body, entry)
            v = r()
            if v < k.report_resumed:
                resumed = suspended + self.ri(20, 240)
                ev("report_resumed", "report", rid, None, resumed, body, entry)
                resolved = resumed + (self.ri(5, 30) if r() < k.report_resumed_on_time
                                      else self.ri(32, 50))
            elif v < k.report_resumed + k.report_suspension_cancelled:
                # the procuracy cancels an unfounded suspension
                cancelled = suspended + self.ri(3, 20)
                received = cancelled + self.ri(1, 5)
                ev("report_suspension_cancelled", "report", rid, None, cancelled, "vks", entry,
                   received=received)
                resolved = received + self.ri(5, 30)
            else:
                resolved = None  # stays suspended
        else:  # late without any extension
            resolved = recv + self.ri(21, 45)
        if resolved is None:
            return
        if r() < self.instituted_share(resolved):
            outcome = "instituted"
        else:
            outcome = _pick(rng, k.report_other_outcomes)
        if outcome == "instituted":
            if r() < k.vks_requested_institution:
                ev("vks_requested_institution", "report", rid, None,
                   max(recv + 1, resolved - self.ri(3, 10)), "vks", entry)
            if r() < k.instituted_resolved_event:
                ev("report_resolved", "report", rid, None, resolved, body, entry,
                   outcome="instituted")
            self.case(rid, resolved, entry, pros)
            return
        ev("report_resolved", "report", rid, None, resolved, body, entry, outcome=outcome)
        if outcome == "not_instituted" and r() < k.non_institution_cancelled:  # missed crime
            cancelled = resolved + self.ri(10, 40)
            ev("non_institution_cancelled", "report", rid, None, cancelled, "vks", entry)
            self.case(rid, cancelled + self.ri(3, 15), entry, pros)

    # ------------------------------------------------------------------ people
    def new_person(self, day: int) -> PersonState:
        rng, k = self.rng, self.k
        if self.pool and rng.random() < k.reoffender:
            candidate = self.pool[rng.randrange(len(self.pool))]
            if candidate.free_from < day - 30:
                return candidate
        female = rng.random() < k.female
        birth = day - self.ri(16 * 365 + 5, 65 * 365)
        year = 1970 + birth // 365  # close enough for the CCCD century digit
        century = (0 if year < 2000 else 2) + (1 if female else 0)
        national_id = (f"{self.t.national_id_prefix}{century}{year % 100:02d}"
                       f"{rng.randrange(10**6):06d}")
        n = self.counters.get("BC", 0) + 1
        self.counters["BC"] = n
        person = PersonState(
            person_id=f"BC{scramble(self.t.index * 10_000_000 + n, 40):010X}",
            full_name=fictitious_name(rng, female),
            national_id=national_id if rng.random() < k.national_id_known else "",
            birth_day=birth,
            sex="female" if female else "male",
            free_from=UNKNOWN_PENDING,
        )
        self.pool.append(person)
        return person

    def custody_without_case(self, day: int) -> None:
        rng, t = self.rng, self.t
        person = self.new_person(day)
        start_ts = day * DAY + 60 * self.ri(0, 1439)
        end = (start_ts + 3 * DAY) // DAY
        entry = self.order(person.person_id, None, t.custody_facility, "custody",
                           "investigation", 0, start_ts, end, 0)
        if entry > self.end:
            return
        self.movement(person.person_id, t.custody_facility, "intake", start_ts)
        release_ts = start_ts + self.ri(6, 70) * 3600
        reason = _pick(rng, self.k.custody_only_release_reasons)
        self.movement(person.person_id, t.custody_facility, "release", release_ts, reason)
        person.free_from = release_ts // DAY

    # ------------------------------------------------------------------ cases
    def case(self, report_id: str | None, inst: int, report_entry: int,
             pros: str | None) -> None:
        rng, t, k = self.rng, self.t, self.k
        r, ri = rng.random, self.ri
        ev = self.event
        cat = _choose(rng, CATEGORIES, k.category_mix)
        article, clause, _ = _choose(rng, ARTICLES[cat], [a[2] for a in ARTICLES[cat]])
        case_id = self.nid("VA")
        if pros is None and r() < k.case_prosecutor_assigned:
            pros = self.prosecutor(inst)
        case_entry, ts = self.stamp(inst, report_entry)
        self.rec.add("cases", (case_id, t.unit_at(inst), pros, report_id, inst, article,
                               clause if r() < k.clause_recorded else None, cat), case_entry, ts)
        if case_entry > self.end:
            return
        self.case_last = inst

        # --- accused persons (none when the suspect is unknown), with who is held
        unknown = r() < k.unknown_suspect
        n_persons = 0 if unknown else _choose(rng, range(1, len(k.accused_weights) + 1),
                                              k.accused_weights)
        persons = [self.accused(inst, n, cat) for n in range(n_persons)]
        held = any(p["detained"] for p in persons)

        # --- charge change (re-classification during the investigation)
        final_cat = cat
        if r() < k.charge_changed:
            idx = CATEGORIES.index(cat)
            new_idx = min(3, idx + 1) if (idx == 0 or r() < k.charge_changed_up) else idx - 1
            final_cat = CATEGORIES[new_idx]
            if final_cat != cat:
                same = [a for a in ARTICLES[final_cat] if a[0] == article]
                new_article = (same or ARTICLES[final_cat])[0][0]
                ev("charge_changed", "case", case_id, case_id, inst + ri(5, 25), "cqdt",
                   case_entry, category=final_cat, article=new_article)
        cat = final_cat

        # --- persons charged, charges approved, custody and first detention
        for p in persons:
            self.charge_person(p, case_id, inst, case_entry, cat)

        if persons and r() < k.vks_requested_other_accused:  # missed-crime signal
            day = inst + ri(10, 40)
            ev("vks_requested_institution", "case", case_id, case_id, day, "vks", case_entry)
            extra = {"p": self.new_person(day), "charged": day + ri(3, 15), "custody": False,
                     "detained": False, "entry": 0, "out": None,
                     "release": None}
            self.charge_person(extra, case_id, inst, case_entry, cat)
            persons.append(extra)

        # --- investigation (Art. 172), suspension (Art. 229), termination
        segments: list[tuple] = []  # (stage, start, end, base_days, ext_days) for detention
        needed = k.extensions_needed[cat]
        k_needed = _choose(rng, range(len(needed)), needed)
        if r() < k.extension_one_too_many:
            k_needed = len(INV_EXT[cat]) + 1  # one more than the law allows
        u = r()
        if unknown or u < k.investigation_suspended:
            path = "suspend"
        elif u < k.investigation_suspended + k.investigation_dropped:
            path = "terminate"
        else:
            path = "normal"
        if unknown:
            k_needed = min(k_needed, 1)
        n_emit = ri(0, k_needed) if path == "terminate" else k_needed
        due, previous_due = add_months(inst, INV_BASE[cat]), inst
        for n in range(1, n_emit + 1):
            caps = INV_EXT[cat]
            cap = caps[n - 1] if n <= len(caps) else caps[-1]
            due, previous_due = self.extension(case_id, case_entry, due, cap, n), due
        conclusion_window = (max(inst + 20, previous_due + 1), due)

        last_charge = max((p["charged"] for p in persons), default=inst)
        if path == "suspend":  # when the limit has expired (suspect unknown or at large)
            suspended = max(suspension_day(rng, due), last_charge + ri(5, 15))
            ev("investigation_suspended", "case", case_id, case_id, suspended, "cqdt", case_entry)
            segments.append(("investigation", inst, suspended, None, None))
            for p in persons:
                p["release"] = (suspended, "measure_changed")
            if r() >= (k.unknown_suspect_found if unknown else k.investigation_resumed):
                self.finish_case(case_id, inst, case_entry, persons, segments, cat)
                return
            resumed = suspended + ri(30, 400)
            ev("investigation_resumed", "case", case_id, case_id, resumed, "cqdt", case_entry)
            if unknown:  # resumed because a suspect was found
                for n in range(_choose(rng, range(1, len(k.accused_weights) + 1),
                                       k.accused_weights)):
                    p = self.accused(resumed, n, cat)
                    self.charge_person(p, case_id, resumed, case_entry, cat)
                    persons.append(p)
                held = any(p["detained"] for p in persons)
                last_charge = max(p["charged"] for p in persons)
                segments = []  # nobody was held before: their stages start now
            due = add_months(resumed, RESUMED_BASE[cat])
            start_window = resumed + 15
            if r() < k.investigation_resumed_extended:
                start_window = due + 1
                due = self.extension(case_id, case_entry, due, RESUMED_EXT[cat], 1)
            conclusion_window = (start_window, due)
        elif path == "terminate":
            earliest = max(inst + 20, last_charge + 5)
            terminated = ri(earliest, max(earliest, due))
            ev("case_terminated", "case", case_id, case_id, terminated, "cqdt", case_entry,
               outcome=self.termination_outcome(cat, terminated))
            segments.append(("investigation", inst, terminated, None, None))
            self.close_persons(persons, terminated, "case_terminated")
            self.finish_case(case_id, inst, case_entry, persons, segments, cat)
            return

        lo, hi = conclusion_window
        lo = max(lo, last_charge + 10)  # everyone charged is questioned before the conclusion
        # most investigations use much of their time: closer to the limit than uniform
        concluded = max(lo, hi) - int((max(lo, hi) - lo) * r() ** 2)
        if not held and r() < k.investigation_late:
            concluded = due + ri(1, 20)  # concluded late, without an extension
        self.person_level_events(persons, case_id, case_entry, inst, concluded, cat)
        ev("investigation_concluded", "case", case_id, case_id, concluded, "cqdt", case_entry)
        filed = concluded + ri(0, 3)
        ev("file_received_by_vks", "case", case_id, case_id, filed, "vks", case_entry)
        segments.append(("investigation", inst, filed, None, None))

        # --- prosecution (Art. 240), returns to the investigation body (Art. 245)
        limit, ext = PROS_LIMIT[cat], PROS_EXT[cat]
        returns = 0
        while True:
            u = r()
            p_return = ((k.vks_return, *k.vks_return_again)[min(returns, 2)] if returns < 3
                        else 0.0)
            if u < p_return:
                returns += 1
                returned = filed + ri(5, limit - 1)
                received = returned + ri(1, 4)
                ground = _pick(rng, k.return_grounds)
                ev("returned_by_vks", "case", case_id, case_id, returned, "vks", case_entry,
                   received=received, return_ground=ground)
                segments.append(("prosecution", filed, returned, limit, [ext]))
                concluded = received + (ri(15, 50) if held else
                                        ri(15, 58) if r() < k.supplementary_on_time_vks
                                        else ri(62, 80))
                ev("investigation_concluded", "case", case_id, case_id, concluded, "cqdt",
                   case_entry)
                next_filed = concluded + ri(0, 2)
                ev("file_received_by_vks", "case", case_id, case_id, next_filed, "vks",
                   case_entry)
                segments.append(("investigation", returned, next_filed, 60, []))
                filed = next_filed
                continue
            if u < p_return + k.case_suspended_by_vks and not held:  # suspended by the procuracy
                suspended = filed + ri(5, limit)
                ev("case_suspended_by_vks", "case", case_id, case_id, suspended, "vks",
                   case_entry)
                if r() < k.case_suspended_by_vks_final:
                    self.finish_case(case_id, inst, case_entry, persons, segments, cat)
                    return
                resumed = suspended + ri(30, 200)
                ev("case_resumed", "case", case_id, case_id, resumed, "vks", case_entry)
                indicted = resumed + ri(3, limit)
                segment_start = resumed
            elif u < p_return + k.case_suspended_by_vks + k.case_terminated_by_vks:
                # terminated by the procuracy
                terminated = filed + ri(5, limit)
                ev("case_terminated", "case", case_id, case_id, terminated, "vks", case_entry,
                   outcome=self.termination_outcome(cat, terminated))
                segments.append(("prosecution", filed, terminated, limit, [ext]))
                self.close_persons(persons, terminated, "case_terminated")
                self.finish_case(case_id, inst, case_entry, persons, segments, cat)
                return
            else:
                segment_start = filed
                v = r()
                if v < k.prosecution_extended:  # extended (Art. 240(1))
                    ev("prosecution_extended", "case", case_id, case_id,
                       filed + limit - ri(0, 4), "vks", case_entry,
                       stated_end=filed + limit + ext, ext_no=1)
                    indicted = filed + limit + ri(1, ext - 1)
                elif v < k.prosecution_extended + k.prosecution_late and not held:
                    indicted = filed + limit + ri(1, 10)  # late
                elif held:
                    indicted = filed + ri(3, limit - 4)
                else:
                    indicted = filed + ri(3, limit - 1)
            ev("indicted", "case", case_id, case_id, indicted, "vks", case_entry)
            accepted = indicted + (ri(1, 3) if held else ri(1, 8))
            segments.append(("prosecution", segment_start, accepted, limit, [ext]))
            break

        # --- trial preparation (Art. 277), court returns (Art. 280), hearing
        ev("court_accepted", "case", case_id, case_id, accepted, "toa", case_entry)
        after_return = False
        court_returns = 0
        while True:
            tdays, text = TRIAL_DAYS[cat], TRIAL_EXT[cat]
            due = (add_months(accepted, TRIAL_MONTHS[cat]) if TRIAL_MONTHS[cat]
                   else accepted + tdays)
            # a held accused is tried within the base limit (Art. 278(2)), with room to deliberate
            limit_end = accepted + (15 if after_return else tdays) - 4
            u = r()
            returned_by = None
            if court_returns == 0 and u < k.court_return_judge:
                returned_by = "presiding_judge"
            if returned_by:
                returned = accepted + ri(10, max(11, limit_end - accepted - 2))
                hearing = None
            else:
                v = r()
                extended = k.trial_prep_extended
                late = extended + k.trial_prep_late
                if v < extended and not after_return and not held:
                    ev("trial_prep_extended", "case", case_id, case_id, due - ri(0, 5), "toa",
                       case_entry, stated_end=due + text, ext_no=1)
                    scheduled = due + ri(1, text - 5)
                    limit_end += text
                elif v < late and not held and not after_return:
                    scheduled = due + ri(1, 10)  # late
                elif v < late + k.case_suspended_by_court and not held:  # suspended by the court
                    suspended = accepted + ri(10, 25)
                    ev("case_suspended_by_court", "case", case_id, case_id, suspended, "toa",
                       case_entry)
                    resumed = suspended + ri(20, 120)
                    ev("case_resumed", "case", case_id, case_id, resumed, "toa", case_entry)
                    scheduled = resumed + ri(10, 25)
                else:
                    span = (13 if after_return else tdays - 18)
                    scheduled = accepted + ri(3, max(4, span))
                ev("trial_scheduled", "case", case_id, case_id, scheduled, "toa", case_entry)
                hearing = scheduled + (ri(3, 15) if held or r() >= k.hearing_late
                                       else ri(16, 25))
                if held and hearing > limit_end:
                    hearing = max(scheduled + 1, limit_end)
                ev("hearing_opened", "case", case_id, case_id, hearing, "toa", case_entry)
                if court_returns == 0 and r() < k.court_return_panel:
                    returned_by, returned = "trial_panel", hearing
            if returned_by is None:
                break
            court_returns += 1
            is_accepted = r() < k.court_return_accepted
            ground = _pick(rng, k.return_grounds)
            received = returned + ri(1, 4)
            ev("returned_by_court", "case", case_id, case_id, returned, "toa", case_entry,
               received=received, return_by=returned_by, return_ground=ground,
               accepted=is_accepted)
            if not is_accepted:
                # the procuracy keeps its position: the court goes on with the trial
                scheduled = returned + ri(5, 10)
                hearing = scheduled + ri(3, 12)
                if held and hearing > limit_end:
                    hearing = max(returned + 2, limit_end)
                    scheduled = min(scheduled, hearing - 1)
                ev("trial_scheduled", "case", case_id, case_id, scheduled, "toa", case_entry)
                ev("hearing_opened", "case", case_id, case_id, hearing, "toa", case_entry)
                break
            segments.append(("trial_preparation", accepted, returned, tdays, []))
            concluded = received + (ri(10, 20) if held else
                                    ri(10, 29) if r() < k.supplementary_on_time_court
                                    else ri(32, 45))
            ev("investigation_concluded", "case", case_id, case_id, concluded, "cqdt", case_entry)
            filed = concluded + ri(0, 2)
            ev("file_received_by_vks", "case", case_id, case_id, filed, "vks", case_entry)
            segments.append(("investigation", returned, filed, 30, []))
            indicted = filed + ri(3, limit - 2)
            ev("indicted", "case", case_id, case_id, indicted, "vks", case_entry)
            accepted = indicted + ri(1, 3)
            segments.append(("prosecution", filed, accepted, limit, [ext]))
            ev("court_accepted", "case", case_id, case_id, accepted, "toa", case_entry)
            after_return = True
        assert hearing is not None
        pronounced = hearing + (0 if r() < k.pronounced_at_hearing else ri(1, 2))
        segments.append(("trial_preparation", accepted, pronounced, TRIAL_DAYS[cat], []))
        self.finish_case(case_id, inst, case_entry, persons, segments, cat,
                         pronounced=pronounced)

    def accused(self, charged_from: int, n: int, cat: str) -> dict:
        """The n-th accused of a case (0-based), charged from `charged_from`, and whether
        they are held in custody and detained."""
        k, r = self.k, self.rng.random
        charged = charged_from + (0 if n == 0 and r() < k.first_accused_charged_at_institution
                                  else self.ri(0, 25 if n else 10))
        person = self.new_person(charged)
        custody = r() < k.p_custody[cat]
        if custody:
            detained = r() < k.p_detention_after_custody[cat]
        else:
            detained = r() < k.p_detention_without_custody
        return {"p": person, "charged": charged, "custody": custody, "detained": detained,
                "entry": 0, "out": None, "release": None}

    def extension(self, case_id: str, after: int, due: int, cap_months: int, no: int) -> int:
        """An `investigation_extended` event; returns the new nominal due date."""
        rng, k = self.rng, self.k
        r = rng.random()
        requested = (due - self.ri(10, 25) if r >= k.extension_requested_late
                     else due - self.ri(1, 9))
        decided = requested + self.ri(1, 7)
        if rng.random() < k.extension_decided_after_expiry:
            decided = due + self.ri(1, 5)  # decided after expiry (late_extension)
        new_due = add_months(due, cap_months)
        if rng.random() < k.extension_beyond_cap:
            new_due += self.ri(5, 30)  # beyond the per-extension cap
        self.event("investigation_extended", "case", case_id, case_id, decided, "vks", after,
                   stated_end=new_due, ext_no=no, requested=requested)
        return new_due

    def termination_outcome(self, cat: str, day: int) -> str:
        # rarely wrongful (domain.md §6.1): a handful a year in the whole country
        if self.rng.random() < self.k.wrongful_termination or self.rare("wrongful", day):
            return _pick(self.rng, self.k.wrongful_grounds)
        grounds = self.k.termination_grounds
        if cat == LESS:  # the victim withdraws the request (Art. 155)
            grounds = (*grounds, ("victim_withdrawal", self.k.victim_withdrawal_weight))
        return _pick(self.rng, grounds)

    def charge_person(self, p: dict, case_id: str, inst: int, case_entry: int,
                      cat: str) -> None:
        """Custody (if any), the charge and its approval, the persons row."""
        rng, t = self.rng, self.t
        person: PersonState = p["p"]
        charged = max(p["charged"], inst)
        custody_end = None
        credit = 0
        start_ts = None
        if p["custody"]:
            self.custody_persons += 1
            arrest_day = max(inst - 3, charged - self.ri(0, 2))
            start_ts = arrest_day * DAY + 60 * self.ri(0, 1439)
            n_ext = _pick(rng, self.k.custody_extensions)
            if not p["detained"]:
                n_ext = min(n_ext, 1)
            custody_end = (start_ts + 3 * (n_ext + 1) * DAY) // DAY
            charged = min(max(charged, arrest_day), custody_end)
            if charged < inst:
                charged = inst
            credit = custody_end - arrest_day + 1
        p["charged"] = charged
        entry, ts = self.stamp(charged, case_entry)
        self.rec.add("persons", (person.person_id, case_id, person.full_name,
                                 person.national_id or None, person.birth_day, person.sex,
                                 charged), entry, ts)
        p["entry"] = entry
        ev_entry = self.event("person_charged", "person", person.person_id, case_id, charged,
                              "cqdt", entry)
        self.event("charge_approved", "person", person.person_id, case_id,
                   charged + self.ri(0, 3), "vks", ev_entry)
        p["credit"] = credit
        p["held_from"] = None
        if start_ts is not None:
            assert custody_end is not None
            self.custody_chain(p, case_id, start_ts, custody_end, entry)
        elif p["detained"]:
            p["held_from"] = (charged + self.ri(0, 5)) * DAY + 60 * self.ri(480, 1020)
            p["facility"] = t.detention_facility
            self.movement(person.person_id, t.detention_facility, "intake", p["held_from"])

    def custody_chain(self, p: dict, case_id: str, start_ts: int, custody_end: int,
                      person_entry: int) -> None:
        """Custody order and its extensions (Art. 118): 3 days each, approved by the VKS."""
        rng, t = self.rng, self.t
        person: PersonState = p["p"]
        pid = person.person_id
        self.movement(pid, t.custody_facility, "intake", start_ts)
        n_orders = (custody_end * DAY - start_ts) // (3 * DAY) + 1
        order_start = start_ts
        end = start_ts // DAY
        for k in range(n_orders):
            end = (order_start + 3 * DAY) // DAY
            if rng.random() < self.k.order_too_long:
                end += 1  # an order longer than the law allows
            in_case = case_id if p["charged"] <= order_start // DAY else None
            if k == 0:
                self.order(pid, in_case, t.custody_facility, "custody", "investigation", 0,
                           order_start, end, person_entry if in_case else 0)
            else:
                requested = order_start // DAY - self.ri(0, 1)
                approved = requested * DAY + 60 * self.ri(480, 1200)
                self.order(pid, in_case, t.custody_facility, "custody", "investigation", k,
                           order_start, end, person_entry if in_case else 0,
                           approved_ts=approved, requested=requested, issued=requested)
            order_start += 3 * DAY
        if p["detained"]:
            start_day = (end if rng.random() >= self.k.chain_gap
                         else end + self.ri(2, 4))  # held without an order
            p["held_from"] = start_day * DAY + 60 * self.ri(840, 1080)
            p["facility"] = t.custody_facility
        else:
            reason = _pick(rng, self.k.custody_release_reasons)
            release_day = end if rng.random() >= self.k.release_late else end + self.ri(1, 5)
            self.movement(pid, t.custody_facility, "release",
                          release_day * DAY + 60 * self.ri(600, 1200), reason)
            person.free_from = release_day

    def person_level_events(self, persons: list[dict], case_id: str, case_entry: int,
                            inst: int, concluded: int, cat: str) -> None:
        """Person-level suspension or termination in multi-person cases, escapes."""
        if len(persons) < 2:
            return
        rng = self.rng
        for p in persons[1:]:
            if p["out"] is not None:
                continue
            u = rng.random()
            pid = p["p"].person_id
            day = self.ri(min(p["charged"] + 5, concluded), concluded)
            if p.get("held_from") is not None and u < self.k.person_escape:
                self.event("investigation_suspended", "person", pid, case_id, day + 1, "cqdt",
                           p["entry"])
                p["out"] = (day, "escape")
            elif u < self.k.person_terminated:
                self.event("person_terminated", "person", pid, case_id, day, "cqdt", p["entry"],
                           outcome=self.termination_outcome(cat, day))
                p["out"] = (day, "case_terminated")
            elif u < self.k.person_terminated + self.k.person_suspended:
                self.event("investigation_suspended", "person", pid, case_id, day, "cqdt",
                           p["entry"])
                p["out"] = (day, "measure_changed")

    def close_persons(self, persons: list[dict], day: int, reason: str) -> None:
        for p in persons:
            if p["out"] is None:
                p["out"] = (day, reason)

    # ------------------------------------------------------------------ detention runs
    def detention_runs(self, p: dict, case_id: str, segments: list[tuple], cat: str,
                       stop: int | None) -> int | None:
        """Detention orders over the case's stages while the person is held. Returns the last
        stated end date if still held at `stop` (the pronouncement), else None."""
        rng, t = self.rng, self.t
        if p.get("held_from") is None:
            return None
        pid = p["p"].person_id
        facility = p["facility"]
        start_ts = p["held_from"]
        entry = p["entry"]
        ends = [x for x in (p["out"], p["release"]) if x is not None]
        out_day, out_reason = min(ends) if ends else (None, None)
        if out_day is not None and out_day <= start_ts // DAY:
            # out of the case (suspended, terminated, escaped) before detention would begin:
            # no detention order, released where they are
            if out_reason == "escape":
                self.movement(pid, facility, "escape", start_ts - 60 * self.ri(30, 300))
                p["p"].free_from = UNKNOWN_PENDING
            else:
                self.release(p, facility, start_ts // DAY, out_reason,
                             not_before=start_ts + 60 * self.ri(30, 300))
            return None
        if facility != t.detention_facility:
            transfer = start_ts + 3600 * self.ri(1, 4)
            self.movement(pid, facility, "transfer_out", transfer)
            self.movement(pid, t.detention_facility, "transfer_in", transfer + 1800)
            facility = t.detention_facility
        first = True
        last_end = None
        for stage, seg_start, seg_end, base, exts in segments:
            if stage == "investigation" and base is None:
                base, exts = DET_INV_BASE[cat], DET_INV_EXT[cat]
            if first:
                seg_start = start_ts // DAY
            elif last_end is not None and seg_start > last_end + 1:
                seg_start = last_end + 1
            need_until = seg_end if out_day is None else min(seg_end, out_day)
            if stop is not None and stage == "trial_preparation":
                need_until = min(need_until, stop)
            run_ts = start_ts if first else seg_start * DAY + 60 * self.ri(480, 1020)
            credit = p["credit"] if first else 0
            end = run_ts // DAY + base - credit - 2
            if rng.random() < self.k.order_too_long:
                end += self.ri(5, 20)  # longer than the law allows
            approved = None
            if stage == "investigation":  # the procuracy approves the detention order
                approved = min(run_ts - 1800, (run_ts // DAY - self.ri(0, 1)) * DAY
                               + 60 * self.ri(450, 1000))
            self.order(pid, case_id, facility, "detention", stage, 0, run_ts, end, entry,
                       approved_ts=approved, issued=min(run_ts // DAY, seg_start))
            first = False
            k = 0
            while end < need_until and k < len(exts):
                k += 1
                requested = (end - self.ri(10, 20)
                             if rng.random() < self.k.detention_extension_requested_on_time
                             else end - self.ri(1, 9))
                approved_ts = (requested + self.ri(2, 6)) * DAY + 60 * self.ri(480, 1000)
                new_end = end + exts[k - 1]
                if rng.random() < self.k.order_too_long:
                    new_end += self.ri(5, 20)
                self.order(pid, case_id, facility, "detention", stage, k, (end + 1) * DAY,
                           new_end, entry, approved_ts=approved_ts,
                           requested=requested if stage == "investigation" else None,
                           issued=min(end, requested + 3))
                end = new_end
            last_end = end
            if end < need_until:
                # limit reached before the stage ended: released on bail
                self.release(p, facility, end, "measure_changed")
                return None
            if out_day is not None and out_day <= seg_end:
                if out_reason == "escape":
                    self.movement(pid, facility, "escape",
                                  out_day * DAY + 60 * self.ri(0, 1439))
                    p["p"].free_from = UNKNOWN_PENDING
                else:  # never held past the order in force
                    self.release(p, facility, min(out_day, end), out_reason)
                return None
        return last_end

    def release(self, p: dict, facility: str, day: int, reason: str | None,
                not_before: int = 0) -> None:
        rng = self.rng
        if rng.random() < self.k.release_unrecorded:
            p["p"].free_from = day
            return  # release never recorded: the clock stays open, then overdue
        if rng.random() < self.k.release_late:
            day += self.ri(1, 10)  # released late
        at = max(day * DAY + 60 * self.ri(600, 1200), not_before)
        self.movement(p["p"].person_id, facility, "release", at, reason)
        p["p"].free_from = at // DAY

    # ------------------------------------------------------------------ judgements
    def finish_case(self, case_id: str, inst: int, case_entry: int, persons: list[dict],
                    segments: list[tuple], cat: str, pronounced: int | None = None) -> None:
        t = self.t
        for p in persons:
            last_end = self.detention_runs(p, case_id, segments, cat, pronounced)
            if pronounced is None or p["out"] is not None:
                if p["out"] is None:
                    p["p"].free_from = UNKNOWN_PENDING  # suspended case: still pending
                continue
            self.judge(p, case_id, case_entry, pronounced, cat, last_end)
        if (t.switch_day is not None and inst < t.switch_day <= self.case_last):
            self.event("case_transferred", "case", case_id, case_id, t.switch_day, "vks",
                       case_entry, to_unit=t.successor_code)

    def sentence(self, cat: str) -> tuple[str, int | None, int | None]:
        options = self.k.sentences[cat]
        kind, _, months = _choose(self.rng, options, [o[1] for o in options])
        n = self.ri(*months) if months else None
        probation = None
        if kind == "suspended" and n is not None:
            probation = min(60, max(12, n * 2))
        return kind, n, probation

    def judge(self, p: dict, case_id: str, case_entry: int, pronounced: int, cat: str,
              held_until: int | None) -> None:
        rng, t, k = self.rng, self.t, self.k
        r, ri = rng.random, self.ri
        person: PersonState = p["p"]
        pid = person.person_id
        held = held_until is not None
        u = r()
        if u < k.acquitted or self.rare("acquitted", pronounced):
            verdict, sentence, months, probation = "acquitted", None, None, None
        elif u < k.acquitted + k.terminated_by_court:
            verdict, sentence, months, probation = "case_terminated", None, None, None
        else:
            verdict = "convicted"
            sentence, months, probation = self.sentence(cat)
        jid = self.nid("BA")
        first_entry, ts = self.stamp(pronounced, p["entry"])
        unit = t.unit_at(pronounced)
        row = [jid, case_id, pid, unit, "first", pronounced, None, verdict, sentence, months,
               probation, not held, None, None]
        self.rec.add("judgements", tuple(row), first_entry, ts)
        if first_entry > self.end:
            return
        ev = self.event
        filings = []
        if verdict != "case_terminated":
            convicted = verdict == "convicted"
            if r() < (k.appeal if convicted else k.appeal_after_acquittal):
                day = pronounced + (ri(1, 15) if r() < k.appeal_on_time else ri(16, 25))
                ev("appeal_filed", "person", pid, case_id, day, "toa", first_entry,
                   judgement_id=jid)
                filings.append(("appeal", day))
            showcase = self.rare("protest_superior", pronounced)
            if showcase or r() < (k.protest if convicted else k.protest_after_acquittal):
                if showcase or r() < k.protest_superior_share:
                    day = pronounced + ri(10, 30)
                    ev("protest_filed_superior", "judgement", jid, case_id, day, "vks",
                       first_entry, judgement_id=jid)
                else:
                    day = pronounced + (ri(3, 15) if r() < k.protest_on_time else ri(16, 20))
                    ev("protest_filed_same_level", "judgement", jid, case_id, day, "vks",
                       first_entry, judgement_id=jid)
                filings.append(("protest", day))
        protests = []
        for kind, day in filings:
            if kind == "protest":
                if r() < k.protest_withdrawn or self.rare("protest_withdrawn", day):
                    ev("protest_withdrawn", "judgement", jid, case_id, day + ri(5, 30), "vks",
                       first_entry, judgement_id=jid)
                else:
                    protests.append(day)
        appealed = any(k == "appeal" for k, _ in filings) or bool(protests)

        post_end = None
        if held:
            if verdict == "convicted" and sentence in CUSTODIAL:
                start = pronounced * DAY + 60 * ri(900, 1080)
                post_end = pronounced + 44
                self.order(pid, case_id, t.detention_facility, "detention", "post_sentence", 0,
                           start, post_end, p["entry"])
            else:
                self.release(p, t.detention_facility,
                             pronounced, "acquitted" if verdict == "acquitted" else "other")
                held = False

        if not appealed:
            if verdict != "convicted":
                return
            effective = pronounced + 31
            if r() < k.effective_date_recorded:  # the court records the effective date later
                first_ts = ts
                entry, ts = self.stamp(effective, first_entry)
                ts = max(ts, first_ts + 60)  # a later version, never the same updated_at
                row[6] = effective
                self.rec.add("judgements", tuple(row), entry, ts)
            self.execute(jid, pid, effective, sentence, months, probation, held, post_end,
                         first_entry, p)
            return

        # --- appellate judgement (Arts. 345-355)
        last_filing = max(day for _, day in filings)
        appellate = last_filing + ri(30, 90)
        if held:
            assert post_end is not None
            appeal_end = post_end + 60
            self.order(pid, case_id, t.detention_facility, "detention", "appeal", 0,
                       (post_end + 1) * DAY, appeal_end, p["entry"], issued=post_end - ri(1, 5))
            appellate = ri(max(post_end + 10, last_filing + 10), appeal_end - 1)
        accepted_protest = None
        for _ in protests:
            accepted_protest = r() < k.protest_accepted
            ev("protest_decided", "judgement", jid, case_id, appellate, "toa", first_entry,
               judgement_id=jid, accepted=accepted_protest)
        if accepted_protest:
            result = _pick(rng, k.protest_accepted_results)
        elif accepted_protest is False:
            result = "upheld"
        else:
            result = _pick(rng, k.appeal_results)
        fault = None
        if result != "upheld" and result != "terminated":
            fault = _pick(rng, k.faults)
        a_verdict, a_sentence, a_months, a_probation = verdict, sentence, months, probation
        if result == "amended":
            if verdict != "convicted":
                a_verdict = "convicted"
                a_sentence, a_months, a_probation = self.sentence(cat)
            elif a_months is not None:
                a_months = max(3, round(a_months * rng.uniform(0.7, 1.2)))
                if a_sentence == "suspended":
                    a_probation = min(60, max(12, a_months * 2))
        ajid = self.nid("BA")
        a_entry, ts = self.stamp(appellate, first_entry)
        final_unit = t.unit_at(appellate)
        if result.startswith("annulled"):
            a_verdict, a_sentence, a_months, a_probation = verdict, None, None, None
        self.rec.add("judgements", (ajid, case_id, pid, final_unit, "appeal", appellate,
                                    appellate, a_verdict, a_sentence, a_months, a_probation,
                                    not held, result, fault), a_entry, ts)
        if result.startswith("annulled") or a_verdict != "convicted":
            if held:
                self.release(p, t.detention_facility, appellate, "other")
            return
        post_end2 = None
        if held:
            if a_sentence in CUSTODIAL:
                post_end2 = appellate + 44
                self.order(pid, case_id, t.detention_facility, "detention", "post_sentence", 0,
                           appellate * DAY + 60 * ri(900, 1080), post_end2, p["entry"])
            else:
                self.release(p, t.detention_facility, appellate, "other")
                held = False
        self.execute(ajid, pid, appellate, a_sentence, a_months, a_probation, held, post_end2,
                     a_entry, p)

    # ------------------------------------------------------------------ execution
    def execute(self, jid: str, pid: str, effective: int, sentence: str | None,
                months: int | None, probation: int | None, held: bool, post_end: int | None,
                after: int, p: dict) -> None:
        """The execution chain of a final conviction (BLTTHS Art. 364, Luật THAHS 2019)."""
        rng, t, k = self.rng, self.t, self.k
        r, ri = rng.random, self.ri
        ex = self.execution
        if held and post_end is not None:  # decided in time to send them on from detention
            decision = next_workday(effective + ri(0, 3))
        else:
            decision = next_workday(effective + (ri(0, 6) if r() >= k.decision_late
                                                 else ri(8, 20)))
        e = ex(jid, pid, "execution_decision", decision, "toa", after)
        vks_day = (add_workdays(decision, ri(1, 3)) if r() >= k.dispatch_late
                   else decision + ri(5, 12))
        ex(jid, pid, "decision_received_by_vks", vks_day, "vks", e)
        thads = decision + ri(1, 4)
        if r() < k.thads_received:
            ex(jid, pid, "decision_received_by_thads", thads, "thads", e)
        person: PersonState = p["p"]
        if sentence in CUSTODIAL:
            if held:
                served = thads + ri(0, 2)
                ex(jid, pid, "decision_served", served, "thads", e)
                sent = served + ri(3, 12)
                if post_end is not None and r() >= k.sent_after_post_sentence:
                    sent = min(sent, post_end - ri(0, 2))
                    sent = max(sent, served)
                ex(jid, pid, "sent_to_prison", sent, "thads", e)
                self.movement(pid, t.detention_facility, "transfer_out",
                              sent * DAY + 60 * ri(420, 900))
            else:
                served = thads + ri(1, 5)
                ex(jid, pid, "decision_served", served, "thads", e)
                u = r()
                on_time = k.postponed + k.reported_on_time
                late = on_time + k.reported_late
                escorted = late + k.escorted
                if u < k.postponed:  # postponed (illness, pregnancy): reports when it ends
                    postponed = served + ri(1, 6)
                    ex(jid, pid, "execution_postponed", postponed, "toa", e)
                    came = postponed + ri(30, 180)
                    ex(jid, pid, "reported_to_serve", came, "thads", e)
                elif u < on_time:
                    came = served + ri(1, 7)
                    ex(jid, pid, "reported_to_serve", came, "thads", e)
                elif u < late:
                    came = served + ri(8, 20)  # reported late
                    ex(jid, pid, "reported_to_serve", came, "thads", e)
                elif u < escorted:
                    came = served + ri(8, 25)
                    ex(jid, pid, "escorted", came, "thads", e)
                else:
                    wanted = served + ri(10, 40)
                    ex(jid, pid, "wanted_notice", wanted, "thads", e)
                    if r() < k.still_at_large:
                        person.free_from = UNKNOWN_PENDING
                        return  # still at large
                    came = wanted + ri(30, 300)
                    ex(jid, pid, "escorted", came, "thads", e)
                sent = came + ri(3, 20)
                ex(jid, pid, "sent_to_prison", sent, "thads", e)
            if r() < k.execution_suspended:  # serious illness in prison: execution suspended
                ex(jid, pid, "execution_suspended", sent + ri(30, 300), "toa", e)
                person.free_from = UNKNOWN_PENDING
            elif sentence == "prison" and months:
                completed = sent + months * 30
                ex(jid, pid, "execution_completed", completed, "thads", e)
                person.free_from = completed
            else:
                person.free_from = UNKNOWN_PENDING
            return
        if sentence == "suspended":
            base = thads
            summoned = (add_workdays(base, ri(1, 3)) if r() < k.summoned_on_time
                        else base + ri(5, 12))
            ex(jid, pid, "summoned", summoned, "thads", e)
            ex(jid, pid, "commune_handover", summoned + ri(1, 10), "thads", e)
            ex(jid, pid, "execution_completed", decision + (probation or 12) * 30, "thads", e)
        elif sentence == "non_custodial_reform":
            handover = thads + ri(3, 10)
            ex(jid, pid, "commune_handover", handover, "thads", e)
            ex(jid, pid, "execution_completed", handover + (months or 12) * 30, "thads", e)
        elif sentence in ("fine", "warning"):
            ex(jid, pid, "execution_completed", decision + ri(5, 120), "thads", e)
        person.free_from = decision + 30

    # ------------------------------------------------------------------ manual scores
    def manual_scores(self) -> None:
        """Campaign pillars measured by hand, per statistical year (01/12–30/11), entered by the
        unit's leadership in December."""
        rng, t = self.rng, self.t
        first_year = 1970 + self.start // 365 - 1
        for year in range(first_year, first_year + 40):
            period_start = _date_day(year - 1, 12, 1)
            entered = _date_day(year, 12, 10) + self.ri(0, 10)
            if entered > self.end:
                break
            if _date_day(year, 11, 30) < self.start:
                continue
            unit = t.unit_at(_date_day(year, 11, 30))
            for code, lo, hi in MANUAL_INDICATORS:
                value = round(rng.uniform(lo, hi), 0 if code.endswith("_count") else 1)
                note = rng.choice(MANUAL_NOTES)
                entry, ts = self.stamp(entered)
                self.rec.add("manual_scores", (self.nid("MS", 5), unit, code, "statistical_year",
                                               period_start, value, note), entry, ts)


# The manual indicators of the campaign catalogue (data/reference/indicators.csv, source manual)
# with the range of values a unit's leadership enters: 100-point emulation scores, a count.
MANUAL_INDICATORS = (
    ("party_cell_rating_score", 80.0, 100.0),
    ("staff_education_score", 75.0, 100.0),
    ("direct_inspection_count", 2.0, 12.0),
)
MANUAL_NOTES = (
    "Theo biên bản họp chi bộ cuối năm",
    "Báo cáo tổng kết công tác năm của đơn vị",
    "Kết quả bình xét thi đua của Hội đồng thi đua khen thưởng",
    "Số liệu do Văn phòng tổng hợp",
)


def _date_day(year: int, month: int, day: int) -> int:
    return to_day(dt.date(year, month, day))


def simulate(t: Territory, seed: int, start: int, end: int) -> dict[str, list[tuple]]:
    rec = Recorder(end)
    TerritorySim(t, seed, start, end, rec).run()
    return rec.rows
