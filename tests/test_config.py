from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import yaml

from common.config import ConfigError, load_config, save_config


@dataclass
class Optim:
    lr: float = field(default=1e-5, metadata={"help": "peak learning rate"})
    betas: list[float] = field(default_factory=lambda: [0.9, 0.95])


@dataclass
class RunCfg:
    name: str = field(default="run", metadata={"help": "run name"})
    steps: int = 10
    bf16: bool = True
    langs: list[str] = field(default_factory=lambda: ["en"])
    note: str | None = None
    optim: Optim = field(default_factory=Optim)


def write(tmp_path, data) -> str:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_yaml_then_flags_override(tmp_path):
    path = write(tmp_path, {"name": "a", "steps": 5, "optim": {"lr": 3e-4}})
    cfg = load_config(RunCfg, ["--config", path, "--steps", "7", "--optim.lr", "1e-3", "--langs", "zh,ja"])
    assert (cfg.name, cfg.steps, cfg.optim.lr, cfg.langs) == ("a", 7, 1e-3, ["zh", "ja"])
    assert cfg.optim.betas == [0.9, 0.95]


@pytest.mark.parametrize("text,expected", [("false", False), ("False", False), ("0", False), ("true", True)])
def test_bool_flags_mean_what_they_say(text, expected):
    assert load_config(RunCfg, ["--bf16", text]).bf16 is expected
    assert load_config(RunCfg, ["--bf16"]).bf16 is True


def test_unknown_key_names_key_and_file(tmp_path):
    path = write(tmp_path, {"stepz": 3})
    with pytest.raises(ConfigError, match=r"cfg\.yaml.*'stepz'"):
        load_config(RunCfg, ["--config", path])


def test_unknown_nested_key_names_section(tmp_path):
    path = write(tmp_path, {"optim": {"learning_rate": 3}})
    with pytest.raises(ConfigError, match=r"cfg\.yaml.*optim.*'learning_rate'"):
        load_config(RunCfg, ["--config", path])


def test_mistyped_value_is_error(tmp_path):
    path = write(tmp_path, {"steps": "many"})
    with pytest.raises(ConfigError, match=r"cfg\.yaml.*'steps'.*integer"):
        load_config(RunCfg, ["--config", path])
    with pytest.raises(ConfigError, match="boolean"):
        load_config(RunCfg, ["--config", write(tmp_path, {"bf16": "maybe"})])


def test_help_lists_fields_with_help_text(capsys):
    with pytest.raises(SystemExit):
        load_config(RunCfg, ["--help"])
    out = capsys.readouterr().out
    assert "--optim.lr" in out and "peak learning rate" in out and "--steps" in out


def test_saved_config_reloads_identically(tmp_path):
    cfg = load_config(RunCfg, ["--steps", "3", "--note", "x"])
    path = save_config(cfg, tmp_path)
    assert load_config(RunCfg, ["--config", str(path)]) == cfg


def test_missing_config_file_is_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(RunCfg, ["--config", str(tmp_path / "nope.yaml")])


def test_list_flags_take_globs_and_json_and_optional_takes_null():
    cfg = load_config(RunCfg, ["--langs", "[ab]*.parquet", "--note", "null"])
    assert cfg.langs == ["[ab]*.parquet"] and cfg.note is None
    assert load_config(RunCfg, ["--langs", '["a,b.parquet", "c"]']).langs == ["a,b.parquet", "c"]
