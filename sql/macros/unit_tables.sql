{#- The landing tables whose rows carry their own unit_code (landing contract; a test compares
    this list with pipelines.contract). -#}
{% macro unit_tables() -%}
    {{ return(['crime_reports', 'cases', 'detention_orders', 'judgements', 'manual_scores']) }}
{%- endmacro %}
