"""An `<input>` written in Python, as Django's input template writes it.

On a form page Django escapes each attribute through `format_html`, whose lazy-string check
runs for every value: on the sign-up page (three forms and a CAPTCHA) that cost more than the
rest of its inputs. These functions escape as `conditional_escape` does (a value that is
already HTML stays as it is) without that check.
"""

import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe


def escaped(value) -> str:
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def attributes(attrs: dict) -> str:
    """What `django.forms.utils.flatatt` writes: `name="value"` pairs by name, then the names
    whose value is True, by name; False and None leave an attribute out."""
    pairs = sorted(
        (name, value)
        for name, value in attrs.items()
        if value is not None and not isinstance(value, bool)
    )
    flags = sorted(name for name, value in attrs.items() if value is True)
    return "".join(f' {escaped(name)}="{escaped(value)}"' for name, value in pairs) + "".join(
        f" {escaped(name)}" for name in flags
    )


def input_tag(kind: str, name: str, value, attrs: dict) -> SafeString:
    """What `django/forms/widgets/input.html` writes."""
    shown = f' value="{escaped(value)}"' if value is not None else ""
    tag = f'<input type="{escaped(kind)}" name="{escaped(name)}"{shown}{attributes(attrs)}>'
    return mark_safe(tag)  # noqa: S308  # nosec B308 B703 - every part is escaped above
