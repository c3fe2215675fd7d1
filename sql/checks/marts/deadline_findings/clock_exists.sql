-- A finding that names a clock names one that is in marts.deadlines.
select f.finding_id, f.clock_id
from marts.deadline_findings as f
left join marts.deadlines as d using (clock_id)
where f.clock_id is not null and d.clock_id is null
