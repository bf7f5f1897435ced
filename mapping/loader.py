"""Loading ``okrs.yaml``: YAML → models → cross-references, with errors that name the file, the path
inside the document and what was expected."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mapping.errors import ConfigError, ConfigProblem
from mapping.models import OkrConfig
from mapping.numbers import LONG_INTEGER_DIGITS, OutOfRangeLiteral, integer_literal
from mapping.references import reference_problems


def load_config_file(path: Path) -> OkrConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("", f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), [ConfigProblem("", "the file is not UTF-8 text")]) from None
    return load_config_text(text, source=str(path))


def load_config_text(text: str, source: str = "okrs.yaml") -> OkrConfig:
    try:
        document = read_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [_yaml_problem(exc)]) from None
    return load_config_document(document, source)


def read_yaml(text: str) -> Any:
    """Safe YAML, except that an integer too long to be a number (never converted) and a float beyond a
    double's range are kept as an OutOfRangeLiteral, so the model's check names them as written;
    raises yaml.YAMLError."""
    return yaml.load(text, Loader=_ConfigLoader)


class _ConfigLoader(yaml.SafeLoader):
    """yaml.SafeLoader with the two number constructors below, and without aliases: a few nested
    ``*alias`` references make a small file stand for an exponentially large document."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the alias *{event.anchor} is not supported in okrs.yaml: write the value out where it is used",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    digits = text.lstrip("+-")
    if digits.isdigit() and len(digits) > LONG_INTEGER_DIGITS:
        return integer_literal(text)
    return loader.construct_yaml_int(node)  # YAML's own forms too: 0x1f, 017 (octal), 1:30


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    value = loader.construct_yaml_float(node)
    if math.isinf(value) and "inf" not in str(node.value).lower():
        return OutOfRangeLiteral(str(node.value))  # 1.0e+400, not .inf: refused as written
    return value


_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ConfigLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_config_document(document: Any, source: str = "okrs.yaml") -> OkrConfig:
    if not isinstance(document, dict):
        found = "an empty document" if document is None else f"a {type(document).__name__}"
        raise ConfigError(
            source, [ConfigProblem("", f"expected a mapping with version, cycles, metrics, okr_sets; found {found}")]
        )
    try:
        config = OkrConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(source, list(_validation_problems(exc))) from None
    problems = reference_problems(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def _yaml_problem(exc: yaml.YAMLError) -> ConfigProblem:
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    return ConfigProblem("", f"YAML syntax error{' at ' + where if where else ''}: {what}")


def _validation_problems(exc: ValidationError) -> Iterable[ConfigProblem]:
    for error in exc.errors():
        yield ConfigProblem(document_path(error["loc"]), _friendly_message(error))


def document_path(location: Iterable[Any]) -> str:
    """('okr_sets', 0, 'objectives', 1) → 'okr_sets[0].objectives[1]'."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _is_branch_name(str(part)):
            continue  # pydantic's names for union branches are not part of the document
        else:
            text += f".{part}" if text else str(part)
    return text


_BRANCH_NAMES = frozenset({"str", "int", "float", "bool", "list[str]", "dict[str,float]", "none"})


def _is_branch_name(part: str) -> bool:
    return part in _BRANCH_NAMES or part.startswith(("function-", "literal[", "constrained-"))


_MESSAGES = {
    "missing": "is required",
    "float_parsing": "a number is required",
    "float_type": "a number is required",
    "int_parsing": "a whole number is required",
    "int_type": "a whole number is required",
    "extra_forbidden": "unknown key (check the spelling; see `okrsync schema`)",
    "date_from_datetime_parsing": "a date such as 2026-10-01 is required",
    "date_parsing": "a date such as 2026-10-01 is required",
    "date_type": "a date such as 2026-10-01 is required",
    "string_type": "text is required",
    "list_type": "a list is required",
    "dict_type": "a mapping is required",
    "model_type": "a mapping is required",
}


def _friendly_message(error: Any) -> str:
    kind = error["type"]
    message = _MESSAGES.get(kind) or error["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = f"does not match the expected form {error['ctx']['pattern']}"
    if kind not in ("missing", "extra_forbidden") and "input" in error and not isinstance(error["input"], (dict, list)):
        message += f" (got {_shown(error['input'])})"
    return message


SHOWN_CHARACTERS = 60


def _shown(value: Any) -> str:
    """The value at fault as written, cut short: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"
