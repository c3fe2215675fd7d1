with recursive
clocks as (
    select
        clock_id,
        clock,
        case_id,
        started_on,
        start_event_type,
        is_started_on_receipt,
        coalesce(closed_on, {{ as_of() }}) as last_running_day
    from {{ ref('int_clocks_criminal_spans') }}
),

cases as (
    select case_id, crime_category
    from {{ ref('stg_landing__cases') }}
),

-- the category in force on the clock's last running day (the case's at institution before any
-- change); report clocks have none and take the rules written for every category ('*')
clock_keys as materialized (
    select
        k.clock_id,
        k.clock,
        k.started_on,
        k.start_event_type,
        k.is_started_on_receipt,
        coalesce(h.crime_category, c.crime_category) as crime_category,
        coalesce(h.crime_category, c.crime_category, '*') as category_key
    from clocks as k
    left join {{ ref('int_case_category_history') }} as h
        on h.case_id = k.case_id
        and k.last_running_day >= h.valid_from
        and (h.valid_to is null or k.last_running_day <= h.valid_to)
    left join cases as c on c.case_id = k.case_id
),

rule_versions as (
    select * from {{ ref('int_deadline_rule_versions') }}
),

-- base limits and maxima depend only on the clock kind, the category and the start date: they
-- are computed once per distinct key, not once per clock
start_keys as (
    select distinct clock, category_key, started_on
    from clock_keys
),

key_rules as (
    select
        k.clock,
        k.category_key,
        k.started_on,
        r.slot,
        r.rule_id,
        r.length,
        r.unit,
        r.anchor,
        r.legal_basis
    from start_keys as k
    inner join rule_versions as r
        on {{ rule_in_force('r', 'k.clock', 'k.started_on', category='k.category_key', slot=none) }}
),

calendar as (
    select date, working_day_seq, is_working_day, next_working_day
    from {{ ref('int_calendar_days') }}
),

working_day_targets as (
    select r.clock, r.category_key, r.started_on, t.date as nominal
    from key_rules as r
    inner join calendar as s on s.date = r.started_on
    inner join calendar as t
        on t.working_day_seq = s.working_day_seq + r.length and t.is_working_day
    where r.slot = 0 and r.unit = 'working_days'
),

key_base as (
    select
        r.*,
        case r.unit
            when 'days' then r.started_on + r.length
            when 'months' then cast(r.started_on + to_months(r.length) as date)
            when 'months30' then r.started_on + 30 * r.length
            when 'working_days' then w.nominal
        end as nominal
    from key_rules as r
    left join working_day_targets as w using (clock, category_key, started_on)
    where r.slot = 0
),

-- the start stepped by the base limit, then by each allowed cap in order
cumulative (clock, category_key, started_on, slot, max_date) as (
    select clock, category_key, started_on, 0, nominal
    from key_base
    union all
    select c.clock, c.category_key, c.started_on, r.slot, case r.unit
        when 'days' then (case r.anchor when 'start' then r.started_on else c.max_date end) + r.length
        when 'months' then cast(
            (case r.anchor when 'start' then r.started_on else c.max_date end) + to_months(r.length)
            as date)
        when 'months30' then (case r.anchor when 'start' then r.started_on else c.max_date end)
            + 30 * r.length
    end
    from cumulative as c
    inner join key_rules as r
        on r.clock = c.clock
        and r.category_key = c.category_key
        and r.started_on = c.started_on
        and r.slot = c.slot + 1
),

key_maxima as (
    select
        clock,
        category_key,
        started_on,
        arg_max(max_date, slot) as cumulative_max,
        max(slot) as max_slot
    from cumulative
    group by clock, category_key, started_on
),

key_steps as (
    select
        b.clock,
        b.category_key,
        b.started_on,
        b.rule_id,
        b.length,
        b.unit,
        b.anchor,
        b.legal_basis,
        b.nominal,
        m.cumulative_max,
        a.rule_id as last_allowed_rule_id,
        a.legal_basis as last_allowed_legal_basis
    from key_base as b
    inner join key_maxima as m using (clock, category_key, started_on)
    inner join key_rules as a
        on a.clock = b.clock
        and a.category_key = b.category_key
        and a.started_on = b.started_on
        and a.slot = m.max_slot
),

-- each applied extension with the rule of its slot (none beyond the allowed number)
extensions as materialized (
    select
        e.clock_id,
        e.extension_seq,
        e.event_id,
        e.event_type,
        e.event_date,
        e.stated_end_date,
        r.rule_id,
        r.legal_basis,
        r.length,
        r.unit,
        r.anchor,
        r.rule_id is null as is_beyond_count,
        e.extension_count,
        c.clock,
        c.started_on,
        c.category_key,
        c.crime_category
    from {{ ref('int_clocks_criminal_extensions') }} as e
    inner join clock_keys as c on c.clock_id = e.clock_id
    left join key_rules as r
        on r.clock = c.clock
        and r.category_key = c.category_key
        and r.started_on = c.started_on
        and r.slot = e.rule_slot
),

-- names in the explanations ("3 months" / "3 tháng", what started the clock, which extension)
labels as (
    select topic, key, label_vi, label_en, label_en_plural
    from {{ source('reference', 'labels') }}
),

lengths as (
    select key as unit, label_en as singular_en, label_en_plural as plural_en, label_vi as word_vi
    from labels
    where topic = 'length_unit'
),

start_labels as (
    select key, label_vi, label_en
    from labels
    where topic = 'clock_start'
),

labelled as (
    select
        c.clock_id,
        c.clock,
        c.started_on,
        c.crime_category,
        k.rule_id,
        k.length,
        k.unit,
        k.anchor,
        k.legal_basis,
        k.nominal,
        k.cumulative_max,
        k.last_allowed_rule_id,
        k.last_allowed_legal_basis,
        c.clock_id not in (select clock_id from extensions) as has_no_extension,
        -- the most specific label: by start event, then on receipt, then the clock's own
        coalesce(se.label_en, sr.label_en, sc.label_en) as start_label_en,
        coalesce(se.label_vi, sr.label_vi, sc.label_vi) as start_label_vi
    from clock_keys as c
    inner join key_steps as k using (clock, category_key, started_on)
    left join start_labels as se on se.key = c.clock || ':' || c.start_event_type
    left join start_labels as sr on sr.key = c.clock || ':on_receipt' and c.is_started_on_receipt
    left join start_labels as sc on sc.key = c.clock
),

base_steps as materialized (
    select
        b.clock_id,
        0 as step,
        b.has_no_extension as is_last_step,
        b.crime_category,
        null::varchar as event_id,
        null::varchar as event_type,
        null::date as event_date,
        b.rule_id,
        b.legal_basis,
        b.length,
        b.unit,
        b.anchor,
        null::date as previous_nominal,
        null::date as cap_date,
        b.cumulative_max,
        null::date as stated_end_date,
        b.nominal,
        false as is_beyond_count,
        false as is_beyond_cap,
        false as is_beyond_cumulative,
        b.start_label_en || ' ' || strftime(b.started_on, '%d/%m/%Y') || ' + ' || b.length || ' '
            || case when b.length = 1 then n.singular_en else n.plural_en end as explanation_en,
        b.start_label_vi || ' ' || strftime(b.started_on, '%d/%m/%Y') || ' + ' || b.length || ' '
            || n.word_vi as explanation_vi
    from labelled as b
    left join lengths as n on n.unit = b.unit
),

-- everything an extension step needs that does not depend on the previous step
extension_inputs as (
    select
        e.clock_id,
        e.extension_seq as step,
        e.extension_seq = e.extension_count as is_last_step,
        e.crime_category,
        e.event_id,
        e.event_type,
        e.event_date,
        coalesce(e.rule_id, k.last_allowed_rule_id) as rule_id,
        coalesce(e.legal_basis, k.last_allowed_legal_basis) as legal_basis,
        e.length,
        e.unit,
        e.anchor,
        e.started_on,
        k.cumulative_max,
        e.stated_end_date,
        e.is_beyond_count,
        e.length || ' ' || case when e.length = 1 then n.singular_en else n.plural_en end
            || case when e.anchor = 'start'
                then ' from ' || coalesce(fc.label_en, fa.label_en)
                else ''
            end as length_en,
        e.length || ' ' || n.word_vi
            || case when e.anchor = 'start'
                then ' kể từ ' || coalesce(fc.label_vi, fa.label_vi)
                else ''
            end as length_vi,
        coalesce(xe.label_en, xa.label_en || ' ' || e.extension_seq) as label_en,
        coalesce(xe.label_vi, xa.label_vi || ' ' || e.extension_seq) as label_vi
    from extensions as e
    inner join key_steps as k using (clock, category_key, started_on)
    left join lengths as n on n.unit = e.unit
    left join labels as fc on fc.topic = 'count_from' and fc.key = e.clock
    left join labels as fa on fa.topic = 'count_from' and fa.key = '*'
    left join labels as xe on xe.topic = 'extension' and xe.key = e.event_type
    left join labels as xa on xa.topic = 'extension' and xa.key = '*'
),

-- extension k applied to the nominal date of step k − 1, for the clocks that have extensions:
-- only the dates travel through the recursion (DuckDB holds a recursive query's rows in
-- memory; the explanations are put together after it, below)
chain (clock_id, step, previous_nominal, cap_date, nominal) as (
    select clock_id, step, null::date, null::date, nominal
    from base_steps
    where not is_last_step
    union all
    select clock_id, step, previous_nominal, cap_date,
        least(stated_end_date, cap_date, cumulative_max)
    from (
        select
            x.clock_id,
            x.step,
            x.stated_end_date,
            x.cumulative_max,
            c.nominal as previous_nominal,
            case x.unit
                when 'days' then (case x.anchor when 'start' then x.started_on else c.nominal end)
                    + x.length
                when 'months' then cast(
                    (case x.anchor when 'start' then x.started_on else c.nominal end)
                    + to_months(x.length) as date)
                when 'months30' then (case x.anchor when 'start' then x.started_on else c.nominal end)
                    + 30 * x.length
            end as cap_date
        from chain as c
        inner join extension_inputs as x on x.clock_id = c.clock_id and x.step = c.step + 1
    )
),

-- each extension step with what it adds to the explanation: " + <extension> (<how far>)"
extension_steps as (
    select
        x.clock_id,
        x.step,
        x.is_last_step,
        x.crime_category,
        x.event_id,
        x.event_type,
        x.event_date,
        x.rule_id,
        x.legal_basis,
        x.length,
        x.unit,
        x.anchor,
        c.previous_nominal,
        c.cap_date,
        x.cumulative_max,
        x.stated_end_date,
        c.nominal,
        x.is_beyond_count,
        coalesce(x.stated_end_date > c.cap_date, false) as is_beyond_cap,
        coalesce(x.stated_end_date > x.cumulative_max, false) as is_beyond_cumulative,
        ' + ' || x.label_en || ' ('
            || case
                when x.stated_end_date > least(c.cap_date, x.cumulative_max)
                    then 'to ' || strftime(x.stated_end_date, '%d/%m/%Y') || ', limited to '
                        || strftime(least(c.cap_date, x.cumulative_max), '%d/%m/%Y')
                when x.stated_end_date is not null
                    then 'to ' || strftime(x.stated_end_date, '%d/%m/%Y')
                when x.is_beyond_count then 'beyond the allowed number, up to the maximum'
                else x.length_en
            end
            || ')' as added_en,
        ' + ' || x.label_vi || ' ('
            || case
                when x.stated_end_date > least(c.cap_date, x.cumulative_max)
                    then 'đến ' || strftime(x.stated_end_date, '%d/%m/%Y') || ', giới hạn '
                        || strftime(least(c.cap_date, x.cumulative_max), '%d/%m/%Y')
                when x.stated_end_date is not null
                    then 'đến ' || strftime(x.stated_end_date, '%d/%m/%Y')
                when x.is_beyond_count then 'vượt số lần cho phép, đến mức tối đa'
                else x.length_vi
            end
            || ')' as added_vi
    from chain as c
    inner join extension_inputs as x on x.clock_id = c.clock_id and x.step = c.step
    where c.step > 0
),

-- what every step of a clock adds, in order
added as (
    select
        clock_id,
        list(added_en order by step) as added_en,
        list(added_vi order by step) as added_vi
    from extension_steps
    group by clock_id
),

-- step k's explanation: the base step's, then what steps 1..k add
steps as (
    select * from base_steps
    union all
    select
        e.* exclude (added_en, added_vi),
        b.explanation_en || array_to_string(a.added_en[1:e.step], '') as explanation_en,
        b.explanation_vi || array_to_string(a.added_vi[1:e.step], '') as explanation_vi
    from extension_steps as e
    inner join added as a on a.clock_id = e.clock_id
    inner join base_steps as b on b.clock_id = e.clock_id
),

final as (
    select
        s.clock_id,
        s.step,
        s.is_last_step,
        s.crime_category,
        s.event_id,
        s.event_type,
        s.event_date,
        s.rule_id,
        s.legal_basis,
        s.length,
        s.unit,
        s.anchor,
        s.previous_nominal,
        {{ next_working_day('s.previous_nominal', 'p') }} as previous_due_on,
        s.cap_date,
        s.cumulative_max,
        s.stated_end_date,
        s.nominal,
        s.is_beyond_count,
        s.is_beyond_cap,
        s.is_beyond_cumulative,
        s.explanation_en,
        s.explanation_vi
    from steps as s
    left join calendar as p on p.date = s.previous_nominal
)

select * from final
