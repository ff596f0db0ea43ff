"""Typed configs: dataclasses loaded from YAML, every field overridable from the command line.

    cfg = load_config(FilterConfig, description=__doc__)          # reads sys.argv
    python -m data_collection.filter --config configs/x.yaml --lang zh --num_proc 4 --optim.lr 1e-5

Precedence: dataclass defaults < YAML file < command-line flags. Unknown keys and values of the wrong type are
errors that name the key and the file (or the flag). Nested dataclass fields are YAML mappings and dotted flags.
Booleans accept true/false/yes/no/1/0 (a bare `--flag` means true), so `--flag False` really means false.

A fixed choice is a `Literal[...]` field (also Optional or a list of one): `--help` lists its values and any other
value is refused. Range and cross-field rules live in the dataclass's optional `validate(self)`, which calls
`bad(key, problem)`; load_config runs it for every section once the config is built. Every mistake is one
`ConfigError`: `<file>: key '<dotted.key>': <problem>`, or `command line: --<flag>: <problem>` when a flag set it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from common.cli import UserError

T = TypeVar("T")
_MISSING = dataclasses.MISSING


class ConfigError(UserError):
    """A config key or value that cannot be used: `<source>: key '<dotted.key>': <problem>`, where the source is the
    YAML file or `command line: --<flag>`. `key` and `problem` are kept apart so the loader can name where a value
    came from (a file, a flag) after the sections were merged."""

    def __init__(self, message: str, key: str = "", problem: str = ""):
        super().__init__(message)
        self.key, self.problem = key, problem


def bad(key: str, problem: str) -> NoReturn:
    """Reject a value from a config's `validate()`: `key` is the field (dotted for a subsection's field) relative to
    the dataclass; the loader adds the file or flag and the section the dataclass sits in."""
    raise ConfigError(f"key {key!r}: {problem}", key=key, problem=problem)


# Old spellings of a field, refused with a hint rather than as an unknown key (the output folder was `out` in some
# commands and `output_dir` in others; every command now calls it `output`).
RENAMED_KEYS = {"out": "output", "out_dir": "output", "output_dir": "output"}


@dataclasses.dataclass(frozen=True)
class _At:
    """Where a value came from: a source (YAML file, "<dict>") and a dotted key, or a command-line flag."""

    source: str
    key: str = ""
    flag: bool = False

    def __str__(self) -> str:
        if self.flag:
            return f"command line: --{self.key}"
        return f"{self.source}: key {self.key!r}" if self.key else self.source

    def child(self, name: str) -> _At:
        return dataclasses.replace(self, key=f"{self.key}.{name}" if self.key else name)

    def item(self, index: int) -> _At:
        return dataclasses.replace(self, key=f"{self.key}[{index}]")

    def error(self, problem: str) -> ConfigError:
        return ConfigError(f"{self}: {problem}", key=self.key, problem=problem)


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


def _choice_text(choice: Any) -> str:
    return choice if isinstance(choice, str) and choice and choice.strip() == choice else repr(choice)


def choices_of(tp: Any) -> tuple | None:
    """The values a `Literal[...]` field (also Optional or a list of one) may take, or None for any other type."""
    inner, _ = _unwrap_optional(tp)
    if typing.get_origin(inner) in (list, tuple):
        inner = (typing.get_args(inner) or (Any,))[0]
    return typing.get_args(inner) if typing.get_origin(inner) is typing.Literal else None


def _literal(value: Any, choices: tuple, at: _At) -> Any:
    for choice in choices:  # a flag's value is text: `--top_k 5` may be the choice 5
        if value == choice and type(value) is type(choice) or isinstance(value, str) and value == str(choice):
            return choice
    raise at.error(f"expected one of {', '.join(map(_choice_text, choices))}; got {value!r}")


def _coerce(value: Any, tp: Any, at: _At) -> Any:
    """Check (and minimally convert) a YAML or CLI value against a field type."""
    inner, optional = _unwrap_optional(tp)
    if optional and isinstance(value, str) and value.strip().lower() == "null":  # `--field null` on the CLI
        value = None
    if value is None:
        if optional or inner is Any:
            return None
        raise at.error(f"null is not allowed (expected {_describe(inner)})")
    tp = inner
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise at.error(f"expected a mapping for section {_describe(tp)}, got {value!r}")
        return _build(tp, value, at)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "no", "0", "off"):
            return False
        raise at.error(f"expected a boolean, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise at.error(f"expected an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise at.error(f"expected an integer, got {value!r}") from None
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise at.error(f"expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise at.error(f"expected a number, got {value!r}") from None
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise at.error(f"expected a string, got {value!r}")
        return str(value)
    if origin in (list, tuple):
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        if isinstance(value, str):
            value = _parse_list_flag(value)
        if not isinstance(value, (list, tuple)):
            raise at.error(f"expected a list, got {value!r}")
        return [_coerce(v, item_tp, at.item(i)) for i, v in enumerate(value)]
    if origin is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise at.error(f"expected a mapping (JSON on the command line), got {value!r}") from None
        if not isinstance(value, dict):
            raise at.error(f"expected a mapping, got {value!r}")
        key_tp, val_tp = typing.get_args(tp) or (Any, Any)
        return {_coerce(k, key_tp, at.child(str(k))): _coerce(v, val_tp, at.child(str(k))) for k, v in value.items()}
    if origin is typing.Literal:
        return _literal(value, typing.get_args(tp), at)
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


def _unknown_key(key: str, fields: Any, at: _At) -> ConfigError:
    new = RENAMED_KEYS.get(key)
    if new in fields and key not in fields:
        return ConfigError(f"{at.child(key)} is now {at.child(new).key!r}", key=at.child(key).key,
                           problem=f"is now {new!r}")
    where = f"{at.source}: section {at.key!r}" if at.key else at.source
    return ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(fields))})", key=at.child(key).key,
                       problem="unknown key")


def _build(cls: type[T], data: dict, at: _At) -> T:
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise _unknown_key(unknown[0], fields, at)
    kwargs = {name: _coerce(value, hints[name], at.child(name)) for name, value in data.items()}
    missing = [f.name for f in fields.values() if f.name not in kwargs and f.default is _MISSING
               and f.default_factory is _MISSING]
    if missing:
        raise at.child(missing[0]).error("required, but not set")
    cfg = cls(**kwargs)
    _validate(cfg, at)
    return cfg


def _validate(cfg: Any, at: _At) -> None:
    """Run the dataclass's own `validate()` (its subsections ran theirs when they were built): range and
    cross-field checks that a type cannot say. A `bad(key, ...)` in it is reported under this section's key."""
    check = getattr(cfg, "validate", None)
    if not callable(check):
        return
    try:
        check()
    except ConfigError as err:
        if not err.key:
            raise
        raise at.child(err.key).error(err.problem) from None


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
    """Build and validate `cls` from plain data; errors name `source` and the key."""
    return _build(cls, data, _At(source))


def _metavar_and_help(tp: Any, f: dataclasses.Field) -> tuple[str, str]:
    """A flag's metavar ({a,b} for a choice) and help text, with its choices and default."""
    help_text = f.metadata.get("help", "").replace("%", "%%")  # argparse formats help with %: "50%" is text
    inner, _ = _unwrap_optional(tp)
    choices = choices_of(tp)
    if choices is None:
        return _describe(inner).upper(), f"{help_text} [default: {_default_repr(f)}]"
    listed = ", ".join(map(_choice_text, choices)).replace("%", "%%")
    metavar = "{" + ",".join(map(_choice_text, choices)) + "}"
    if typing.get_origin(inner) in (list, tuple):
        metavar += ",..."
    return metavar, f"{help_text} [choices: {listed}; default: {_default_repr(f)}]"


class _ArgumentParser(argparse.ArgumentParser):
    """argparse whose mistakes (an unknown flag, a flag without its value) are a ConfigError, so that cli() prints
    them as the one line every config mistake is, instead of the usage text and a second line."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"command line: {_with_suggestion(message, self._option_string_actions)}")


def _with_suggestion(message: str, known: dict) -> str:
    """argparse's message, an unknown flag named with the closest known one (`--trian.lr`: did you mean
    --train.lr?), and where the flags are listed."""
    import difflib

    unknown = re.search(r"unrecognized arguments: (\S+)", message)
    if not unknown:
        return f"{message} (see --help)"
    flag = unknown.group(1).split("=", 1)[0]
    close = difflib.get_close_matches(flag, [k for k in known if k.startswith("--")], n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}?" if close else "see --help for the flags"
    return f"unknown flag {flag} ({hint})"


def _refuse_renamed_flags(argv: list[str], flags: set[str]) -> None:
    """`--out DIR` (an old spelling of `--output`) is one line naming the new flag; argparse would otherwise take it
    as an abbreviation of `--output`, or refuse it without saying what it became."""
    for arg in argv:
        if arg == "--":
            return
        name = arg[2:].split("=", 1)[0] if arg.startswith("--") else ""
        head, _, last = name.rpartition(".")
        new = RENAMED_KEYS.get(last)
        renamed = f"{head}.{new}" if head else new
        if new and name not in flags and renamed in flags:
            raise ConfigError(f"command line: --{name} is now --{renamed}", key=name, problem=f"is now --{renamed}")


def load_config(
    cls: type[T],
    argv: list[str] | None = None,
    description: str | None = None,
    prog: str | None = None,
    positional: tuple[str, ...] = (),
) -> T:
    """Parse `--config FILE` plus one `--<field>` flag per field (dotted for sections) into `cls`, then run the
    `validate()` of every section that has one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _ArgumentParser(prog=prog, description=description,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="YAML file with any of the fields below; flags override it")
    for name in positional:
        parser.add_argument(name, nargs="?", default=None, help=f"same as --{name}")
    flat = _flatten_fields(cls)
    for dotted, tp, f in flat:
        metavar, help_text = _metavar_and_help(tp, f)
        extra = {"nargs": "?", "const": "true"} if _unwrap_optional(tp)[0] is bool else {}
        parser.add_argument(f"--{dotted}", dest=f"cfg::{dotted}", default=_MISSING, metavar=metavar, help=help_text,
                            **extra)
    _refuse_renamed_flags(argv, {dotted for dotted, _, _ in flat})
    ns = parser.parse_args(argv)
    data: dict = read_yaml(ns.config) if ns.config else {}
    source = str(ns.config) if ns.config else "<defaults>"
    # validate the YAML alone first, so an error names the file, then apply flags
    _check_keys(cls, data, _At(source))
    overrides: dict = {}
    flags: set[str] = set()
    for name in positional:
        if getattr(ns, name) is not None:
            overrides[name] = getattr(ns, name)
            flags.add(name)
    for dotted, tp, _f in flat:
        value = getattr(ns, f"cfg::{dotted}")
        if value is not _MISSING:
            _coerce(value, tp, _At(source, dotted, flag=True))  # a bad flag is named as a flag, not as the file
            _set_dotted(overrides, dotted, value)
            flags.add(dotted)
    try:
        return _build(cls, _merge(data, overrides), _At(source))
    except ConfigError as err:
        raise _attributed(err, flags, bool(ns.config)) from None


def _attributed(err: ConfigError, flags: set[str], from_file: bool) -> ConfigError:
    """An error of the merged config (a `validate()` check, a required key) named where its key was set: the flag
    that set it, else the file; a key set nowhere is named as the flag that would set it."""
    if not err.key or not err.problem or err.key not in flags and from_file:
        return err
    return ConfigError(f"command line: --{err.key}: {err.problem}", key=err.key, problem=err.problem)


def _check_keys(cls: type, data: dict, at: _At) -> None:
    hints = _type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            raise _unknown_key(key, fields, at)
        tp, _ = _unwrap_optional(hints[key])
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            _check_keys(tp, value, at.child(key))
        else:
            _coerce(value, hints[key], at.child(key))


def config_to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def save_config(cfg: Any, out_dir: str | Path, name: str = "config.yaml") -> Path:
    """Write the resolved config next to a run's outputs (atomically)."""
    from common.records import write_text

    path = Path(out_dir) / name
    write_text(path, yaml.safe_dump(config_to_dict(cfg), sort_keys=False, allow_unicode=True))
    return path
