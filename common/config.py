"""Typed configs: dataclasses loaded from YAML, every field overridable from the command line.

    cfg = load_config(FilterConfig, description=__doc__)          # reads sys.argv
    python -m data_collection.filter --config configs/x.yaml --lang zh --num_proc 4 --optim.lr 1e-5

Precedence: dataclass defaults < YAML file < command-line flags. Unknown keys and values of the wrong type are
errors that name the key and the file (or the flag). Nested dataclass fields are YAML mappings and dotted flags.
Booleans accept true/false/yes/no/1/0 (a bare `--flag` means true), so `--flag False` really means false.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from common.cli import UserError

T = TypeVar("T")
_MISSING = dataclasses.MISSING


class ConfigError(UserError):
    """A config key or value that cannot be used; the message names the file and key, or the flag."""


def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _describe(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check (and minimally convert) a YAML or CLI value against a field type."""
    inner, optional = _unwrap_optional(tp)
    if optional and isinstance(value, str) and value.strip().lower() == "null":  # `--field null` on the CLI
        value = None
    if value is None:
        if optional or inner is Any:
            return None
        raise ConfigError(f"{where}: null is not allowed (expected {_describe(inner)})")
    tp = inner
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping for section {_describe(tp)}, got {value!r}")
        return _build(tp, value, where)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "no", "0", "off"):
            return False
        raise ConfigError(f"{where}: expected a boolean, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    if origin in (list, tuple):
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        if isinstance(value, str):
            value = _parse_list_flag(value)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError(f"{where}: expected a mapping (JSON on the command line), got {value!r}") from None
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        key_tp, val_tp = typing.get_args(tp) or (Any, Any)
        return {_coerce(k, key_tp, f"{where}.{k}"): _coerce(v, val_tp, f"{where}.{k}") for k, v in value.items()}
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: expected one of {typing.get_args(tp)}, got {value!r}")
        return value
    return value


def _parse_list_flag(text: str) -> list:
    """`a,b,c` or a JSON list (for items that contain commas); `[ab]*.parquet` is a glob, not JSON."""
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return [v for v in text.split(",") if v != ""]


def _build(cls: type[T], data: dict, where: str) -> T:
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(fields))})")
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], f"{where}: key {name!r}" if ": key" not in where
                               else f"{where}.{name}")
    missing = [f.name for f in fields.values() if f.name not in kwargs and f.default is _MISSING
               and f.default_factory is _MISSING]
    if missing:
        raise ConfigError(f"{where}: required key {missing[0]!r} is not set")
    return cls(**kwargs)


def _flatten_fields(cls: type, prefix: str = "") -> list[tuple[str, Any, dataclasses.Field]]:
    out = []
    hints = _type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, _ = _unwrap_optional(hints[f.name])
        if dataclasses.is_dataclass(tp):
            out.extend(_flatten_fields(tp, f"{prefix}{f.name}."))
        else:
            out.append((prefix + f.name, hints[f.name], f))
    return out


def _default_repr(f: dataclasses.Field) -> str:
    if f.default is not _MISSING:
        return repr(f.default)
    if f.default_factory is not _MISSING:
        return repr(f.default_factory())
    return "(required)"


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--{dotted}: {part!r} is not a section")
    node[parts[-1]] = value


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load that refuses a key given twice in one mapping (PyYAML keeps the last one silently, so one of
    two values a user wrote would be ignored). `<<` merges may still be overridden, as YAML means them to be."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1, seen[key])
                seen[key] = key_node.start_mark.line + 1
            except TypeError:  # an unhashable key: construct_mapping names it
                continue
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}")
    with open(p, encoding="utf-8") as f:
        try:
            data = yaml.load(f, Loader=_UniqueKeyLoader)  # a SafeLoader: plain data only, no Python objects
        except _DuplicateKey as err:
            raise ConfigError(f"{p}:{err.line}: key {err.key!r} is given twice (first on line {err.first}); keep "
                              "one") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{p}: invalid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of config keys")
    return data


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def config_from_dict(cls: type[T], data: dict, source: str = "<dict>") -> T:
    return _build(cls, data, source)


def load_config(
    cls: type[T],
    argv: list[str] | None = None,
    description: str | None = None,
    prog: str | None = None,
    positional: tuple[str, ...] = (),
) -> T:
    """Parse `--config FILE` plus one `--<field>` flag per field (dotted for sections) into `cls`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="YAML file with any of the fields below; flags override it")
    for name in positional:
        parser.add_argument(name, nargs="?", default=None, help=f"same as --{name}")
    flat = _flatten_fields(cls)
    for dotted, tp, f in flat:
        help_text = f.metadata.get("help", "").replace("%", "%%")  # argparse formats help with %: "50%" is text
        inner, _ = _unwrap_optional(tp)
        kind = _describe(inner)
        extra = {"nargs": "?", "const": "true"} if inner is bool else {}
        parser.add_argument(f"--{dotted}", dest=f"cfg::{dotted}", default=_MISSING, metavar=kind.upper(),
                            help=f"{help_text} [default: {_default_repr(f)}]", **extra)
    ns = parser.parse_args(argv)
    data: dict = read_yaml(ns.config) if ns.config else {}
    source = str(ns.config) if ns.config else "<defaults>"
    # validate the YAML alone first, so an error names the file, then apply flags
    _check_keys(cls, data, source)
    overrides: dict = {}
    for name in positional:
        if getattr(ns, name) is not None:
            overrides[name] = getattr(ns, name)
    for dotted, tp, _f in flat:
        value = getattr(ns, f"cfg::{dotted}")
        if value is not _MISSING:
            _coerce(value, tp, f"command line: --{dotted}")  # a bad flag is named as a flag, not as the file
            _set_dotted(overrides, dotted, value)
    merged = _merge(data, overrides)
    try:
        return _build(cls, merged, source)
    except ConfigError as err:
        raise ConfigError(f"{err} (after command-line overrides)" if overrides else str(err)) from None


def _check_keys(cls: type, data: dict, where: str) -> None:
    hints = _type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(fields))})")
        tp, _ = _unwrap_optional(hints[key])
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            _check_keys(tp, value, f"{where}: section {key!r}")
        else:
            _coerce(value, hints[key], f"{where}: key {key!r}")


def config_to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def save_config(cfg: Any, out_dir: str | Path, name: str = "config.yaml") -> Path:
    """Write the resolved config next to a run's outputs (atomically)."""
    from common.records import write_text

    path = Path(out_dir) / name
    write_text(path, yaml.safe_dump(config_to_dict(cfg), sort_keys=False, allow_unicode=True))
    return path
