"""Hindi: 27 नवंबर 2026; 27 नवंबर 2026, 22:10; numbers grouped the Indian way (12,34,567)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M, H:i"
NUMBER_GROUPING = (3, 2, 0)
