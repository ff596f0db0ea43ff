"""Every command's --help prints and exits 0: argparse %-formats help texts, so a "%" in a field's help (a share,
a percentage) must not crash it (common.config escapes it for every command)."""

from __future__ import annotations

import importlib

import pytest

COMMANDS = ["data_collection.build_corpus", "data_collection.web", "data_collection.corpora", "data_collection.filter",
            "data_collection.ocr", "data_collection.review", "pretrain.tokenize", "pretrain.train", "pretrain.export",
            "finetune.run", "finetune.merge", "inference.generate", "inference.evaluate", "inference.lm_eval_tasks",
            "common.tiny_model"]


@pytest.mark.parametrize("module", COMMANDS)
def test_help_prints_and_exits_0(module, capsys):
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "--config" in out


def test_a_percent_sign_in_a_help_text_is_printed_as_is(capsys):
    from dataclasses import dataclass, field

    from common.config import load_config

    @dataclass
    class Cfg:
        share: float = field(default=0.5, metadata={"help": "keeps 50% of the pairs (100%% = all)"})

    with pytest.raises(SystemExit):
        load_config(Cfg, ["--help"])
    assert "keeps 50% of the pairs (100%% = all)" in capsys.readouterr().out


@pytest.mark.parametrize(("module", "flag", "choices"), [
    ("data_collection.filter", "--on_mismatch", "error,redo"),
    ("pretrain.tokenize", "--mode", "pack,window"),
    ("inference.generate", "--scoring", "generate,loglik"),
    ("finetune.run", "--train.lr_schedule", "cosine,linear,constant"),
])
def test_help_shows_the_choices_of_a_fixed_choice_field(module, flag, choices, capsys):
    with pytest.raises(SystemExit):
        importlib.import_module(module).main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    assert f"{flag} {{{choices}}}" in out and f"choices: {choices.replace(',', ', ')}" in out
