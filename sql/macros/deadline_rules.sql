{#-
    Deadline rules and clock status: the one place each is written (docs/deadlines.md).

    rule_in_force: join condition selecting, from int_deadline_rule_versions (alias `rules`),
    the row in force for a clock of kind `clock` that starts on `started_on`:

        left join {{ ref('int_deadline_rule_versions') }} as r
            on {{ rule_in_force('r', 'c.clock', 'c.started_on', category='c.crime_category') }}

    `category` is the clock's crime category (null or omitted: the rules for every category),
    `stage` the detention stage or protest window, `slot` 0 for the base limit (default) or the
    extension number; pass slot=none to keep every slot.
-#}
{% macro rule_in_force(rules, clock, started_on, category=none, stage=none, slot=0) -%}
    {{ rules }}.clock = {{ clock }}
    and {{ rules }}.category_key = {{ "coalesce(" ~ category ~ ", '*')" if category else "'*'" }}
    and {{ rules }}.stage = {{ stage if stage else "'*'" }}
    {%- if slot is not none %}
    and {{ rules }}.slot = {{ slot }}
    {%- endif %}
    and {{ started_on }} between {{ rules }}.effective_from and {{ rules }}.effective_to
{%- endmacro %}

{#-
    clock_status: on_time / late / open / overdue / suspended for a clock due on `due_on` and
    closed on `closed_on` (null while running), as of the run's date (contract outputs §1.8).
    `is_suspended` (optional) marks a clock closed by a suspension: it is `suspended` when that
    happens on or before the deadline.
-#}
{% macro clock_status(due_on, closed_on, is_suspended=none) -%}
    case
        when {{ closed_on }} is not null and {{ closed_on }} > {{ due_on }} then 'late'
        {%- if is_suspended %}
        when {{ closed_on }} is not null and {{ is_suspended }} then 'suspended'
        {%- endif %}
        when {{ closed_on }} is not null then 'on_time'
        when {{ as_of() }} > {{ due_on }} then 'overdue'
        else 'open'
    end
{%- endmacro %}

{#- days_late: calendar days past the deadline, closing day (late) or as-of date (overdue). -#}
{% macro days_late(status, due_on, closed_on) -%}
    cast(case {{ status }}
        when 'late' then {{ closed_on }} - {{ due_on }}
        when 'overdue' then {{ as_of() }} - {{ due_on }}
        else 0
    end as bigint)
{%- endmacro %}

{#- days_remaining: calendar days left for an open clock, else null. -#}
{% macro days_remaining(status, due_on) -%}
    cast(case when {{ status }} = 'open' then {{ due_on }} - {{ as_of() }} end as bigint)
{%- endmacro %}

{#-
    next_working_day: the day a deadline falling on `day` moves to when that is a day off
    (Art. 134 (3)): `day` itself when it is a working day, else the next working day of the
    calendar (int_calendar_days, joined as `calendar` on `calendar.date = day`); a day beyond
    the calendar rolls over the weekend only.

        left join {{ ref('int_calendar_days') }} as c on c.date = s.due_on_nominal
        ...
        {{ next_working_day('s.due_on_nominal', 'c') }} as due_on
-#}
{% macro next_working_day(day, calendar) -%}
    coalesce(
        {{ calendar }}.next_working_day,
        {{ day }} + cast(case isodow({{ day }}) when 6 then 2 when 7 then 1 else 0 end as integer)
    )
{%- endmacro %}
