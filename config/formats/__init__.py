"""Date and number formats per language (FORMAT_MODULE_PATH), over Django's own: the portal
writes times with their time zone, 24-hour, in every language."""
