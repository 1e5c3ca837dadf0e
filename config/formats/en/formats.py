"""English: 27 November 2026; 27 Nov 2026, 16:40 UTC."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M, H:i"
