select * from {{ ref('int_wrongful_prosecutions') }}
