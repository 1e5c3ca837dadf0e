"""Simplified Chinese: 2026年11月27日 16:40 UTC."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i T"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
