{#-
    The one rule for small counts: a prosecutor with fewer closed clocks in a statistical year
    than `exemplary_min_closed_clocks` (reference.indicator_conventions, default 10) is not
    ranked, compared or shown with figures (exemplary_candidates, prosecutor_scorecard,
    exemplary_gaps); a unit's rate over fewer items than that is not compared either.
-#}
{% macro exemplary_min_closed() -%}
    (select coalesce(try_cast(max(value) filter (where setting = 'exemplary_min_closed_clocks') as integer), 10)
     from {{ source('reference', 'indicator_conventions') }})
{%- endmacro %}
