with rule_rows as (
    select
        rule_id,
        clock,
        -- detention limits and protest windows are written per stage / window in the rule id
        -- (`detention:<stage>[:<category>]`, `protest_window:<window>`)
        case
            when clock in ('detention', 'protest_window') then split_part(rule_id, ':', 2)
            else '*'
        end as stage,
        extension_no as slot,
        crime_category,
        cast(length as integer) as length,
        unit,
        anchor,
        legal_basis,
        cast(valid_from as date) as valid_from
    from {{ source('reference', 'deadline_rules') }}
),

category_keys as (
    select code as category_key
    from {{ source('reference', 'codes') }}
    where list = 'crime_category'
    union all
    select '*'
),

-- a category's own rows; the rows for every category ('*') where the category has none
by_category as (
    select r.*, r.crime_category as category_key
    from rule_rows as r
    where r.crime_category <> '*'
    union all
    select r.*, k.category_key
    from rule_rows as r
    cross join category_keys as k
    where r.crime_category = '*'
        and not exists (
            select 1
            from rule_rows as s
            where s.clock = r.clock
                and s.stage = r.stage
                and s.slot = r.slot
                and s.crime_category = k.category_key
                and s.crime_category <> '*'
        )
),

-- a version applies from its valid_from until the day before the next version; the first
-- version also before its valid_from, the last one until a newer version is added
final as (
    select
        rule_id,
        clock,
        stage,
        slot,
        category_key,
        length,
        unit,
        anchor,
        legal_basis,
        valid_from,
        case when row_number() over versions = 1 then date '0001-01-01' else valid_from end
            as effective_from,
        coalesce(lead(valid_from) over versions - 1, date '9999-12-31') as effective_to
    from by_category
    window versions as (partition by clock, stage, slot, category_key order by valid_from)
)

select * from final
