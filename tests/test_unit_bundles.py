"""Per-unit distribution: `casewatch run` writes out/units/<unit_code>/ with the pages, XLSX
exports and steward CSV of the unit (and of the units it groups), and nothing of any other."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest
from snapshot import generated_site

from pipelines.cli import main

AS_OF = dt.date(2025, 6, 30)  # the units before the July 2025 merger
DISTRICT = "BTR-CT"
PROVINCE = "BTR"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return generated_site(tmp_path_factory.mktemp("units"), seed=21,
                          start=dt.date(2025, 4, 1), as_of=AS_OF)


def _texts(folder: Path):
    """(file, text) of every file in the bundle; an XLSX is read as the XML inside it."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                yield path, "\n".join(z.read(n).decode("utf-8") for n in z.namelist())
        else:
            yield path, path.read_text(encoding="utf-8-sig")


def _ids(con, units: list[str]) -> dict[str, set[str]]:
    cases = {r[0] for r in con.execute(
        "select distinct case_id from raw.cases where list_contains(?, unit_code)",
        [units]).fetchall()}
    persons = {r[0] for r in con.execute(
        "select distinct person_id from raw.persons where list_contains(?, case_id)",
        [sorted(cases)]).fetchall()}
    return {"case": cases, "person": persons}


@pytest.mark.slow
def test_a_district_bundle_holds_no_other_units_data(site) -> None:
    bundle = site / "out" / "units" / DISTRICT
    con = duckdb.connect(str(site / "w.duckdb"), read_only=True)
    codes = {r[0] for r in con.execute("select unit_code from reference.units").fetchall()}
    others = sorted(codes - {DISTRICT})
    mine = _ids(con, [DISTRICT])
    theirs = _ids(con, others)
    con.close()
    forbidden = ({*others} | (theirs["case"] - mine["case"])
                 | (theirs["person"] - mine["person"]))
    assert mine["case"] and theirs["case"] - mine["case"], "the data must cover several units"

    files = dict(_texts(bundle))
    names = {p.relative_to(bundle).as_posix() for p in files}
    assert {"index.html", "worklist.html", "quality.html", "exports/deadlines.xlsx",
            "exports/deadline_watchlist.xlsx"} <= names
    assert f"steward/{DISTRICT}-open-rejections.csv" in names or not (
        site / "out" / "steward" / f"{DISTRICT}-open-rejections.csv").exists()
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(forbidden, key=len,
                                                                        reverse=True)))
                         + r")(?![\w-])")
    leaks = {p.relative_to(bundle).as_posix(): sorted(set(pattern.findall(text)))[:5]
             for p, text in files.items() if pattern.search(text)}
    assert leaks == {}
    # and its own data is there
    everything = "".join(files.values())
    assert DISTRICT in everything
    assert any(case in everything for case in mine["case"])


@pytest.mark.slow
def test_the_province_bundle_holds_the_province_and_all_its_units(site) -> None:
    bundle = site / "out" / "units" / PROVINCE
    con = duckdb.connect(str(site / "pub" / "cw.duckdb"), read_only=True)
    members = sorted(r[0] for r in con.execute(
        "select unit_code from reference.units where unit_code = ? or parent_code = ?",
        [PROVINCE, PROVINCE]).fetchall())
    expected = con.execute(
        "select count(*) from marts.deadlines where status <> 'on_time' "
        "and list_contains(?, unit_code)", [members]).fetchone()[0]
    with_data = sorted(r[0] for r in con.execute(
        "select distinct unit_code from marts.deadlines where list_contains(?, unit_code)",
        [members]).fetchall())
    con.close()
    assert len(with_data) > 2
    with zipfile.ZipFile(bundle / "exports" / "deadlines.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet.count("<row ") == expected + 1  # the header row
    pages = "".join(text for p, text in _texts(bundle) if p.suffix == ".html")
    for unit in with_data:
        assert unit in pages, f"{unit} missing from the province bundle"
    steward = {p.name for p in (site / "out" / "steward").glob("*.csv")
               if p.name.split("-open")[0] in members}
    assert steward == {p.name for p in (bundle / "steward").glob("*.csv")}


@pytest.mark.slow
def test_a_run_without_unit_bundles_writes_none_and_keeps_no_stale_one(site, tmp_path) -> None:
    """`--no-unit-bundles` (setting `unit_bundles`): the run succeeds, writes its own pages
    and removes the bundles an earlier night left, so no unit receives stale data."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(site / "out", out)
    shutil.copy2(site / "w.duckdb", tmp_path / "w.duckdb")
    assert (out / "units" / DISTRICT).is_dir()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--landing", str(site / "landing"),
                     "--warehouse", str(tmp_path / "w.duckdb"), "--out", str(out),
                     "--published", str(tmp_path / "pub" / "cw.duckdb"),
                     "--as-of", AS_OF.isoformat(), "--no-unit-bundles"]) == 0
    assert (out / "index.html").is_file()
    assert not (out / "units").exists()
