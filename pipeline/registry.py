"""Stage registry: versioned names (``gopher_quality_v1``) -> datatrove step classes.

A stage class registers itself with :func:`pipeline.stage.register`. Its ``__init__`` keyword
parameters, with their type hints and defaults, *are* the stage's config schema:
:func:`validate_params` checks a YAML mapping against them before anything runs,
so a typo or a wrong type fails at build time naming the stage, the key and the
valid choices.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import types
import typing
from typing import Any

from pipeline.errors import ConfigError
from pipeline.stage import registered

# Parameters the runner wires itself; never set from YAML.
_RESERVED = {"self", "exclusion_writer", "stage_name"}

# The modules that define stages (``@register``), imported by name when the registry is first asked, so
# the spine never imports a family package at module level and nothing imports in a circle. A test
# checks that every module with an ``@register`` is listed here.
STAGE_MODULES = (
    "filters.badwords",
    "filters.decontam",
    "filters.dedup",
    "filters.ensemble",
    "filters.heuristics",
    "filters.langid",
    "filters.license",
    "filters.optout",
    "filters.pii",
    "filters.quality",
    "filters.rephrase",
    "filters.threshold",
    "ocr.quality",
    "pipeline.extract_step",
)


def stages() -> dict[str, type]:
    """Every registered stage, by name."""
    for module in STAGE_MODULES:
        importlib.import_module(module)
    return dict(sorted(registered().items()))


def get_stage(name: str) -> type:
    all_stages = stages()
    if name not in all_stages:
        raise ConfigError(f"unknown stage {name!r}; valid stages: {', '.join(all_stages)}")
    return all_stages[name]


def stage_params(cls: type) -> dict[str, inspect.Parameter]:
    sig = inspect.signature(cls.__init__)
    return {
        n: p
        for n, p in sig.parameters.items()
        if n not in _RESERVED and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _type_ok(value: Any, hint: Any) -> bool:
    """Structural check of a YAML value against a type hint (the subset stages use)."""
    if hint is inspect.Parameter.empty or hint is Any:
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple, typing.Sequence) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_type_ok(v, a) for v, a in zip(value, args))
        return all(_type_ok(v, args[0]) for v in value) if args else True
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            return False
        return all(_type_ok(k, args[0]) and _type_ok(v, args[1]) for k, v in value.items()) if args else True
    if origin is typing.Literal:
        return value in args
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    if hint is inspect.Parameter.empty:
        return "any"
    return getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint).replace("typing.", "")


def validate_params(stage: str, params: Any) -> dict[str, Any]:
    """Return ``params`` checked against the stage's signature, or raise ConfigError naming the key."""
    cls = get_stage(stage)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ConfigError(f"stages.{stage}: parameters must be a mapping, got {type(params).__name__}")
    schema = stage_params(cls)
    hints = typing.get_type_hints(cls.__init__)
    for key, value in params.items():
        if key not in schema:
            raise ConfigError(
                f"stages.{stage}: unknown parameter {key!r}; valid parameters: {', '.join(schema) or '(none)'}"
            )
        hint = hints.get(key, schema[key].annotation)
        if not _type_ok(value, hint):
            raise ConfigError(
                f"stages.{stage}.{key}: expected {_describe(hint)}, got {value!r} ({type(value).__name__})"
            )
    missing = [n for n, p in schema.items() if p.default is inspect.Parameter.empty and n not in params]
    if missing:
        raise ConfigError(f"stages.{stage}: missing required parameter(s): {', '.join(missing)}")
    return dict(params)


def typed_options(cls: type, raw: Any, where: str):
    """The frozen dataclass ``cls`` built from a YAML mapping, checked like stage parameters: unknown keys
    and wrong types are a ConfigError naming ``where.key`` and the valid keys; the class's own checks
    (``__post_init__`` raising ``ValueError("key: why")``) become ``where.key: why``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown option {key!r}; valid options: {', '.join(fields)}")
        if not _type_ok(value, hints[key]):
            raise ConfigError(
                f"{where}.{key}: expected {_describe(hints[key])}, got {value!r} ({type(value).__name__})"
            )
        values[key] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**values)
    except ValueError as e:
        raise ConfigError(f"{where}.{e}") from None


def describe_stages() -> str:
    """Human-readable list of stages and their parameters, for ``winnow stages``."""
    out = []
    for name, cls in stages().items():
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
        out.append(f"{name}\n    {doc}")
        hints = typing.get_type_hints(cls.__init__)
        for pname, p in stage_params(cls).items():
            default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
            out.append(f"    {pname}: {_describe(hints.get(pname, p.annotation))}{default}")
        for col in cls.columns:
            out.append(f"    -> column {col.name} ({col.type}): {col.meaning}")
    return "\n".join(out)


def add_stage_flags(parser, cls: type, skip: tuple[str, ...] = ()) -> list[str]:
    """One ``--flag`` per parameter of the stage ``cls`` (``max_output_tokens`` -> ``--max-output-tokens``), typed,
    defaulted and required from its signature, its help from the class's ``param_help``; returns the parameter
    names added (:func:`stage_args` reads them back). A command's flags cannot drift from the stage's defaults."""
    hints = typing.get_type_hints(cls.__init__)
    helps = getattr(cls, "param_help", {})
    added = []
    for name, p in stage_params(cls).items():
        if name in skip:
            continue
        hint = hints.get(name, p.annotation)
        if typing.get_origin(hint) in (typing.Union, types.UnionType):  # "int | None": a flag takes the int
            rest = [a for a in typing.get_args(hint) if a is not type(None)]
            hint = rest[0] if len(rest) == 1 else hint
        flag = "--" + name.replace("_", "-")
        required = p.default is inspect.Parameter.empty
        text = helps.get(name, "")
        kw: dict[str, Any] = {"dest": name}
        if hint is bool:
            kw.update(action=argparse.BooleanOptionalAction, default=p.default)
        else:
            origin, args = typing.get_origin(hint), typing.get_args(hint)
            if origin in (list, tuple) and args:
                kw.update(nargs="+", type=args[0] if args[0] in (int, float, str) else str)
            elif hint in (int, float, str):
                kw["type"] = hint
            else:
                kw["type"] = str  # a union (str | bool): the stage checks the value
            if typing.get_origin(hint) is typing.Literal:
                kw["choices"] = list(args)
            if required:
                kw["required"] = True
            else:
                kw["default"] = p.default
                text = f"{text} (default {p.default})" if text else f"default {p.default}"
            kw["metavar"] = name.upper() if "choices" not in kw else None
        parser.add_argument(flag, help=text or None, **kw)
        added.append(name)
    return added


def stage_args(args, names: list[str]) -> dict[str, Any]:
    """The stage parameters ``add_stage_flags`` added, read back from parsed ``args``."""
    return {name: getattr(args, name) for name in names}
