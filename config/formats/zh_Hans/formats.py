"""Simplified Chinese: 2026年11月27日; 2026年11月27日 22:10."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
