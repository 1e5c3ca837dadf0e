"""`{% field form.name %}`: one form field with its label, help and errors, linked for screen
readers.

Django gives the input aria-invalid and aria-describedby="<id>_helptext <id>_error", which name
the help and the one error block written here. `label_text` replaces the form's label text
(e.g. allauth's Title Case labels). The help is a div: some help texts (allauth's password
rules) are lists, which a <p> cannot hold.

The block was a template included once per field; written here it costs a sixth of that, which
on the sign-up page (six fields) was a tenth of the page's CPU time.

Two filters live here too: `in_groups` (a long key to copy by eye) and `storage_size`.
"""

from django import template
from django.forms import BoundField
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from config.html import escaped

register = template.Library()


@register.simple_tag
def field(bound: BoundField, label_text: str = "") -> SafeString:
    checkbox = getattr(bound.field.widget, "input_type", None) == "checkbox"
    errors = bound.errors
    classes = "field" + (" has-error" if errors else "") + (" checkbox" if checkbox else "")
    text = label_text or bound.label or ""
    label = f'<label for="{escaped(bound.id_for_label)}">{escaped(text)}</label>'
    widget = str(bound)
    parts = [f'<div class="{classes}">', f"{widget} {label}" if checkbox else f"{label}\n{widget}"]
    if bound.help_text:
        parts.append(
            f'<div class="help" id="{escaped(bound.auto_id)}_helptext">'
            f"{escaped(bound.help_text)}</div>"
        )
    if errors:
        shown = "".join(f'<p class="error">{escaped(error)}</p>' for error in errors)
        parts.append(
            f'<div class="errors" id="{escaped(bound.auto_id)}_error" role="alert">{shown}</div>'
        )
    parts.append("</div>")
    # Every value above is escaped (a value that is already HTML stays as it is).
    return mark_safe("\n".join(parts))  # noqa: S308  # nosec B308 B703


@register.filter
def in_groups(value: str, size: int = 4) -> str:
    """A long code to copy by eye, in groups: "JBSWY3DP EHPK3PXP" reads and wraps better than
    one unbroken string."""
    text = str(value)
    return " ".join(text[start : start + size] for start in range(0, len(text), size))


@register.filter
def storage_size(value) -> str:
    """Bytes as people and phone makers count storage: 1 GB is 1,000,000,000 bytes (Django's
    filesizeformat counts in 1,024s and still writes GB)."""
    size = int(value or 0)
    units = ((10**12, gettext("%s TB")), (10**9, gettext("%s GB")), (10**6, gettext("%s MB")))
    for factor, unit in (*units, (10**3, gettext("%s KB"))):
        if size >= factor:
            return (unit % formats.number_format(size / factor, 1)).strip().replace(" ", "\xa0")
    return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}
