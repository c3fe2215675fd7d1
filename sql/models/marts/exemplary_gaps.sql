-- "Học tập – bắt kịp – vượt qua điển hình": each unit and each prosecutor against the best of
-- their peers in the period, per indicator. Peers of a unit: the units with the same parent and
-- level in the same view; peers of a prosecutor: the prosecutors of the same unit (as was).
-- A caseload or denominator below the small-count minimum (small_counts.sql) is neither the
-- best nor compared: its row says is_suppressed and carries no figure.
with unit_rows as (
    select
        'unit' as subject_type,
        v.unit_code as subject_id,
        v.unit_code,
        v.hierarchy,
        coalesce(u.parent_code, '') || '/' || coalesce(u.level, '') as peer_group,
        v.period_kind,
        v.period_start,
        v.period_end,
        v.is_complete,
        v.indicator_code,
        v.direction,
        v.kind = 'rate' and coalesce(v.denominator, 0) < {{ exemplary_min_closed() }} as is_suppressed,
        v.value
    from {{ ref('indicator_values') }} as v
    join {{ ref('units') }} as u on u.hierarchy = v.hierarchy and u.unit_code = v.unit_code
    where v.stage = 'all'
      and v.period_kind in ('statistical_year', 'campaign')
      and v.direction in ('higher_is_better', 'lower_is_better')
      and v.value is not null
),

prosecutor_rows as (
    select
        'prosecutor' as subject_type,
        prosecutor_id as subject_id,
        unit_code,
        'as_was' as hierarchy,
        unit_code as peer_group,
        'statistical_year' as period_kind,
        period_start,
        period_end,
        is_complete,
        indicator_code,
        direction,
        is_suppressed,
        value
    from {{ ref('int_prosecutor_indicators') }}
),

subjects as (
    select *, case when is_suppressed then null else value end as shown_value from unit_rows
    union all
    select *, case when is_suppressed then null else value end from prosecutor_rows
),

peer_counts as (
    select subject_type, hierarchy, peer_group, period_kind, period_start, indicator_code,
           count(shown_value) as peers
    from subjects
    group by all
),

-- the exemplary one: the best value shown, the lowest id on a tie
best_pick as (
    select subject_type, hierarchy, peer_group, period_kind, period_start, indicator_code,
           shown_value as best_value, subject_id as best_subject_id
    from subjects
    where shown_value is not null
    qualify row_number() over (
        partition by subject_type, hierarchy, peer_group, period_kind, period_start, indicator_code
        order by case when direction = 'lower_is_better' then shown_value else -shown_value end, subject_id
    ) = 1
),

best as (
    select c.*, p.best_value, p.best_subject_id
    from peer_counts as c
    left join best_pick as p
        on p.subject_type = c.subject_type and p.hierarchy = c.hierarchy and p.peer_group = c.peer_group
       and p.period_kind = c.period_kind and p.period_start = c.period_start
       and p.indicator_code = c.indicator_code
),

final as (
    select
        s.subject_type,
        s.subject_id,
        s.unit_code,
        s.hierarchy,
        s.peer_group,
        s.period_kind,
        s.period_start,
        s.period_end,
        s.is_complete,
        s.indicator_code,
        s.direction,
        s.is_suppressed,
        s.shown_value as value,
        b.best_value,
        b.best_subject_id,
        -- how far behind the best, in the indicator's unit (0 for the best); empty when suppressed
        case when s.shown_value is not null and b.best_value is not null
             then abs(s.shown_value - b.best_value) end as gap_to_best,
        coalesce(s.shown_value is not null and abs(s.shown_value - b.best_value) <= 1e-9, false) as is_best,
        b.peers,
        cast({{ as_of() }} as date) as as_of
    from subjects as s
    join best as b
        on b.subject_type = s.subject_type and b.hierarchy = s.hierarchy and b.peer_group = s.peer_group
       and b.period_kind = s.period_kind and b.period_start = s.period_start
       and b.indicator_code = s.indicator_code
)

select * from final
