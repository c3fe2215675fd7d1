"""The synthetic world: procuracy units (with the 2025 re-organisation), their territories,
prosecutors, detention facilities and fictitious names.

A *territory* is the area one stream of cases comes from. At province scale there are nine:
the former district procuracies of Bến Tre, which hand their territory to a regional procuracy
of Vĩnh Long on 2025-07-01 (`data/reference/units.csv`). Records created from that day carry the
successor's `unit_code`; cases still pending get a `case_transferred` event dated that day.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.generator.calibration import Knobs, knobs
from pipelines.generator.dates import from_day, to_day

DISTRICT_UNIT = "BTR-BD"  # district scale: Bình Đại, the unit whose account opens domain.md
NATIONAL_UNITS = 355
NATIONAL_PROVINCES = 34
CITY_PROVINCES = (1, 2)  # national scale: the big-city provinces (TP.HCM-, Hà Nội-like)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Vũ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đoàn", "Lâm", "Châu"]
MIDDLE_MALE = ["Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Tấn", "Hoàng"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Thu", "Bích", "Diễm"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khang", "Khoa", "Long",
              "Lộc", "Nam", "Nghĩa", "Phúc", "Quân", "Sang", "Sơn", "Tâm", "Thắng", "Toàn",
              "Trí", "Tuấn", "Vinh", "Việt"]
GIVEN_FEMALE = ["Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Loan",
                "Mai", "My", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Trang",
                "Trinh", "Tuyết", "Uyên", "Vy", "Yến"]


def fictitious_name(rng: random.Random, female: bool) -> str:
    middle, given = (MIDDLE_FEMALE, GIVEN_FEMALE) if female else (MIDDLE_MALE, GIVEN_MALE)
    return f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}"


def scramble(n: int, bits: int) -> int:
    """A bijection on [0, 2**bits): opaque-looking, collision-free ids from counters."""
    return (n * 0x9E3779B97F4A7C15 + 0x5851F42D) & ((1 << bits) - 1)


@dataclass
class Prosecutor:
    prosecutor_id: str
    display_name: str
    valid_from: int
    valid_to: int | None


@dataclass
class Territory:
    index: int  # 1-based, used in record ids
    unit_code: str  # the unit supervising it at the start
    successor_code: str | None  # the unit from `switch_day`, if re-organised
    switch_day: int | None
    custody_facility: str
    detention_facility: str
    national_id_prefix: str  # three-digit province code of the fictitious CCCD numbers
    knobs: Knobs
    size: float = 1.0  # the unit's volume relative to the calibrated mean unit
    city: bool = False  # a big-city unit (more returns for supplementary investigation)
    prosecutors: list[Prosecutor] = field(default_factory=list)

    def unit_at(self, day: int) -> str:
        if self.switch_day is not None and day >= self.switch_day:
            return self.successor_code  # type: ignore[return-value]
        return self.unit_code


@dataclass
class World:
    scale: str
    territories: list[Territory]
    units_rows: list[dict[str, str]]  # _reference/units.csv rows (national scale only)
    units_total: int = 0  # units of the scale, of which `territories` may be a sample
    weight: float = 1.0  # national scale with a sample of units: total size / sampled size

    def staff_rows(self) -> list[dict[str, str]]:
        """`_reference/staff.csv`: one row per prosecutor and unit period."""
        rows = []
        for t in self.territories:
            for p in t.prosecutors:
                periods = [(t.unit_code, p.valid_from, p.valid_to)]
                if t.switch_day is not None:
                    last_old = t.switch_day - 1
                    periods = []
                    if p.valid_from <= last_old:
                        end = last_old if p.valid_to is None else min(p.valid_to, last_old)
                        periods.append((t.unit_code, p.valid_from, end))
                    if p.valid_to is None or p.valid_to >= t.switch_day:
                        periods.append((t.successor_code, max(p.valid_from, t.switch_day),
                                        p.valid_to))
                for unit, start, end in periods:
                    rows.append({
                        "prosecutor_id": p.prosecutor_id,
                        "unit_code": unit,
                        "valid_from": from_day(start).isoformat(),
                        "valid_to": "" if end is None else from_day(end).isoformat(),
                        "display_name": p.display_name,
                    })
        rows.sort(key=lambda r: (r["unit_code"], r["prosecutor_id"], r["valid_from"]))
        return rows


def _roster(rng: random.Random, t: Territory, size: int, start: int, end: int) -> None:
    """Prosecutors of a territory: an initial team, and some turnover every year."""
    counter = 0

    def hire(day: int) -> Prosecutor:
        nonlocal counter
        counter += 1
        female = rng.random() < 0.45
        pid = f"KSV{scramble(t.index * 100 + counter, 24):06X}"
        return Prosecutor(pid, fictitious_name(rng, female), day, None)

    first_hire = to_day(dt.date(2010, 1, 1))
    staff = [hire(rng.randint(first_hire, start - 30)) for _ in range(size)]
    day = start
    while day <= end:
        day += rng.randint(200, 500)
        if day > end:
            break
        active = [p for p in staff if p.valid_to is None]
        if len(active) > 3:
            leaver = rng.choice(active)
            leaver.valid_to = day
        staff.append(hire(day + rng.randint(0, 30)))
    t.prosecutors = staff


def build_world(scale: str, seed: int, start: int, end: int, reference_dir: Path,
                units: int | None = None, showcase: bool = False) -> World:
    """The units of `scale`; `units`: at national scale, simulate only that many of the 355,
    evenly spread (their volumes are still those of the whole; `World.weight` scales back)."""
    rng = random.Random(f"{seed}:world")
    rural, city = knobs(scale, showcase=showcase), knobs(scale, city=True, showcase=showcase)
    territories: list[Territory] = []
    units_rows: list[dict[str, str]] = []
    if scale in ("district", "province"):
        with (reference_dir / "units.csv").open(encoding="utf-8") as fh:
            units = list(csv.DictReader(fh))
        districts = [u for u in units if u["level"] == "district" and u["parent_code"] == "BTR"]
        if scale == "district":
            districts = [u for u in districts if u["unit_code"] == DISTRICT_UNIT]
        for i, u in enumerate(districts, start=1):
            switch = to_day(dt.date.fromisoformat(u["valid_to"])) + 1 if u["valid_to"] else None
            territories.append(Territory(
                index=i,
                unit_code=u["unit_code"],
                successor_code=u["successor_code"] or None,
                switch_day=switch,
                custody_facility=f"NTG-{u['unit_code']}",
                detention_facility="TTG-BTR",
                national_id_prefix="083",
                knobs=rural,
            ))
    elif scale == "national":
        per_province, extra = divmod(NATIONAL_UNITS, NATIONAL_PROVINCES)
        index = 0
        for p in range(1, NATIONAL_PROVINCES + 1):
            prov = f"SYN-P{p:02d}"
            units_rows.append({
                "unit_code": prov,
                "name_vi": f"Viện kiểm sát nhân dân tỉnh giả lập {p:02d}",
                "level": "province", "parent_code": "", "valid_from": "2015-01-01",
                "valid_to": "", "successor_code": "", "source": "synthetic",
            })
            for r in range(1, per_province + (1 if p <= extra else 0) + 1):
                index += 1
                code = f"{prov}-R{r:02d}"
                units_rows.append({
                    "unit_code": code,
                    "name_vi": f"Viện kiểm sát nhân dân khu vực {r} (tỉnh giả lập {p:02d})",
                    "level": "region", "parent_code": prov, "valid_from": "2015-01-01",
                    "valid_to": "", "successor_code": "", "source": "synthetic",
                })
                territories.append(Territory(
                    index=index,
                    unit_code=code,
                    successor_code=None,
                    switch_day=None,
                    custody_facility=f"NTG-{code}",
                    detention_facility=f"TTG-{prov}",
                    national_id_prefix=f"{(p * 3) % 96 + 1:03d}",
                    knobs=city if p in CITY_PROVINCES else rural,
                    city=p in CITY_PROVINCES,
                ))
    else:
        raise ValueError(f"unknown scale {scale!r} (district, province or national)")
    # volumes vary between units (log-normal, big cities larger), at the calibrated mean
    sizes_rng = random.Random(f"{seed}:sizes")
    for t in territories:
        t.size = (sizes_rng.lognormvariate(0.0, rural.unit_size_sigma)
                  * (rural.city_size if t.city else 1.0))
    mean = sum(t.size for t in territories) / len(territories)
    for t in territories:
        t.size /= mean
    total, weight = len(territories), 1.0
    if units is not None and scale == "national" and units < total:
        if units < 1:
            raise ValueError("units must be at least 1")
        picked = sorted({round(i * total / units) for i in range(units)})
        sample = [territories[i] for i in picked]
        weight = sum(t.size for t in territories) / sum(t.size for t in sample)
        territories = sample
        kept = {t.unit_code for t in territories}
        units_rows = [u for u in units_rows if u["level"] == "province" or u["unit_code"] in kept]
    for t in territories:
        size = 8 if scale == "national" else 6
        _roster(random.Random(f"{seed}:staff:{t.index}"), t, size + rng.randint(0, 2), start, end)
    return World(scale=scale, territories=territories, units_rows=units_rows,
                 units_total=total, weight=weight)
