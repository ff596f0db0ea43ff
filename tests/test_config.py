from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest
import yaml

from common.config import ConfigError, bad, config_from_dict, load_config, save_config


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


@dataclass
class Sched:
    warmup_ratio: float = 0.1
    kind: Literal["cosine", "linear"] = "cosine"

    def validate(self) -> None:
        if not 0 <= self.warmup_ratio < 1:
            bad("warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")


@dataclass
class ChoiceCfg:
    on_mismatch: Literal["error", "redo"] = field(default="error", metadata={"help": "what a changed unit does"})
    dtype: Literal["bfloat16", "float32"] | None = None
    metrics: list[Literal["answer", "rationale"]] = field(default_factory=lambda: ["answer"])
    output: str = "out"
    global_batch: int = 8
    micro_batch: int = 2
    sched: Sched = field(default_factory=Sched)

    def validate(self) -> None:
        if self.global_batch % self.micro_batch:
            bad("micro_batch", f"{self.micro_batch} does not divide global_batch {self.global_batch}")


def test_help_shows_the_choices_of_a_literal_field(capsys):
    with pytest.raises(SystemExit):
        load_config(ChoiceCfg, ["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "--on_mismatch {error,redo}" in out and "choices: error, redo" in out
    assert "--dtype {bfloat16,float32}" in out and "--metrics {answer,rationale},..." in out
    assert "--sched.kind {cosine,linear}" in out


def test_a_value_outside_the_choices_is_one_line_naming_file_key_and_choices(tmp_path):
    path = write(tmp_path, {"on_mismatch": "merge"})
    with pytest.raises(ConfigError) as err:
        load_config(ChoiceCfg, ["--config", path])
    assert str(err.value) == f"{path}: key 'on_mismatch': expected one of error, redo; got 'merge'"
    with pytest.raises(ConfigError, match=r"cfg\.yaml: key 'sched\.kind': expected one of cosine, linear; got 'x'"):
        load_config(ChoiceCfg, ["--config", write(tmp_path, {"sched": {"kind": "x"}})])
    with pytest.raises(ConfigError, match=r"^command line: --metrics\[1\]: expected one of answer, rationale; got 'x'$"):
        load_config(ChoiceCfg, ["--metrics", "answer,x"])
    with pytest.raises(ConfigError, match=r"^command line: --dtype: expected one of bfloat16, float32; got 'fp8'$"):
        load_config(ChoiceCfg, ["--dtype", "fp8"])
    cfg = load_config(ChoiceCfg, ["--dtype", "null", "--metrics", "rationale", "--on_mismatch", "redo"])
    assert (cfg.dtype, cfg.metrics, cfg.on_mismatch) == (None, ["rationale"], "redo")


@pytest.mark.parametrize("old", ["out", "output_dir", "out_dir"])
def test_an_old_spelling_of_the_output_folder_names_the_new_one(tmp_path, old):
    with pytest.raises(ConfigError) as err:
        load_config(ChoiceCfg, ["--config", write(tmp_path, {old: "x"})])
    assert str(err.value) == f"{tmp_path / 'cfg.yaml'}: key '{old}' is now 'output'"
    for argv in ([f"--{old}", "x"], [f"--{old}=x"]):
        with pytest.raises(ConfigError) as err:
            load_config(ChoiceCfg, argv)
        assert str(err.value) == f"command line: --{old} is now --output"


def test_validate_errors_name_the_key_where_it_was_set(tmp_path):
    path = write(tmp_path, {"global_batch": 8, "micro_batch": 3})
    with pytest.raises(ConfigError) as err:
        load_config(ChoiceCfg, ["--config", path])
    assert str(err.value) == f"{path}: key 'micro_batch': 3 does not divide global_batch 8"
    with pytest.raises(ConfigError, match=r"^command line: --micro_batch: 5 does not divide global_batch 8$"):
        load_config(ChoiceCfg, ["--config", path, "--micro_batch", "5"])
    assert load_config(ChoiceCfg, ["--config", path, "--micro_batch", "4"]).micro_batch == 4
    # a section's validate() runs too, and its key is named inside the section
    with pytest.raises(ConfigError, match=r"cfg\.yaml: key 'sched\.warmup_ratio': must be in \[0, 1\), got 1\.0$"):
        load_config(ChoiceCfg, ["--config", write(tmp_path, {"sched": {"warmup_ratio": 1.0}})])
    with pytest.raises(ConfigError, match=r"^command line: --sched\.warmup_ratio: must be in"):
        load_config(ChoiceCfg, ["--sched.warmup_ratio", "-0.5"])
    with pytest.raises(ConfigError, match=r"^<dict>: key 'sched.warmup_ratio': must be in"):
        config_from_dict(ChoiceCfg, {"sched": {"warmup_ratio": 2}})


def test_a_command_refuses_an_old_output_spelling_and_a_bad_choice_in_one_line(tmp_path, capsys):
    from common.cli import cli
    from finetune import merge

    prog, out = "python -m finetune.merge", tmp_path / "merged"
    assert cli(merge.main, prog, ["--base", "b", "--adapter", "a", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"{prog}: error: command line: --out is now --output\n"
    path = write(tmp_path, {"base": "b", "adapter": "a", "out": str(out)})
    assert cli(merge.main, prog, ["--config", path]) == 2
    assert capsys.readouterr().err == f"{prog}: error: {path}: key 'out' is now 'output'\n"
    path = write(tmp_path, {"base": "b", "adapter": "a", "output": str(out), "dtype": "fp8"})
    assert cli(merge.main, prog, ["--config", path]) == 2
    assert capsys.readouterr().err == (f"{prog}: error: {path}: key 'dtype': expected one of auto, bf16, fp16, fp32; "
                                       "got 'fp8'\n")
    assert not out.exists()


def test_an_unknown_or_incomplete_flag_is_one_line_with_the_nearest_flag(capsys):
    from common.cli import cli
    from finetune import merge

    prog = "python -m finetune.merge"
    assert cli(merge.main, prog, ["--base", "b", "--adaptor", "a"]) == 2  # argparse alone: usage text, then a line
    assert capsys.readouterr().err == f"{prog}: error: command line: unknown flag --adaptor (did you mean --adapter?)\n"
    assert cli(merge.main, prog, ["--base", "b", "--zzz", "1"]) == 2
    assert capsys.readouterr().err == f"{prog}: error: command line: unknown flag --zzz (see --help for the flags)\n"
    assert cli(merge.main, prog, ["--base"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{prog}: error: command line: argument --base: expected one argument") and \
        err.count("\n") == 1


def test_the_train_section_is_validated_with_its_key_named(tmp_path):
    from pretrain.config import PretrainConfig

    path = write(tmp_path, {"data": "d", "train": {"global_batch_size": 8, "micro_batch_size": 3}})
    with pytest.raises(ConfigError) as err:
        load_config(PretrainConfig, ["--config", path])
    assert str(err.value) == f"{path}: key 'train.micro_batch_size': 3 does not divide global_batch_size 8"
    with pytest.raises(ConfigError, match=r"^command line: --train\.warmup_ratio: must be in \[0, 1\), got 1\.0$"):
        load_config(PretrainConfig, ["--data", "d", "--train.warmup_ratio", "1"])
    with pytest.raises(ConfigError, match=r"^command line: --train\.parallelism: expected one of fsdp, ddp, none"):
        load_config(PretrainConfig, ["--data", "d", "--train.parallelism", "zero3"])


def test_the_old_spelling_of_the_train_run_folder_names_the_new_one(tmp_path):
    from pretrain.config import PretrainConfig

    with pytest.raises(ConfigError) as err:
        load_config(PretrainConfig, ["--data", "d", "--train.output_dir", "runs/a"])
    assert str(err.value) == "command line: --train.output_dir is now --train.output"
    path = write(tmp_path, {"data": "d", "train": {"output_dir": "runs/a"}})
    with pytest.raises(ConfigError) as err:
        load_config(PretrainConfig, ["--config", path])
    assert str(err.value) == f"{path}: key 'train.output_dir' is now 'train.output'"
    assert load_config(PretrainConfig, ["--data", "d", "--train.output", "runs/a"]).train.output == "runs/a"
