"""Hindi: 27 नवम्बर 2026, 16:40 UTC; numbers grouped the Indian way (12,34,567)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i T"
SHORT_DATETIME_FORMAT = "j M, H:i"
NUMBER_GROUPING = (3, 2, 0)
