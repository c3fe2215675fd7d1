select * from {{ ref('int_missed_crime_signals') }}
