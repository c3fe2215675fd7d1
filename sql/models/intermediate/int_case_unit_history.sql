{{ case_history('unit_code', 'case_transferred', 'to_unit_code') }}
