"""English: 27 November 2026; 27 Nov 2026, 22:10."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M, H:i"
