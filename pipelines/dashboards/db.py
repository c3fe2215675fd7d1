"""Small read helpers over a DuckDB connection (its current database): rows as dicts, one
value, which tables and columns exist."""

from __future__ import annotations

from typing import Any

import duckdb

__all__ = ["column_names", "has_table", "query", "query_value", "table_names"]


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def query_value(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def table_names(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = ?",
        [schema],
    ).fetchall()
    return {r[0] for r in rows}


def column_names(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return table in table_names(con, schema)
