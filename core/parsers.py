"""Request-body parsers of the API (DRF's DEFAULT_PARSER_CLASSES)."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

from core.jsondepth import json_depth_exceeds

# Deeper than any body the API accepts (a few levels), shallow enough for any recursion limit.
MAX_JSON_DEPTH = 64


class JsonTooDeep(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The JSON body is nested too deeply.")
    default_code = "json_too_deep"


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser with nesting bounded: json.load's RecursionError (some thousand levels)
    is no ValueError, so DRF let it through as a 500."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError as exc:  # UnicodeDecodeError
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise JsonTooDeep()
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
