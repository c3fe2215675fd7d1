select * from {{ ref('int_deadline_findings') }}
