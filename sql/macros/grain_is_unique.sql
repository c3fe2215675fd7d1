{#- One row per grain: no two rows share the values of `columns` (a model's `-- grain`). -#}
{% test grain_is_unique(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by all
having count(*) > 1
{% endtest %}
