{#-
    Schemas are the layer names as they are (staging, intermediate, marts), not prefixed with
    the target schema; relations render as "schema"."table" without the database, so the compiled
    SQL runs on any DuckDB connection whose default catalog holds the warehouse.
-#}

{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}

{% macro ref() -%}
    {{ return(builtins.ref(*varargs, **kwargs).include(database=false)) }}
{%- endmacro %}

{% macro source() -%}
    {{ return(builtins.source(*varargs, **kwargs).include(database=false)) }}
{%- endmacro %}
