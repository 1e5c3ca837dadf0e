"""The APIs' JSON parser: DRF's, with JSON nested deeper than Python's stack refused as a bad
request (400, "JSON nested too deeply") instead of a RecursionError and a 500."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
