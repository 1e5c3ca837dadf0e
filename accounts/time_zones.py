"""The time zone a person reads times in, on every page and in their SMS and email.

An account keeps an IANA name (`User.time_zone`): the browser's at sign-up (static/js/
time_zone.js fills the form's hidden `time_zone`; a phone's settings app sends its own), and
the person changes it on the account page. Pages are rendered in it for a signed-in person
(`AccountTimeZoneMiddleware`), notices in the account's (`override_for`), and both write a time
in the one format of the language (DATETIME_FORMAT, config/formats/).

Browsers name some zones by an older alias (Chromium's Intl says "Asia/Calcutta" for
"Asia/Kolkata"); the tz database's links make them the current name, so the account keeps one.
"""

import functools
import zoneinfo
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from django.utils import timezone

DEFAULT = "UTC"
# Keys zoneinfo finds that are no place a person lives: the host's own zone and zic's leftovers.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})
# The first part of the name of every zone offered in the list (plus UTC): the others are
# aliases kept for old systems ("US/Eastern", "EST5EDT", "Etc/GMT+5").
_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_PLACES


@functools.cache
def _current_names() -> dict[str, str]:
    """Alias to current name, from the tz database's links ("L Asia/Kolkata Asia/Calcutta" in
    tzdata.zi); empty where the database ships without that file (aliases then stay as named)."""
    for folder in zoneinfo.TZPATH:
        source = Path(folder) / "tzdata.zi"
        if source.is_file():
            links = {}
            for line in source.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "L":
                    links[parts[2]] = parts[1]
            # UTC is written as such, not "Etc/UTC".
            return {
                alias: DEFAULT if target == "Etc/UTC" else target
                for alias, target in links.items()
                if alias != DEFAULT
            } | {"Etc/UTC": DEFAULT}
    return {}


def valid(name: object) -> str:
    """The zone `name` stands for, by its current name, if it is one zoneinfo knows; else ""."""
    if not isinstance(name, str) or name not in _known():
        return ""
    current = _current_names().get(name, name)
    return current if current in _known() else name


def time_zone_of(user) -> str:
    """The zone the person reads times in: theirs, else UTC."""
    return valid(getattr(user, "time_zone", "")) or DEFAULT


def activate_for(user) -> None:
    """Render the rest of this request's times in the person's zone."""
    timezone.activate(time_zone_of(user))


def override_for(user) -> AbstractContextManager:
    """`with override_for(user):` renders times in the account's zone (its notices, which may
    be set off by someone else's request: staff, a phone, a sign-in)."""
    return timezone.override(time_zone_of(user))


def remember_time_zone(*, user, time_zone: str) -> bool:
    """Keep `time_zone` on the account, by its current name; False for a zone not known."""
    name = valid(time_zone)
    if not name:
        return False
    if user.time_zone != name:
        user.time_zone = name
        user.save(update_fields=["time_zone"])
    return True


def label(name: str, *, at: datetime | None = None) -> str:
    """How the list names a zone: "Asia/Kolkata (UTC+05:30)", its offset now (or `at`)."""
    if name == DEFAULT:
        return DEFAULT
    offset = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
    return f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:5]})"


def choices(*, selected: str = "") -> tuple[tuple[str, str], ...]:
    """The zones a person picks from, sorted by name, each with its offset this hour; the
    account's own is in the list even when it is one of the aliases left out. The same
    object all hour (the account page's list is written once from it, accounts.forms.
    time_zone)."""
    listed = _choices(timezone.now().replace(minute=0, second=0, microsecond=0))
    if selected and selected not in _listed_names():
        return tuple(sorted([*listed, (selected, label(selected))]))
    return listed


@functools.cache
def _listed_names() -> frozenset[str]:
    aliases = _current_names()
    return frozenset(
        name
        for name in _known()
        if name.split("/", 1)[0] in _REGIONS and "/" in name and name not in aliases
    ) | {DEFAULT}


@functools.lru_cache(maxsize=2)
def _choices(hour: datetime) -> tuple[tuple[str, str], ...]:
    """The list as it reads this hour (an offset changes at a daylight saving switch)."""
    return tuple((name, label(name, at=hour)) for name in sorted(_listed_names()))
