select * from {{ ref('int_deadlines') }}
