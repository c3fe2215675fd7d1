{#-
    The run's parameters, `as_of` (YYYY-MM-DD, the date status is computed for) and `run_id`.
    They are dbt vars (`dbt build --vars '{as_of: 2025-12-31}'`); when not given as vars they
    come from CASEWATCH_AS_OF and CASEWATCH_RUN_ID, which is how the nightly Dagster run passes
    them: a changed --vars would make dbt re-parse the whole project on every run.

    The on-run-start hook stores them as DuckDB macros in the warehouse, and the models call
    those macros: `{{ as_of() }}` compiles to `run_param_as_of()`. The compiled SQL therefore
    holds no date, and one compilation serves every as-of date (the test harness,
    pipelines/dbt_compiled.py, defines the same macros on its own connection).
-#}

{% macro as_of() -%}
    run_param_as_of()
{%- endmacro %}

{% macro run_id() -%}
    run_param_run_id()
{%- endmacro %}

{% macro set_run_params() %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed', 'show') -%}
        {%- set as_of = var('as_of', env_var('CASEWATCH_AS_OF', '')) | string -%}
        {%- set run_id = var('run_id', env_var('CASEWATCH_RUN_ID', 'local')) | string -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of) -%}
            {{ exceptions.raise_compiler_error(
                "casewatch: the as-of date is missing or not YYYY-MM-DD (got '" ~ as_of
                ~ "'): pass --vars '{as_of: 2025-12-31}' or set CASEWATCH_AS_OF") }}
        {%- endif -%}
        create or replace macro run_param_as_of() as date '{{ as_of }}';
        create or replace macro run_param_run_id() as '{{ run_id | replace("'", "''") }}';
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}
