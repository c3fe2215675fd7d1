"""Calibration targets (`data/reference/calibration.csv`) and the generator's knobs.

The calibration file holds the published figures the generated data must match: national
volumes per National Assembly year (01/10–30/09) and the rates of `statistics.md` §5, each
with its range, scale, source and tolerance. `Knobs` holds every share and rate the flows use:
the calibrated ones are derived from the file here, the others (how a flow splits into its
paths, how often an irregularity is planted) are the generator's own parameters, listed once
below with what they mean. `flows.py` reads nothing else.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines import paths

CALIBRATION_FILE = "calibration.csv"


@dataclass(frozen=True)
class Target:
    """One row of the calibration file."""

    measure: str
    scale: str  # national / region / district / any
    period_kind: str  # na_year / statistical_year
    year: int | None  # None: every complete period
    value: float  # the value the generator aims at
    low: float  # published range
    high: float
    tolerance: float  # allowed distance outside [low, high], in the measure's unit
    unit: str
    basis: str  # Q quoted, D derived, I inferred (statistics.md tags)
    refers_to: str
    source: str
    note: str

    def band(self) -> tuple[float, float]:
        return self.low - self.tolerance, self.high + self.tolerance


def _float(text: str) -> float:
    return float(text)


@lru_cache(maxsize=4)
def load_targets(path: Path | None = None) -> tuple[Target, ...]:
    path = path or paths.REFERENCE_DIR / CALIBRATION_FILE
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        fieldnames = reader.fieldnames or []
    targets = []
    for n, r in enumerate(rows, start=2):
        if None in r or None in r.values():
            raise ValueError(f"{path.name} row {n}: expected {len(fieldnames)} columns "
                             "(quote a note that holds a comma)")
        try:
            targets.append(Target(
                measure=r["measure"], scale=r["scale"], period_kind=r["period_kind"],
                year=int(r["year"]) if r["year"] else None, value=_float(r["value"]),
                low=_float(r["low"]), high=_float(r["high"]), tolerance=_float(r["tolerance"]),
                unit=r["unit"], basis=r["basis"], refers_to=r["refers_to"], source=r["source"],
                note=r["note"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path.name} row {n}: {exc}") from exc
    return tuple(targets)


def target(measure: str, year: int | None = None, targets: tuple[Target, ...] | None = None
           ) -> Target:
    for t in targets or load_targets():
        if t.measure == measure and t.year == year:
            return t
    raise KeyError(f"{CALIBRATION_FILE} has no row for {measure} (year {year})")


def yearly(measure: str, targets: tuple[Target, ...] | None = None) -> dict[int, float]:
    return {t.year: t.value for t in targets or load_targets()
            if t.measure == measure and t.year is not None}


def na_year(day: dt.date) -> int:
    """The National Assembly reporting year a day belongs to (01/10 of Y-1 – 30/09 of Y)."""
    return day.year + 1 if day.month >= 10 else day.year


def _solve(f, lo: float, hi: float, goal: float) -> float:
    """x in [lo, hi] with f(x) = goal, f increasing (bisection)."""
    for _ in range(60):
        mid = (lo + hi) / 2
        if f(mid) < goal:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ------------------------------------------------------------------ structure the law gives

LESS, SERIOUS, VERY, ESPECIALLY = "less_serious", "serious", "very_serious", "especially_serious"
CATEGORIES = (LESS, SERIOUS, VERY, ESPECIALLY)

# Sentences by category before calibration: (sentence, weight, months range). The weights of the
# non-custodial sentences are scaled so the overall share matches sentence_noncustodial_share.
BASE_SENTENCES = {
    LESS: [("prison", 45, (6, 36)), ("suspended", 26, (6, 36)),
           ("non_custodial_reform", 9, (6, 24)), ("fine", 18, None), ("warning", 2, None)],
    SERIOUS: [("prison", 67, (24, 84)), ("suspended", 22, (12, 36)),
              ("non_custodial_reform", 3, (12, 36)), ("fine", 8, None)],
    VERY: [("prison", 92, (60, 180)), ("suspended", 8, (24, 36))],
    ESPECIALLY: [("prison", 90, (144, 240)), ("life", 10, None)],
}
NON_CUSTODIAL = ("suspended", "non_custodial_reform")


@dataclass(frozen=True)
class Knobs:
    """Every rate the flows use. Calibrated fields are derived in `knobs()`."""

    # --- volumes (calibrated): crime reports and new cases a year per unit of size 1, by NA year
    reports_per_year: dict[int, float] = field(default_factory=dict)
    cases_per_year: dict[int, float] = field(default_factory=dict)
    # share of new cases with no crime report (caught in the act, found by the police)
    cases_without_report: float = 0.08
    # between-unit spread of volumes (log-normal sigma) and the big-city multiplier
    unit_size_sigma: float = 0.3
    city_size: float = 1.8

    # --- data entry: days from the fact to the entry, as (cumulative share, least, most)
    entry_lag: tuple = ((0.55, 0, 0), (0.85, 1, 1), (0.95, 2, 3), (0.99, 4, 14), (1.0, 15, 60))
    entry_weekend_moved: float = 0.85  # a weekend entry is typed in on the next working day
    execution_body_recorded: float = 0.95

    # --- people
    reoffender: float = 0.03  # an accused who was accused before (and is free again)
    female: float = 0.12
    national_id_known: float = 0.97

    # --- crime reports: paths at receipt (the rest resolved within 20 days)
    report_without_prosecutor: float = 0.03
    report_sources: tuple = (("denunciation", 45), ("crime_report", 45), ("petition", 10))
    report_by_investigators: float = 0.93  # the rest by other investigating bodies
    report_suspended_at_20_days: float = 0.5  # the rest after prolonging
    report_resumed_on_time: float = 0.95
    report_prolonged: float = 0.25
    report_prolonged_extended: float = 0.10
    report_suspended: float = 0.10
    report_late: float = 0.05
    report_prolonged_late: float = 0.04  # of prolonged ones: resolved after the stated end
    report_extension_beyond_max: float = 0.04
    # of suspended reports: resumed, or the suspension cancelled by the procuracy (calibrated)
    report_resumed: float = 0.08
    report_suspension_cancelled: float = 0.04
    # outcomes of a resolved report other than institution (relative weights)
    report_other_outcomes: tuple = (("not_instituted", 24), ("administrative_handling", 18),
                                    ("transferred", 8), ("merged", 5))
    instituted_resolved_event: float = 0.7  # an explicit report_resolved before the case
    vks_requested_institution: float = 0.015
    non_institution_cancelled: float = 0.02

    # --- cases
    category_mix: tuple = (0.37, 0.40, 0.18, 0.05)
    accused_weights: tuple = ()  # P(1..6 accused) of a case with a known suspect (calibrated)
    unknown_suspect: float = 0.15  # cases instituted with no suspect (calibrated)
    unknown_suspect_found: float = 0.12  # of those: a suspect found after resumption
    case_prosecutor_assigned: float = 0.9  # of cases without a report's prosecutor
    clause_recorded: float = 0.96
    first_accused_charged_at_institution: float = 0.6
    charge_changed: float = 0.04
    charge_changed_up: float = 0.75  # re-classified more serious (else less)
    vks_requested_other_accused: float = 0.01
    p_custody: dict = field(default_factory=lambda: {LESS: 0.30, SERIOUS: 0.50, VERY: 0.70,
                                                     ESPECIALLY: 0.80})
    p_detention_after_custody: dict = field(default_factory=lambda: {
        LESS: 0.50, SERIOUS: 0.75, VERY: 0.90, ESPECIALLY: 0.95})
    p_detention_without_custody: float = 0.08
    custody_released: float = 0.04  # of persons held in custody: released without a charge
    custody_only_release_reasons: tuple = (("other", 70), ("vks_released", 10),
                                           ("measure_changed", 20))
    custody_extensions: tuple = ((0, 60), (1, 30), (2, 10))  # custody extensions (Art. 118)
    custody_release_reasons: tuple = (("measure_changed", 60), ("vks_refused", 15),
                                      ("other", 25))
    detention_extension_requested_on_time: float = 0.93  # at least 10 days ahead
    # investigation paths: suspended at expiry (suspect at large), dropped (calibrated)
    investigation_suspended: float = 0.03
    investigation_dropped: float = 0.03
    investigation_resumed: float = 0.15  # of suspended investigations (calibrated)
    investigation_resumed_extended: float = 0.2
    # how many extensions an investigation needs, by category (P(0), P(1), ...); with
    # conclusions late in the time allowed, this sets the investigation caseload ratio
    extensions_needed: dict = field(default_factory=lambda: {
        LESS: (0.35, 0.65), SERIOUS: (0.30, 0.50, 0.20), VERY: (0.25, 0.45, 0.30),
        ESPECIALLY: (0.15, 0.30, 0.30, 0.20, 0.05)})
    investigation_late: float = 0.02  # concluded after the limit without an extension
    extension_requested_late: float = 0.05
    extension_decided_after_expiry: float = 0.01
    extension_beyond_cap: float = 0.005
    extension_one_too_many: float = 0.004
    person_escape: float = 0.004
    person_terminated: float = 0.03
    person_suspended: float = 0.015
    # --- prosecution
    vks_return: float = 0.015  # first return (calibrated; rural or city by unit)
    vks_return_again: tuple = (0.12, 0.03)  # second and third return of a returned case
    # grounds of returns: the only published reason mix (2002–2007: evidence 73,76 %, procedure
    # 11,92 %, adding charges or changing the offence 7,98 %, other 6,74 %; statistics.md §1.4)
    return_grounds: tuple = (("missing_evidence", 74), ("procedural_violation", 12),
                             ("other_crime", 8), ("other_offender", 6))
    supplementary_on_time_vks: float = 0.95  # concluded within the 2 months (Art. 174)
    supplementary_on_time_court: float = 0.93  # within the month
    case_suspended_by_vks: float = 0.005
    case_suspended_by_vks_final: float = 0.3
    case_terminated_by_vks: float = 0.012
    prosecution_extended: float = 0.10
    prosecution_late: float = 0.002  # calibrated: 1 − prosecution_on_time_rate
    # --- trial
    court_return_judge: float = 0.014  # calibrated with court_return_accepted (rural or city)
    court_return_panel: float = 0.006
    court_return_accepted: float = 0.75
    trial_prep_extended: float = 0.10
    trial_prep_late: float = 0.02
    case_suspended_by_court: float = 0.005
    hearing_late: float = 0.03
    pronounced_at_hearing: float = 0.8  # else one or two days later
    # --- judgements
    acquitted: float = 0.0  # per first-instance judgement (calibrated)
    terminated_by_court: float = 0.003
    sentences: dict = field(default_factory=dict)  # calibrated non-custodial share
    appeal: float = 0.12
    appeal_after_acquittal: float = 0.3
    protest: float = 0.004  # appellate protest per first-instance judgement (calibrated)
    protest_after_acquittal: float = 0.6
    protest_superior_share: float = 0.2
    protest_withdrawn: float = 0.1
    protest_accepted: float = 0.755  # calibrated
    appeal_on_time: float = 0.97
    protest_on_time: float = 0.95
    effective_date_recorded: float = 0.85
    appeal_results: tuple = (("upheld", 65), ("amended", 28), ("annulled_retrial", 2),
                             ("annulled_reinvestigate", 3), ("terminated", 2))
    protest_accepted_results: tuple = (("amended", 70), ("annulled_retrial", 15),
                                       ("annulled_reinvestigate", 15))
    faults: tuple = (("court", 40), ("vks", 15), ("cqdt", 15), ("objective", 15),
                     ("new_circumstances", 15))
    wrongful_grounds: tuple = (("no_crime_event", 30), ("not_a_crime", 40),
                               ("unproven_time_expired", 30))
    termination_grounds: tuple = (("exempted", 30), ("other", 30), ("death", 8),
                                  ("statute_of_limitations", 8), ("amnesty", 4))
    victim_withdrawal_weight: int = 40  # less serious offences only (Art. 155)
    wrongful_termination: float = 0.003  # of terminations after a charge (calibrated)
    # --- custody and detention irregularities
    order_too_long: float = 0.004
    chain_gap: float = 0.0001
    release_late: float = 0.0001
    release_unrecorded: float = 0.0001
    sent_after_post_sentence: float = 0.002  # sent to prison after the 45-day detention ended
    # --- execution
    decision_late: float = 0.05
    dispatch_late: float = 0.07
    thads_received: float = 0.97
    postponed: float = 0.02
    reported_on_time: float = 0.86
    reported_late: float = 0.04
    escorted: float = 0.05
    still_at_large: float = 0.5
    execution_suspended: float = 0.005
    summoned_on_time: float = 0.92
    # --- the sample only: one of each rare outcome, so every page has something to show
    showcase: bool = False


def accused_weights(mean: float, most: int = 6) -> tuple[float, ...]:
    """P(1..most) proportional to q**(n-1), with the given mean."""
    def mean_of(q: float) -> float:
        w = [q ** (n - 1) for n in range(1, most + 1)]
        return sum(n * x for n, x in zip(range(1, most + 1), w, strict=True)) / sum(w)

    q = _solve(mean_of, 0.0, 5.0, mean)
    w = [q ** (n - 1) for n in range(1, most + 1)]
    total = sum(w)
    return tuple(x / total for x in w)


def calibrated_sentences(mix: tuple, share: float) -> dict:
    """BASE_SENTENCES with the non-custodial weights scaled so that, over the category mix,
    `share` of convictions are suspended or non-custodial reform."""
    def share_of(f: float) -> float:
        total = 0.0
        for p, cat in zip(mix, CATEGORIES, strict=True):
            opts = BASE_SENTENCES[cat]
            w = [o[1] * (f if o[0] in NON_CUSTODIAL else 1) for o in opts]
            total += p * sum(x for o, x in zip(opts, w, strict=True)
                             if o[0] in NON_CUSTODIAL) / sum(w)
        return total

    f = _solve(share_of, 0.0, 10.0, share)
    return {cat: [(o[0], o[1] * (f if o[0] in NON_CUSTODIAL else 1), o[2]) for o in opts]
            for cat, opts in BASE_SENTENCES.items()}


NATIONAL_UNITS = 355
DISTRICT_UNITS_BEFORE_2025 = 700  # district-level procuracies before the reform (domain.md §8)


def knobs(scale: str, *, city: bool = False, showcase: bool = False,
          targets: tuple[Target, ...] | None = None) -> Knobs:
    """The knobs for a unit at `scale` (national units are regional procuracies; province and
    district scale simulate former district procuracies). `city`: a big-city unit."""
    ts = targets or load_targets()
    base = Knobs()
    national_reports = yearly("national_crime_reports", ts)
    national_cases = yearly("national_new_cases", ts)
    if scale == "national":
        reports = {y: v / NATIONAL_UNITS for y, v in national_reports.items()}
        cases = {y: v / NATIONAL_UNITS for y, v in national_cases.items()}
    else:
        # a district's level is the published district figure; its years follow the national
        # trend (relative to the years before the reform)
        def index(series: dict[int, float]) -> dict[int, float]:
            ref = sum(v for y, v in series.items() if y < 2025) / len([y for y in series
                                                                       if y < 2025])
            return {y: v / ref for y, v in series.items()}

        reports = {y: target("district_crime_reports", None, ts).value * i
                   for y, i in index(national_reports).items()}
        cases = {y: target("district_new_cases", None, ts).value * i
                 for y, i in index(national_cases).items()}

    per_case = target("accused_per_case_investigation", None, ts).value
    per_trial = target("accused_per_case_trial", None, ts).value
    # cases without a known suspect pull the accused per case under investigation below the
    # accused per case tried
    unknown = max(0.0, 1 - per_case / per_trial)
    # accused who leave the case before judgement (terminated, suspended, escaped) are not
    # tried: draw a few more so that the tried ones average per_trial
    leave = base.person_terminated + base.person_suspended + base.person_escape
    weights = accused_weights(per_trial / (1 - leave / 2))

    suspended_reopened = target("suspended_reopened_share", None, ts).value
    returns = target("vks_return_rate_city" if city else "vks_return_rate_rural", None, ts).value
    court = target("court_return_rate_city" if city else "court_return_rate_rural", None,
                   ts).value
    accepted = base.court_return_accepted
    court_total = court / accepted  # returns counted are the accepted ones
    protests_per_case = target("appellate_protests_per_100_cases", None, ts).value / 100
    # protests are filed per accused (withdrawn ones were filed too)
    protest = protests_per_case / per_trial

    wrongful = target("national_wrongful_persons", None, ts).value
    acquitted = max(target("national_acquitted_persons", None, ts).value, 0.5)
    accused_a_year = (national_cases[max(national_cases)] * per_trial)
    wrongful_per_accused = wrongful / accused_a_year
    # accused whose case or charge is terminated: dropped investigations, persons dropped from
    # multi-person cases, cases terminated by the procuracy
    terminated_share = (target("investigation_dropped_share", None, ts).value
                        + base.person_terminated * 0.5 + base.case_terminated_by_vks)
    return Knobs(
        reports_per_year=reports,
        cases_per_year=cases,
        report_resumed=suspended_reopened * 2 / 3,
        report_suspension_cancelled=suspended_reopened / 3,
        accused_weights=weights,
        unknown_suspect=unknown,
        custody_released=target("custody_released_rate", None, ts).value,
        investigation_dropped=target("investigation_dropped_share", None, ts).value,
        investigation_resumed=suspended_reopened,
        unknown_suspect_found=suspended_reopened,
        vks_return=returns,
        prosecution_late=1 - target("prosecution_on_time_rate", None, ts).value,
        court_return_judge=court_total * 0.7,
        court_return_panel=court_total * 0.3,
        acquitted=acquitted / accused_a_year,
        sentences=calibrated_sentences(base.category_mix,
                                       target("sentence_noncustodial_share", None, ts).value),
        protest=protest,
        protest_accepted=target("protest_acceptance_rate", None, ts).value,
        wrongful_termination=min(1.0, wrongful_per_accused / terminated_share),
        showcase=showcase,
    )


def rate_for_day(series: dict[int, float], day: dt.date) -> float:
    """The yearly rate of the NA year `day` falls in (the nearest year outside the series)."""
    year = min(max(na_year(day), min(series)), max(series))
    return series[year]
