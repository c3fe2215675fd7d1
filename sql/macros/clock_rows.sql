{#-
    Pieces every clock model writes the same way (docs/deadlines.md).

    clock_record_columns: the columns a clock model passes through unchanged, in the order
    int_deadlines publishes them (between subject_id and status).
-#}
{% macro clock_record_columns() -%}
    case_id,
    person_id,
    judgement_id,
    unit_code,
    prosecutor_id,
    crime_category,
    started_on,
    due_on_nominal,
    due_on,
    is_provisional,
    closed_on,
    closed_by
{%- endmacro %}

{#-
    day_off_note: the explanation's tail when the nominal deadline fell on a day off and moved
    to the next working day (Art. 134 (3)): ", ngày nghỉ → 02/01/2025" / ", a day off → …";
    empty otherwise.
-#}
{% macro day_off_note(lang='vi') -%}
    case when due_on <> due_on_nominal
        then '{{ ", ngày nghỉ → " if lang == "vi" else ", a day off → " }}' || strftime(due_on, '%d/%m/%Y')
        else '' end
{%- endmacro %}
