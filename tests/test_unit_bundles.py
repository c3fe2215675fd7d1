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


def _former_copy(source, scope: list[str]):
    """The unit's warehouse as the pages were first given it: every table queried on the
    warehouse with the scope's filter (the definition `units.scoped_copy` keeps)."""
    from pipelines.contract import TABLES
    from pipelines.operations import units

    ident = units._ident
    scope = sorted(set(scope))
    (db,) = source.execute("select current_database()").fetchone()
    con = duckdb.connect()
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts", "meta"):
        con.execute(f"create schema {schema}")

    def put(schema, table, sql, params):
        frame = source.sql(sql, params=params).to_arrow_table()  # noqa: F841 (read by name)
        con.execute(f"create table {schema}.{ident(table)} as select * from frame")

    allowed = {"case_id": set(), "person_id": set(), "judgement_id": set()}
    deferred = []
    for schema in ("marts", "reference", "meta"):
        for table in units._tables(source, db, schema):
            cols = units._columns(source, db, schema, table)
            select = []
            for c in cols:
                if c in units.UNIT_REF_COLUMNS:
                    select.append(f"case when list_contains($scope, {ident(c)}) "
                                  f"then {ident(c)} end as {ident(c)}")
                elif c in units.UNIT_LIST_COLUMNS:
                    select.append(
                        f"nullif(array_to_string(list_filter(string_split({ident(c)}, ','), "
                        f"lambda x: list_contains($scope, x)), ','), '') as {ident(c)}")
                else:
                    select.append(ident(c))
            sql = f"select {', '.join(select)} from {ident(db)}.{schema}.{ident(table)}"
            params = {"scope": scope} if "$scope" in sql else []
            if (schema, table) in units.RUN_LEVEL:
                put(schema, table, sql + " where false", params)
            elif "unit_code" in cols:
                put(schema, table, sql + " where list_contains($scope, unit_code)",
                    {"scope": scope})
                for c in units.ID_COLUMNS:
                    if c in cols:
                        allowed[c].update(r[0] for r in con.execute(
                            f"select distinct {ident(c)} from {schema}.{ident(table)} "
                            f"where {ident(c)} is not null").fetchall())
            elif any(c in cols for c in units.ID_COLUMNS):
                deferred.append((schema, table, cols))
            else:
                put(schema, table, sql, params)
    for schema, table, cols in deferred:
        keys = [c for c in units.ID_COLUMNS if c in cols]
        where = " and ".join(f"({ident(c)} is null or list_contains(${c}::varchar[], "
                             f"{ident(c)}))" for c in keys)
        put(schema, table, f"select * from {ident(db)}.{schema}.{ident(table)} where {where}",
            {c: sorted(allowed[c]) for c in keys})
    for table in (t for t, cols in TABLES.items() if any(c.name == "unit_code" for c in cols)):
        if table in units._tables(source, db, "raw"):
            put("raw", table, f"select unit_code from {ident(db)}.raw.{ident(table)} "
                              "where list_contains($scope, unit_code)", {"scope": scope})
    return con


def _contents(con, schemas=("marts", "reference", "meta")) -> dict:
    """Every table's columns with their types and its rows in the order the table holds them."""
    out = {}
    for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = "
            "current_database() and list_contains(?, schema_name) order by 1, 2",
            [list(schemas)]).fetchall():
        out[f"{schema}.{table}"] = (
            con.execute(f'describe {schema}."{table}"').fetchall(),
            con.execute(f'select * from {schema}."{table}"').fetchall())
    return out


def _files(folder: Path) -> dict[str, object]:
    """Each file of a bundle: its bytes, or for a workbook each part of it but the one that
    holds the time of writing (docProps/core.xml)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                out[name] = {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}
        else:
            out[name] = path.read_bytes()
    return out


@pytest.mark.slow
def test_each_bundle_is_what_the_pages_give_from_the_unit_s_own_warehouse(
        site, tmp_path, monkeypatch) -> None:
    """The bundles, written a batch of units at a time (several batches here), by this
    process alone or with a helper process, hold the same pages, numbers and files as the
    page code renders from a copy of the warehouse made for that unit alone by querying each
    table with the unit's scope."""
    import shutil

    from pipelines.dashboards.pages import render_pages
    from pipelines.dashboards.staff import load_staff
    from pipelines.operations import units
    from pipelines.operations.office import write_unit_workbook

    monkeypatch.setattr(units, "BATCH_ROWS", 3_000)
    monkeypatch.setattr(units, "HELPER_MIN_UNITS", 2)
    con = duckdb.connect(str(site / "w.duckdb"), read_only=True)
    scopes = units.unit_scopes(con)
    reader = units._Reader(con)
    batches = list(reader.batches(scopes))
    assert len(batches) > 2 and sorted(u for b in batches for u in b) == sorted(scopes)
    assert reader._scratch is not None  # the batches read a sorted copy of the unit tables
    reader.close()
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        shutil.copytree(site / "out" / "steward", out / "steward")
        runs[workers] = units.write_unit_bundles(con, out, run_id="r1", as_of=AS_OF,
                                                 workers=workers)
        assert set(runs[workers]) == set(scopes)
        assert not list(site.glob("*-bundles-*"))  # the sorted copy is removed after
    for unit, scope in scopes.items():
        former = _former_copy(con, scope)
        mine = units.scoped_copy(con, scope)
        assert _contents(mine) == _contents(former), unit
        mine.close()
        ref = tmp_path / "ref" / unit
        render_pages(former, ref, run_id="r1", as_of=AS_OF)
        (ref / "exports").mkdir()
        for table, where in units.EXPORT_MARTS.items():
            cur = former.execute(f"select * from marts.{table} where {where} order by all")
            units._write_sheet(ref / "exports" / f"{table}.xlsx", table,
                               [d[0] for d in cur.description], cur.fetchall(), fast=False)
        write_unit_workbook(former, unit, ref / f"{unit}.xlsx", staff=load_staff(),
                            as_of=AS_OF)
        former.close()
        theirs = _files(ref)
        for written in runs.values():
            got = _files(written[unit])
            steward = {n for n in got if n.startswith("steward/")}
            assert steward == {f"steward/{p.name}" for p in
                               (site / "out" / "steward").glob("*.csv")
                               if p.name.split("-open")[0] in scope}
            assert {n: v for n, v in got.items() if n not in steward} == theirs, unit
    con.close()
