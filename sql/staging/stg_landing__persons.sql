-- Current version of every persons record: the highest (updated_at, batch_id, row number) per
-- key wins whatever the loading order; retracted records (is_deleted) are dropped.
-- Personal data (full_name, national_id, birth_date) stays in raw.persons and is not carried here.
-- is_reference_pending: the person's case has not arrived; such rows are kept out of clocks and indicators.
-- grain: person_id, case_id
-- column _batch_id: batch that delivered the current version
-- column is_reference_pending: a record it needs has not arrived (or was retracted)

with versions as (
    select
        *,
        row_number() over (
            partition by person_id, case_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from raw.persons
),

current_versions as (
    select
        person_id,
        case_id,
        sex,
        charged_date,
        updated_at,
        _batch_id,
        _file_name,
        _row_number
    from versions
    where version_rank = 1 and not coalesce(is_deleted, false)
),

final as (
    select
        v.*,
        coalesce(not exists (select 1 from staging.stg_landing__cases c where c.case_id = v.case_id), false) as is_reference_pending
    from current_versions as v
)

select * from final
