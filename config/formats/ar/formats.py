# Arabic date formats: Django gives a date format but no date-and-time one, so the deadline
# ("… 23:59") fell back to the English "N j, Y, P" beside Arabic month names. One style for
# both, 24-hour times as the event's notices write them.
DATE_FORMAT = "j F، Y"
DATETIME_FORMAT = "j F، Y، H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
