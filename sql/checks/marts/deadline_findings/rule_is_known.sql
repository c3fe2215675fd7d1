-- Every finding names a rule of contract outputs §1.6 or §1.9 and a severity.
{{ config(meta={'dagster': {'ref': {'name': 'deadline_findings'}}}, severity='warn') }}

select finding_id, rule, severity
from {{ ref('deadline_findings') }}
where rule not in (
        'illegal_order', 'extension_beyond_limit', 'late_extension', 'extension_request_late',
        'too_many_returns', 'held_without_order', 'premature_suspension'
    )
    or severity not in ('error', 'warn', 'unknown')
