"""The form renderer: Django's `TemplatesSetting` (widgets render through the project's
templates, so templates/ can restyle a library's widget), except the plain `<input>` widgets.

Django writes each input through three one-line templates (`text.html` includes `input.html`,
which includes `attrs.html` and loops over the attributes): on a form page that was a fifth of
the CPU time. This renderer writes those inputs directly, to the same HTML. The portal does not
override these templates (tests/config/test_renderers.py checks it); one that did would have to
be rendered by the templates again.

Why it stays: it wins on the sign-in and sign-up pages against `TemplatesSetting` (bench/
README.md, "Home-made parts against Django's").
"""

from django.forms.renderers import TemplatesSetting

from config.html import input_tag

PLAIN_INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "text",
        "password",
        "email",
        "hidden",
        "number",
        "tel",
        "url",
        "search",
        "checkbox",
    )
)


class FormRenderer(TemplatesSetting):
    def render(self, template_name, context, request=None):
        if template_name in PLAIN_INPUTS:
            return plain_input(context["widget"])
        return super().render(template_name, context, request)


def plain_input(widget: dict) -> str:
    """What `django/forms/widgets/input.html` writes."""
    # attrs.html leaves out False, writes True as a bare name, and anything else as a value.
    attrs = {
        name: "None" if value is None else value
        for name, value in widget["attrs"].items()
        if value is not False
    }
    return input_tag(widget["type"], widget["name"], widget["value"], attrs)
