{{ case_history('crime_category', 'charge_changed', 'crime_category') }}
