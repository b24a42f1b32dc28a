"""The canonical style of a record's YAML, declared once: fmt rewrites files into it (keeping their comments)
and the record writer writes new records in it.

Keys in the order the schema lists them (unknown keys after, in their order), 2-space indentation with list
dashes indented under their key, lines wrapped at 100 columns, quotes only where a YAML 1.1 or 1.2 loader
would otherwise read something other than the text, a literal block for text with line breaks, no byte order
mark, one newline at the end. ruamel.yaml writes it, given the same YAML 1.2 core resolution as the loader (no
timestamps).
"""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.resolver import VersionedResolver

from appeal_archive.records import loader, schema

WIDTH = 100

_CORE_RULES = [
    ("tag:yaml.org,2002:null", loader._NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", loader._BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", loader._INT, list("-+0123456789")),
    ("tag:yaml.org,2002:int", loader._OCT, ["0"]),
    ("tag:yaml.org,2002:int", loader._HEX, ["0"]),
    ("tag:yaml.org,2002:float", loader._FLOAT, list("-+.0123456789")),
    ("tag:yaml.org,2002:float", loader._INF_NAN, list("-+.")),
]


class _CoreResolver(VersionedResolver):
    """The YAML 1.2 core schema exactly as the loader applies it (ruamel adds timestamps to 1.2)."""

    _rules: dict[str, list] = {}
    for _tag, _regexp, _firsts in _CORE_RULES:
        for _first in _firsts:
            _rules.setdefault(_first, []).append((_tag, _regexp))

    @property
    def versioned_resolver(self) -> Any:
        return {first: list(rules) for first, rules in self._rules.items()}


def _represent_str(representer, value: str):
    style = None
    if "\n" in value:
        style = "|"
    elif value and not value[0].isspace() and loader.yaml11_disagrees(value, loader.resolve_plain(value)):
        style = "'"
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_float(representer, value: float):
    # A form YAML 1.1 and 1.2 both read as this float: a dot in the mantissa, a signed exponent.
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        mantissa, _, exponent = repr(value).partition("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        text = mantissa + (f"e{'' if exponent[0] in '+-' else '+'}{exponent}" if exponent else "")
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def canonical_yaml() -> YAML:
    """A ruamel.yaml round-trip instance that writes the canonical style (it keeps comments)."""
    yaml = YAML(typ="rt")
    yaml.Resolver = _CoreResolver
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = False
    yaml.allow_unicode = True
    yaml.representer.add_representer(str, _represent_str)
    yaml.representer.add_representer(float, _represent_float)
    return yaml


class KeyOrder:
    """Lazily looks up a mapping's key order in the schema of its record type."""

    def __init__(self, record_type: str | None, tokens: tuple[str, ...] = ()):
        self.record_type, self.tokens = record_type, tokens

    def __call__(self) -> list[str]:
        return schema.property_order(self.record_type, list(self.tokens)) if self.record_type else []

    def child(self, token: str) -> KeyOrder:
        return KeyOrder(self.record_type, self.tokens + (token,))


def child_order(order: Any, token: str) -> Any:
    return order.child(token) if isinstance(order, KeyOrder) else None


def dumped(yaml: YAML, data: Any) -> str:
    """The text ruamel writes for data, without the spaces it leaves at the ends of wrapped plain lines."""
    out = io.StringIO()
    yaml.dump(data, out)
    written = out.getvalue()
    # ruamel leaves a space at the end of a wrapped plain line; YAML ignores it there, editors strip it.
    stripped = "\n".join(line.rstrip(" ") for line in written.split("\n"))
    return stripped if stripped != written and same_data(written, stripped) else written


def same_data(original: str, text: str) -> bool:
    """Whether two YAML texts hold the same data, as the loader reads them."""
    before, after = loader.load(original.encode("utf-8")), loader.load(text.encode("utf-8"))
    # JSON text tells apart what == does not: True and 1, 1 and 1.0.
    return json.dumps(after.data, sort_keys=True) == json.dumps(before.data, sort_keys=True)
