"""The landing contract (version 1) as data: tables, columns, types, Vietnamese headers, keys.

This module is the single source of truth for the shape of landed files and of the `raw` layer.
Ingestion reads files against it; the generator writes files from it; `raw.<table>` tables are
created from it. The contract text is `docs/contract/landing.md`.

`raw.<table>` holds every accepted row version: the contract columns with their SQL types,
`updated_at` (TIMESTAMP, local wall time Asia/Ho_Chi_Minh), `is_deleted` (BOOLEAN, never null)
and lineage columns `_batch_id`, `_file_name`, `_row_number`, `_loaded_at`, `_extra` (JSON text
of unknown extra columns, or null).
"""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = 1

SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "int": "BIGINT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "number": "DOUBLE",
}

PII_COLUMNS = frozenset({"full_name", "national_id", "birth_date"})


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # text / code / int / date / timestamp / bool / number
    required: bool
    vi_header: str
    code: str | None = None  # code list in codes.csv when type == "code"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def is_pii(self) -> bool:
        return self.name in PII_COLUMNS


COMMON = [
    Col("updated_at", "timestamp", True, "Cập nhật lúc"),
    Col("is_deleted", "bool", False, "Đã xóa"),
]

TABLES: dict[str, list[Col]] = {
    "crime_reports": [
        Col("report_id", "text", True, "Mã nguồn tin"),
        Col("unit_code", "text", True, "Mã đơn vị"),
        Col("prosecutor_id", "text", False, "Mã kiểm sát viên"),
        Col("source_type", "code", True, "Loại nguồn tin", code="report_source"),
        Col("received_date", "date", True, "Ngày tiếp nhận"),
        Col("handling_body", "code", True, "Cơ quan giải quyết", code="body"),
    ],
    "cases": [
        Col("case_id", "text", True, "Mã vụ án"),
        Col("unit_code", "text", True, "Mã đơn vị"),
        Col("prosecutor_id", "text", False, "Mã kiểm sát viên"),
        Col("report_id", "text", False, "Mã nguồn tin"),
        Col("instituted_date", "date", True, "Ngày khởi tố vụ án"),
        Col("penal_code_article", "int", True, "Điều luật"),
        Col("penal_code_clause", "int", False, "Khoản"),
        Col("crime_category", "code", True, "Loại tội phạm", code="crime_category"),
    ],
    "persons": [
        Col("person_id", "text", True, "Mã bị can"),
        Col("case_id", "text", True, "Mã vụ án"),
        Col("full_name", "text", False, "Họ tên"),
        Col("national_id", "text", False, "Số CCCD"),
        Col("birth_date", "date", False, "Ngày sinh"),
        Col("sex", "code", False, "Giới tính", code="sex"),
        Col("charged_date", "date", False, "Ngày khởi tố bị can"),
    ],
    "case_events": [
        Col("event_id", "text", True, "Mã sự kiện"),
        Col("event_type", "code", True, "Loại quyết định", code="case_event"),
        Col("subject_type", "code", True, "Đối tượng", code="subject_type"),
        Col("subject_id", "text", True, "Mã đối tượng"),
        Col("case_id", "text", False, "Mã vụ án"),
        Col("event_date", "date", True, "Ngày quyết định"),
        Col("received_date", "date", False, "Ngày nhận"),
        Col("judgement_id", "text", False, "Mã bản án"),
        Col("stated_end_date", "date", False, "Thời hạn đến ngày"),
        Col("extension_no", "int", False, "Lần gia hạn"),
        Col("requested_date", "date", False, "Ngày đề nghị"),
        Col("outcome", "code", False, "Kết quả", code="outcome"),
        Col("issuing_body", "code", True, "Cơ quan ban hành", code="body"),
        Col("return_by", "code", False, "Trả hồ sơ bởi", code="return_by"),
        Col("return_ground", "code", False, "Lý do trả hồ sơ", code="return_ground"),
        Col("crime_category", "code", False, "Loại tội phạm", code="crime_category"),
        Col("penal_code_article", "int", False, "Điều luật"),
        Col("to_unit_code", "text", False, "Đơn vị nhận"),
        Col("is_accepted", "bool", False, "Được chấp nhận"),
        # 1.1
        Col("suspension_ground", "code", False, "Căn cứ tạm đình chỉ", code="suspension_ground"),
    ],
    "detention_orders": [
        Col("order_id", "text", True, "Mã lệnh"),
        Col("person_id", "text", True, "Mã bị can"),
        Col("case_id", "text", False, "Mã vụ án"),
        Col("unit_code", "text", True, "Mã đơn vị"),
        Col("facility_code", "text", True, "Cơ sở giam giữ"),
        Col("measure", "code", True, "Biện pháp", code="measure"),
        Col("stage", "code", True, "Giai đoạn", code="detention_stage"),
        Col("extension_no", "int", True, "Lần gia hạn"),
        Col("start_at", "timestamp", True, "Bắt đầu"),
        Col("stated_end_date", "date", True, "Đến hết ngày"),
        Col("vks_approved_at", "timestamp", False, "VKS phê chuẩn lúc"),
        Col("requested_date", "date", False, "Ngày đề nghị"),
        # 1.1
        Col("vks_received_at", "timestamp", False, "VKS nhận hồ sơ đề nghị lúc"),
        Col("vks_refused_at", "timestamp", False, "VKS không phê chuẩn lúc"),
    ],
    "detention_movements": [
        Col("movement_id", "text", True, "Mã biến động"),
        Col("person_id", "text", True, "Mã bị can"),
        Col("facility_code", "text", True, "Cơ sở giam giữ"),
        Col("movement_type", "code", True, "Loại biến động", code="movement"),
        Col("movement_at", "timestamp", True, "Thời điểm"),
        Col("reason", "code", False, "Lý do", code="release_reason"),
    ],
    "judgements": [
        Col("judgement_id", "text", True, "Mã bản án"),
        Col("case_id", "text", True, "Mã vụ án"),
        Col("person_id", "text", True, "Mã bị cáo"),
        Col("unit_code", "text", True, "Mã đơn vị"),
        Col("instance", "code", True, "Cấp xét xử", code="instance"),
        Col("pronounced_date", "date", True, "Ngày tuyên án"),
        Col("effective_date", "date", False, "Ngày có hiệu lực"),
        Col("verdict", "code", True, "Phán quyết", code="verdict"),
        Col("sentence_type", "code", False, "Hình phạt chính", code="sentence"),
        Col("sentence_months", "int", False, "Thời hạn (tháng)"),
        Col("probation_months", "int", False, "Thử thách (tháng)"),
        Col("at_liberty", "bool", False, "Tại ngoại"),
        Col("appeal_result", "code", False, "Kết quả phúc thẩm", code="appeal_result"),
        Col("fault", "code", False, "Lỗi thuộc về", code="fault"),
        # 1.1
        Col("received_date", "date", False, "Ngày nhận bản án phúc thẩm"),
    ],
    "execution_events": [
        Col("event_id", "text", True, "Mã sự kiện"),
        Col("judgement_id", "text", True, "Mã bản án"),
        Col("person_id", "text", True, "Mã bị án"),
        Col("event_type", "code", True, "Loại sự kiện", code="execution_event"),
        Col("event_date", "date", True, "Ngày"),
        Col("issuing_body", "code", False, "Cơ quan", code="body"),
    ],
    "manual_scores": [
        Col("score_id", "text", True, "Mã"),
        Col("unit_code", "text", True, "Mã đơn vị"),
        Col("indicator_code", "text", True, "Mã chỉ tiêu"),
        Col("period_kind", "text", True, "Loại kỳ"),
        Col("period_start", "date", True, "Từ ngày"),
        Col("value", "number", True, "Giá trị"),
        Col("note", "text", False, "Ghi chú"),
    ],
}

# The optional columns added by landing contract 1.1 (additive: a batch without them loads as
# before, and the clocks that need them do not exist for its records).
V11_COLUMNS: dict[str, tuple[str, ...]] = {
    "case_events": ("suspension_ground",),
    "detention_orders": ("vks_received_at", "vks_refused_at"),
    "judgements": ("received_date",),
}

KEYS: dict[str, tuple[str, ...]] = {
    "crime_reports": ("report_id",),
    "cases": ("case_id",),
    "persons": ("person_id", "case_id"),
    "case_events": ("event_id",),
    "detention_orders": ("order_id",),
    "detention_movements": ("movement_id",),
    "judgements": ("judgement_id",),
    "execution_events": ("event_id",),
    "manual_scores": ("score_id",),
}

LINEAGE = [
    ("_batch_id", "VARCHAR"),
    ("_file_name", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_loaded_at", "TIMESTAMPTZ"),
    ("_extra", "VARCHAR"),
]


def columns(table: str) -> list[Col]:
    """Contract columns of a table, followed by `updated_at` and `is_deleted`."""
    return [*TABLES[table], *COMMON]


def raw_ddl(table: str) -> str:
    cols = [f"{c.name} {c.sql_type}" for c in columns(table)]
    cols += [f"{name} {typ}" for name, typ in LINEAGE]
    return f"create table if not exists raw.{table} (\n    " + ",\n    ".join(cols) + "\n)"


def create_raw_tables(con) -> None:
    """Create every `raw.<table>`, the batch ledger and the quarantine (empty) so downstream
    SQL always finds them."""
    con.execute("create schema if not exists raw")
    for table in TABLES:
        con.execute(raw_ddl(table))
        # a warehouse created before an additive contract change (1.1) gains the new
        # optional columns, empty for the rows it already holds
        for name, sql_type in [(c.name, c.sql_type) for c in columns(table)] + LINEAGE:
            con.execute(f"alter table raw.{table} add column if not exists {name} {sql_type}")
    from pipelines.ingest.ledger import create_ledger_tables  # ledger and quarantine

    create_ledger_tables(con)
