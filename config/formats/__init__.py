"""Date and number formats per language (FORMAT_MODULE_PATH), over Django's own: the one way
each language writes a date (DATE_FORMAT) and a date with its time (DATETIME_FORMAT), 24-hour,
on pages and in notices alike.

A time is written in the reader's own time zone (accounts.time_zones), so it carries no zone
after it: Django's "T" would print "UTC" for some and an abbreviation that is no name at all for
others (Chinese Standard Time and US Central Time are both "CST"). The account page says which
zone the times are in."""
