"""Stable codes for what ingestion does with bad input, with their Vietnamese and English texts.

Two families:

- **Quarantine rules** (`QUARANTINE_RULES`): a row's own error. The row goes to
  `raw.quarantine` (one row per broken rule and column) and never reaches `raw.<table>`.
- **Refusal reasons** (`REFUSALS`): a file (or a whole batch) is not loaded at all; the batch
  ledger records it as `refused` with the code and the texts below.

The codes are part of the steward-facing contract (`docs/ingestion.md`); never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_ERROR = "error"


@dataclass(frozen=True)
class Rule:
    code: str
    label_vi: str
    label_en: str
    # Message templates; `{column}`, `{header}` (Vietnamese header), `{type}`, `{code_list}` and
    # `{other}` (the other column of a date pair) are filled in per column.
    message_vi: str
    message_en: str


QUARANTINE_RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule(
            "missing_required",
            "Thiếu giá trị bắt buộc",
            "Required value missing",
            "missing_required: cột '{column}' ({header}) là bắt buộc nhưng để trống",
            "missing_required: column '{column}' ({header}) is required but empty",
        ),
        Rule(
            "unparseable",
            "Giá trị không đọc được",
            "Value cannot be read",
            "unparseable: giá trị ở cột '{column}' ({header}) không đọc được theo kiểu {type_vi}",
            "unparseable: the value in column '{column}' ({header}) cannot be read as {type}",
        ),
        Rule(
            "unknown_code",
            "Mã không có trong danh mục",
            "Code not in the code list",
            "unknown_code: giá trị ở cột '{column}' ({header}) không có trong danh mục "
            "'{code_list}' (phải khớp chính xác)",
            "unknown_code: the value in column '{column}' ({header}) is not in the code list "
            "'{code_list}' (exact match)",
        ),
        Rule(
            "date_order",
            "Thứ tự ngày không hợp lệ",
            "Dates out of order",
            "date_order: '{other}' sau '{column}' ({header}) trong cùng một dòng",
            "date_order: '{other}' is after '{column}' ({header}) in the same row",
        ),
        Rule(
            "duplicate_conflict",
            "Trùng khóa và thời điểm cập nhật nhưng nội dung khác nhau",
            "Same key and updated_at, different content",
            "duplicate_conflict: nhiều dòng cùng khóa '{column}' và cùng 'updated_at' nhưng nội "
            "dung khác nhau; tất cả các dòng này bị cách ly",
            "duplicate_conflict: several rows share the key '{column}' and 'updated_at' but "
            "differ in content; all of them are quarantined",
        ),
        Rule(
            "implausible_date",
            "Ngày không hợp lý",
            "Implausible date",
            "implausible_date: ngày ở cột '{column}' ({header}) nằm ngoài khoảng hợp lý "
            "{earliest_vi} – {latest_vi}",
            "implausible_date: the date in column '{column}' ({header}) is outside the plausible "
            "range {earliest} – {latest}",
        ),
        Rule(
            "future_updated_at",
            "Thời điểm cập nhật ở tương lai",
            "updated_at in the future",
            "future_updated_at: '{column}' ({header}) muộn hơn thời điểm nhận lô (exported_at, "
            "nếu không có thì thời điểm ghi trong mã lô) quá {slack} ngày; một phiên bản như vậy "
            "sẽ không bao giờ được sửa lại",
            "future_updated_at: '{column}' ({header}) is more than {slack} day(s) after the "
            "batch was received (exported_at, else the time in the batch id); such a version "
            "could never be corrected",
        ),
        Rule(
            "unknown_reference",
            "Mã không có trong danh mục tham chiếu",
            "Not in the reference data",
            "unknown_reference: giá trị ở cột '{column}' ({header}) không phải là mã đơn vị "
            "trong danh mục đơn vị; các mã hợp lệ gần nhất: {nearest}",
            "unknown_reference: the value in column '{column}' ({header}) is not a unit code of "
            "the units reference; nearest valid codes: {nearest}",
        ),
    ]
}

# A conditional requirement has its own message but the `missing_required` code.
CASE_ID_FOR_PERSON_VI = (
    "missing_required: cột 'case_id' (Mã vụ án) là bắt buộc khi subject_type = 'person'"
)
CASE_ID_FOR_PERSON_EN = (
    "missing_required: column 'case_id' (Mã vụ án) is required when subject_type = 'person'"
)

TYPE_VI = {
    "date": "ngày (YYYY-MM-DD hoặc DD/MM/YYYY)",
    "timestamp": "thời điểm (YYYY-MM-DD HH:MM[:SS], DD/MM/YYYY HH:MM[:SS] hoặc ISO 8601 có "
    "múi giờ)",
    "bool": "đúng/sai (true/false, 1/0, có/không, x/để trống)",
    "int": "số nguyên",
    "number": "số",
}
TYPE_EN = {
    "date": "a date (YYYY-MM-DD or DD/MM/YYYY)",
    "timestamp": "a timestamp (YYYY-MM-DD HH:MM[:SS], DD/MM/YYYY HH:MM[:SS] or ISO 8601 with "
    "an offset)",
    "bool": "a boolean (true/false, 1/0, có/không, x/empty)",
    "int": "an integer",
    "number": "a number",
}


@dataclass(frozen=True)
class Refusal:
    code: str
    reason_vi: str
    reason_en: str


REFUSALS: dict[str, Refusal] = {
    r.code: r
    for r in [
        Refusal(
            "manifest_mismatch",
            "Cả lô bị từ chối: tệp {file} không khớp tệp kê khai _manifest.json ({detail})",
            "Whole batch refused: file {file} does not match _manifest.json ({detail})",
        ),
        Refusal(
            "manifest_invalid",
            "Cả lô bị từ chối: không đọc được _manifest.json ({detail})",
            "Whole batch refused: _manifest.json cannot be read ({detail})",
        ),
        Refusal(
            "unsupported_contract_version",
            "Cả lô bị từ chối: _manifest.json khai báo contract_version {detail}, hệ thống chỉ "
            "nhận phiên bản 1",
            "Whole batch refused: _manifest.json declares contract_version {detail}; only "
            "version 1 is accepted",
        ),
        Refusal(
            "unreadable_file",
            "Không đọc được tệp {file} ({detail})",
            "File {file} cannot be parsed ({detail})",
        ),
        Refusal(
            "missing_column",
            "Tệp {file} thiếu cột bắt buộc: {detail}",
            "File {file} lacks required column(s): {detail}",
        ),
        Refusal(
            "duplicate_column",
            "Tệp {file} có cột trùng nhau: {detail}",
            "File {file} has duplicate column(s): {detail}",
        ),
        Refusal(
            "unknown_table",
            "Tệp {file} không thuộc bảng nào của hợp đồng dữ liệu",
            "File {file} is not a table of the landing contract",
        ),
        Refusal(
            "unsupported_format",
            "Tệp {file} không đúng định dạng (chỉ nhận .csv, .xlsx, .parquet)",
            "File {file} has an unsupported format (only .csv, .xlsx, .parquet)",
        ),
        Refusal(
            "duplicate_table_file",
            "Lô có nhiều tệp cho cùng bảng {detail}; các tệp này đều bị từ chối",
            "The batch holds several files for table {detail}; all of them are refused",
        ),
        Refusal(
            "too_large",
            "Tệp {file} vượt giới hạn đọc {detail}; tệp không được đọc",
            "File {file} exceeds the reading cap {detail}; it is not read",
        ),
        Refusal(
            "not_a_regular_file",
            "{file} là liên kết tượng trưng (symlink) hoặc không phải tệp thông thường; không "
            "được mở",
            "{file} is a symbolic link or not a regular file; it is never opened",
        ),
        Refusal(
            "batch_refused",
            "Không nạp vì cả lô bị từ chối (lý do ở tệp {detail})",
            "Not loaded because the batch was refused (the reason is on {detail})",
        ),
        Refusal(
            "redelivered_different_content",
            "Lô {detail} đã được nạp tệp {file} với nội dung khác; bản gửi lại không được nạp "
            "(sửa dữ liệu phải gửi trong một lô mới)",
            "Batch {detail} already loaded {file} with different content; the re-delivery is "
            "not loaded (corrections must come in a new batch)",
        ),
    ]
}


# Entries of the landing area that are not read, recorded in the ledger with status `ignored`
# (never opened, nothing of them loaded). `unsupported_format` is also one of these.
IGNORED: dict[str, Refusal] = {
    r.code: r
    for r in [
        Refusal(
            "hidden_entry",
            "Bỏ qua {file}: tên bắt đầu bằng dấu chấm (tệp/thư mục ẩn)",
            "Ignored {file}: its name starts with a dot (hidden file or folder)",
        ),
        Refusal(
            "sub_folder",
            "Bỏ qua thư mục con {file}: chỉ đọc các tệp nằm trực tiếp trong thư mục lô",
            "Ignored sub-folder {file}: only files directly inside a batch folder are read",
        ),
        Refusal(
            "not_a_batch_folder",
            "Bỏ qua thư mục {file}: tên bắt đầu bằng '_' không phải là lô dữ liệu (trừ "
            "_reference)",
            "Ignored folder {file}: a name starting with '_' is not a batch (except _reference)",
        ),
        Refusal(
            "not_in_a_batch",
            "Bỏ qua tệp {file}: nằm ngay trong thư mục tiếp nhận, không thuộc lô nào",
            "Ignored file {file}: it lies in the landing root, outside any batch folder",
        ),
    ]
}
IGNORED["unsupported_format"] = REFUSALS["unsupported_format"]


def refusal_texts(code: str, file: str, detail: str | tuple[str, str] = "") -> tuple[str, str]:
    """(reason_vi, reason_en) of a refusal, prefixed with its code. `detail` is one text for
    both languages (a file name, a number) or a (vi, en) pair."""
    r = REFUSALS.get(code) or IGNORED[code]
    vi, en = detail if isinstance(detail, tuple) else (detail, detail)
    return (
        f"{code}: " + r.reason_vi.format(file=file, detail=vi),
        f"{code}: " + r.reason_en.format(file=file, detail=en),
    )
