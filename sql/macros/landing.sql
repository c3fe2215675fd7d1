{#-
    Reading the landed rows (raw.*), for the staging models.

    latest_versions(table, keys): the latest version of every record of raw.<table>, the
    highest (updated_at, _batch_id, _row_number) per key whatever the loading order, retracted
    ones (is_deleted) included. The versions are ranked on the row ids alone and the winning
    rows then read whole: ranking every column through the window's sort costs about twice as
    much on the event tables.

    current_records(table, keys): those latest versions, retracted records dropped.

    live_records(table): the keys of the current records whose own references have arrived,
    for the `is_reference_pending` flags: a person needs its case, a judgement its (live)
    person. Computed from raw, so a staging model never reads another staging model.
-#}
{% macro latest_versions(table, keys) -%}
    select *
    from {{ source('raw', table) }}
    where rowid in (
        select version_rowid
        from (
            select
                rowid as version_rowid,
                row_number() over (
                    partition by {{ keys | join(', ') }}
                    order by updated_at desc, _batch_id desc, _row_number desc
                ) as version_rank
            from {{ source('raw', table) }}
        )
        where version_rank = 1
    )
{%- endmacro %}

{% macro current_records(table, keys) -%}
    select *
    from ({{ latest_versions(table, keys) }})
    where not coalesce(is_deleted, false)
{%- endmacro %}

{% macro live_records(table) -%}
    {%- if table == 'crime_reports' -%}
        (select report_id from ({{ current_records('crime_reports', ['report_id']) }}))
    {%- elif table == 'cases' -%}
        (select case_id from ({{ current_records('cases', ['case_id']) }}))
    {%- elif table == 'persons' -%}
        (
            select lp.person_id, lp.case_id
            from ({{ current_records('persons', ['person_id', 'case_id']) }}) as lp
            where lp.case_id in {{ live_records('cases') }}
        )
    {%- elif table == 'judgements' -%}
        (
            select lj.judgement_id
            from ({{ current_records('judgements', ['judgement_id']) }}) as lj
            where exists (
                select 1 from {{ live_records('persons') }} as ljp
                where ljp.person_id = lj.person_id and ljp.case_id = lj.case_id
            )
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("live_records: no rule for " ~ table) }}
    {%- endif -%}
{%- endmacro %}
