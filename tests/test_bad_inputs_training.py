"""Bad input to pretrain.tokenize, pretrain.train, pretrain.export, finetune.run, finetune.merge, common.tiny_model
and common.check_samples, as a user gives it. Each case is one of: a one-line error naming the file, line, key or
flag (exit 2; nothing already written is lost), a counted reject (exit 0), or a failed unit listed in errors.jsonl
while the others are written (exit 1). Reruns with changed settings or data are an error or, asked for, a redo:
never outputs mixed from two settings."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from cli_helpers import one_line_error as _one_line_error
from cli_helpers import write_placeholder as _file
from cli_helpers import write_yaml as _yaml
from killed_run import Killed, killed_after
from test_finetune_data import QUESTIONS, write_train_dir
from test_tokenize import write_corpus

from common import check_samples, tiny_model
from common.checkpoint import COMPLETE
from common.cli import cli
from common.records import read_jsonl
from finetune import merge
from finetune import run as finetune
from pretrain import export, tokenize, train

REPO = Path(__file__).resolve().parent.parent
TOK, TRAIN, EXPORT = "python -m pretrain.tokenize", "torchrun ... -m pretrain.train", "python -m pretrain.export"
FT, MERGE = "python -m finetune.run", "python -m finetune.merge"


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- pretrain.tokenize


def _tok(tiny_model_dir, corpus, out, *extra) -> int:
    return cli(tokenize.main, TOK, ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output",
                                    str(out), "--seq_len", "32", *extra])


def _rows(out: Path, split: str = "train") -> list[dict]:
    from datasets import load_from_disk

    return list(load_from_disk(str(out / split)))


def _tokenizer_dir(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


TOKENIZE_USER_ERRORS = {
    "bad flag value": (lambda t: ["--seq_len", "many"], ["command line: --seq_len", "integer"]),
    "unknown key in the config file": (lambda t: ["--config", str(_yaml(t / "t.yaml", {"seq_lenn": 8}))],
                                       ["t.yaml", "seq_lenn"]),
    "bad mode": (lambda t: ["--mode", "chunk"], ["command line: --mode: expected one of pack, window; got 'chunk'"]),
    "output folder is a file": (lambda t: ["--output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "missing tokenizer": (lambda t: ["--tokenizer", str(t / "no-tok")], ["no-tok", "nothing is downloaded"]),
    "a tokenizer dir with a config but no vocabulary": (
        lambda t: ["--tokenizer", str(_tokenizer_dir(t / "cfg-only", {"tokenizer_config.json": "{}"}))],
        ["cfg-only: no tokenizer vocabulary", "tokenizer.json"]),
    "a truncated tokenizer.json": (
        lambda t: ["--tokenizer", str(_tokenizer_dir(t / "cut", {"tokenizer.json": '{"version": "1.0", "mod'}))],
        ["cut/tokenizer.json:1", "not valid JSON"]),
    "missing input": (lambda t: ["--input", str(t / "nowhere")], ["nowhere"]),
    "an input file that is a dangling link": (
        lambda t: (t / "corpus" / "en" / "gone.jsonl").symlink_to(t / "deleted.jsonl") or [],
        ["gone.jsonl", "deleted.jsonl, which does not exist"]),
    "bad on_mismatch": (lambda t: ["--on_mismatch", "merge"], ["on_mismatch", "'merge'"]),
}


@pytest.mark.parametrize("case", list(TOKENIZE_USER_ERRORS))
def test_tokenize_user_errors_are_one_line_before_any_work(case, tiny_model_dir, tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus", n_docs=3)
    extra, fragments = TOKENIZE_USER_ERRORS[case]
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out, *extra(tmp_path)) == 2
    _one_line_error(capsys, TOK, *fragments)
    assert not out.exists()  # checked before anything was written


BAD_LINES = {
    "malformed JSONL line": ("{not json", "invalid JSON"),
    "a line cut inside a string": ('{"id": "x", "text": "fev', "invalid JSON (Unterminated string starting at column 21)"),
    "a line cut at its end": ('{"id": "x", "text": "fever"', "invalid JSON (Expecting ',' delimiter at column 28)"),
    "text of the wrong type": (json.dumps({"id": "x", "text": 5}), "no text in field 'text'"),
    "missing text field": (json.dumps({"id": "x", "title": "t"}), "no text in field 'text'"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_tokenize_bad_record_fails_its_file_alone_or_is_a_counted_reject(case, tiny_model_dir, tmp_path):
    corpus = write_corpus(tmp_path / "corpus", n_docs=4)
    path = corpus / "fr" / "part.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    line, reason = BAD_LINES[case]
    path.write_text("\n".join(lines[:2] + [line] + lines[2:]) + "\n", encoding="utf-8")
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out) == 1  # the en file is tokenized, the fr file failed, nothing joined
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["unit"].endswith("fr/part.jsonl") and "part.jsonl:3" in error["error"] and reason in error["error"]
    assert _manifest(out)["failed_units"] == [error["unit"]] and not (out / "meta.json").exists()
    assert _tok(tiny_model_dir, corpus, out, "--on_bad_record", "skip") == 0  # the en part is reused
    assert _manifest(out)["counts"]["units_skipped_done"] == 1 and not (out / "errors.jsonl").exists()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["rejected"] == 1 and meta["languages"]["train"]["fr"]["documents"] == 4
    assert [r["where"] for r in read_jsonl(out / "rejects.jsonl")] == [f"{path}:3"]


@pytest.mark.parametrize("content", [b"", b"PAR1 this is not a parquet file PAR1"], ids=["empty", "corrupt"])
def test_tokenize_unreadable_parquet_fails_alone_naming_the_file(content, tiny_model_dir, tmp_path):
    corpus = write_corpus(tmp_path / "corpus", n_docs=3)
    (corpus / "fr" / "broken.parquet").write_bytes(content)
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out) == 1
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["unit"].endswith("broken.parquet") and "broken.parquet" in error["error"]
    assert _manifest(out)["counts"]["units_done"] == 2  # the other files' parts are kept for the rerun


def test_tokenize_empty_texts_are_counted(tiny_model_dir, tmp_path):
    corpus = tmp_path / "corpus" / "en"
    corpus.mkdir(parents=True)
    (corpus / "a.jsonl").write_text('{"text": "fever"}\n{"text": " "}\n{"text": ""}\n', encoding="utf-8")
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out, "--mode", "window", "--seq_len", "16", "--overlap", "4") == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["empty_documents"] == 2 and meta["languages"]["train"]["en"]["documents"] == 1


def test_tokenize_rerun_with_another_seq_len_is_an_error_or_a_full_redo_never_a_mix(tiny_model_dir, tmp_path,
                                                                                       capsys):
    corpus = write_corpus(tmp_path / "corpus", n_docs=6)
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out, "--keep_parts") == 0
    before = _rows(out)
    assert _tok(tiny_model_dir, corpus, out, "--keep_parts", "--seq_len", "64") == 2
    _one_line_error(capsys, TOK, "seq_len: 32 -> 64", "on_mismatch")
    assert _rows(out) == before and json.loads((out / "meta.json").read_text())["seq_len"] == 32
    assert _tok(tiny_model_dir, corpus, out, "--keep_parts", "--seq_len", "64", "--on_mismatch", "redo") == 0
    assert {len(r["input_ids"]) for r in _rows(out)} == {64}
    assert json.loads((out / "meta.json").read_text())["seq_len"] == 64
    assert _manifest(out)["counts"]["units_done"] == 3  # both parts made again, and the join


def test_tokenize_changed_or_added_input_before_a_rerun(tiny_model_dir, tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus", n_docs=4)
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out) == 0
    with (corpus / "en" / "part.jsonl").open("a", encoding="utf-8") as f:  # an input changed in place
        f.write(json.dumps({"id": "en-x", "text": "fever and cough"}) + "\n")
    assert _tok(tiny_model_dir, corpus, out) == 2
    _one_line_error(capsys, TOK, "en/part.jsonl changed")
    assert json.loads((out / "meta.json").read_text())["inputs"] == 2
    assert _tok(tiny_model_dir, corpus, out, "--on_mismatch", "redo") == 0
    assert json.loads((out / "meta.json").read_text())["languages"]["train"]["en"]["documents"] == 5
    (corpus / "de").mkdir()  # an input added: picked up without asking
    (corpus / "de" / "a.jsonl").write_text(json.dumps({"text": "Fieber und Husten"}) + "\n", encoding="utf-8")
    assert _tok(tiny_model_dir, corpus, out) == 0
    assert json.loads((out / "meta.json").read_text())["inputs"] == 3


def test_tokenize_interrupted_mid_file_then_rerun_equals_a_clean_run(tiny_model_dir, tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus", n_docs=8)
    real_close, calls = tokenize.PartWriter.close, []

    def killed_on_second_file(self):
        calls.append(1)
        if len(calls) == 2:  # the second file's part is half written (its temp parquet is there)
            self._flush("train")
            raise KeyboardInterrupt
        real_close(self)

    monkeypatch.setattr(tokenize.PartWriter, "close", killed_on_second_file)
    out = tmp_path / "tok"
    assert _tok(tiny_model_dir, corpus, out, "--val_ratio", "0.25") == 130
    assert _manifest(out)["status"] == "interrupted" and _manifest(out)["counts"]["units_done"] == 1
    monkeypatch.setattr(tokenize.PartWriter, "close", real_close)
    assert _tok(tiny_model_dir, corpus, out, "--val_ratio", "0.25") == 0
    assert _manifest(out)["counts"]["units_skipped_done"] == 1
    assert _tok(tiny_model_dir, corpus, tmp_path / "clean", "--val_ratio", "0.25") == 0
    for split in ("train", "validation"):
        assert _rows(out, split) == _rows(tmp_path / "clean", split)


# ---------------------------------------------------------------------------------------------- pretrain.train


@pytest.fixture(scope="module")
def tokens(tiny_model_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad-train")
    corpus = write_corpus(root / "corpus", n_docs=12)
    assert tokenize.main(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output",
                          str(root / "tokens"), "--seq_len", "32", "--val_ratio", "0.2"]) == 0
    return root / "tokens"


def _train(tiny_model_dir, data, out, *extra) -> int:
    return cli(train.main, TRAIN, [
        "--config", str(REPO / "configs/pretrain/tiny.yaml"), "--model", str(tiny_model_dir), "--data", str(data),
        "--train.output", str(out), "--export_dir", str(out / "hf"), "--train.max_steps", "3",
        "--train.global_batch_size", "2", "--train.micro_batch_size", "1", "--train.checkpoint_every", "1",
        "--train.parallelism", "none", "--train.activation_checkpointing", "false", "--train.tensorboard", "false",
        "--train.eval_every", "0", *extra])


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tokens, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bad-train-run") / "run"
    assert _train(tiny_model_dir, tokens, out) == 0
    return out


TRAIN_USER_ERRORS = {
    "bad flag value": (lambda t: ["--train.lr", "fast"], ["command line: --train.lr"]),
    "unknown key in the config file": (lambda t: ["--config", str(_yaml(t / "p.yaml", {"modell": "x"}))],
                                       ["p.yaml", "modell"]),
    "data not tokenized": (lambda t: ["--data", str(t / "corpus")], ["corpus", "not a tokenized dataset"]),
    "missing model": (lambda t: ["--model", str(t / "no-model")], ["no-model", "nothing is downloaded"]),
    "output folder is a file": (lambda t: ["--train.output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "bad parallelism": (lambda t: ["--train.parallelism", "tp"], ["train.parallelism", "'tp'"]),
    "data and a mixture": (lambda t: ["--mixture", f"{t / 'tok'}=1", "--train.max_steps", "2"],
                           ["--data: set data or mixture, not both"]),
    "a mixture without max_steps": (lambda t: ["--data", "", "--mixture", f"{t / 'tok'}=1", "--train.max_steps", "0"],
                                    ["--mixture: set train.max_steps too"]),
    "bad export dtype": (lambda t: ["--export_dtype", "fp16"],
                         ["command line: --export_dtype: expected one of auto, bfloat16, float32; got 'fp16'"]),
}


@pytest.mark.parametrize("case", list(TRAIN_USER_ERRORS))
def test_train_user_errors_are_one_line_before_any_work(case, tiny_model_dir, tokens, tmp_path, capsys):
    extra, fragments = TRAIN_USER_ERRORS[case]
    out = tmp_path / "run"
    assert _train(tiny_model_dir, tokens, out, *extra(tmp_path)) == 2
    _one_line_error(capsys, TRAIN, *fragments)
    assert not out.exists()


def _loss_steps(out: Path) -> list[int]:
    return [row["step"] for row in read_jsonl(out / "metrics.jsonl") if "loss" in row]


def test_train_resume_on_other_data_or_model_is_refused_and_the_run_kept(tiny_model_dir, tokens, tmp_path, capsys):
    out = tmp_path / "run"
    with killed_after(2), pytest.raises(Killed):
        _train(tiny_model_dir, tokens, out)
    kept = {p: p.read_bytes() for p in [out / "config.yaml", out / "metrics.jsonl"]}
    other = tmp_path / "other-tokens"
    shutil.copytree(tokens, other)
    meta = json.loads((other / "meta.json").read_text())
    meta["seq_len"] = 16  # another tokenization behind the same folder layout
    (other / "meta.json").write_text(json.dumps(meta))
    assert _train(tiny_model_dir, other, out) == 2
    _one_line_error(capsys, TRAIN, "the training data changed", "on_mismatch: redo")
    assert _train(tiny_model_dir, tokens, out, "--train.lr", "0.5", "--train.lr_schedule", "constant") == 2
    _one_line_error(capsys, TRAIN, "train.lr:", "-> 0.5", "train.lr_schedule:")  # every field, not a list
    other_model = tmp_path / "model-copy"
    shutil.copytree(tiny_model_dir, other_model)
    assert _train(other_model, tokens, out) == 2
    _one_line_error(capsys, TRAIN, f"model: '{tiny_model_dir}' -> '{other_model}'")
    assert {p: p.read_bytes() for p in kept} == kept  # the failed runs changed nothing there
    assert _manifest(out)["status"] == "error" and "model" in _manifest(out)["error"]
    assert _train(tiny_model_dir, tokens, out) == 0  # the same settings resume it
    assert "resumed from" in capsys.readouterr().out
    assert _loss_steps(out) == [1, 2, 3]
    assert _train(other_model, tokens, out, "--on_mismatch", "redo") == 0  # started over: no mixed metrics
    assert "resumed from" not in capsys.readouterr().out
    assert _loss_steps(out) == [1, 2, 3]
    assert _manifest(out)["counts"]["steps_this_run"] == 3


# ---------------------------------------------------------------------------------------------- pretrain.export


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _export(checkpoint, model, out, *extra) -> int:
    return cli(export.main, EXPORT, ["--checkpoint", str(checkpoint), "--model", str(model), "--output", str(out),
                                     *extra])


def test_export_errors_reruns_and_a_crafted_checkpoint(tiny_model_dir, trained, tmp_path, capsys):
    out = tmp_path / "hf"
    assert _export(tmp_path / "none", tiny_model_dir, out) == 2
    _one_line_error(capsys, EXPORT, "none", "no complete checkpoint")
    assert _export(trained, tiny_model_dir, out, "--dtype", "fp8") == 2
    _one_line_error(capsys, EXPORT, "command line: --dtype: expected one of auto, bfloat16, float32; got 'fp8'")
    assert cli(export.main, EXPORT, ["--checkpoint", str(trained), "--model", str(tiny_model_dir), "--out",
                                     str(out)]) == 2  # the old spelling of the output folder
    _one_line_error(capsys, EXPORT, "--out is now --output")
    assert _export(trained, tiny_model_dir, _file(tmp_path / "taken")) == 2
    _one_line_error(capsys, EXPORT, "taken", "is a file")

    assert _export(trained, tiny_model_dir, out) == 0
    weights = (out / "model.safetensors").read_bytes()
    assert _export(trained, tiny_model_dir, out) == 0 and "already holds" in capsys.readouterr().out
    older = trained / "checkpoints" / "step_00000002"
    assert _export(older, tiny_model_dir, out) == 2  # another checkpoint into the same folder
    _one_line_error(capsys, EXPORT, "its records changed", "on_mismatch")
    assert _export(trained, tiny_model_dir, out, "--dtype", "bfloat16") == 2
    _one_line_error(capsys, EXPORT, "dtype: 'auto' -> 'bfloat16'")
    assert (out / "model.safetensors").read_bytes() == weights
    assert _export(older, tiny_model_dir, out, "--on_mismatch", "redo") == 0
    assert (out / "model.safetensors").read_bytes() != weights
    config_only = tmp_path / "base-config"  # export reads the base's config and tokenizer, never its weights
    shutil.copytree(tiny_model_dir, config_only, ignore=shutil.ignore_patterns("*.safetensors"))
    assert _export(older, config_only, tmp_path / "hf-from-config") == 0

    crafted = tmp_path / "crafted" / "checkpoints" / "step_00000002"
    crafted.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    (crafted / ".metadata").write_bytes(pickle.dumps(_RunsCode(marker)))
    (crafted / COMPLETE).write_text("step 2\n")
    assert _export(tmp_path / "crafted", tiny_model_dir, tmp_path / "hf2") == 2
    _one_line_error(capsys, EXPORT, ".metadata", "posix.system")
    assert not marker.exists()


def _cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def test_train_on_a_truncated_arrow_file_is_one_line_naming_it(tiny_model_dir, tokens, tmp_path, capsys):
    copy = tmp_path / "tokens"
    shutil.copytree(tokens, copy)
    arrow = next((copy / "train").glob("*.arrow"))
    _cut(arrow, arrow.stat().st_size // 2)  # a copy cut short
    assert _train(tiny_model_dir, copy, tmp_path / "run") == 2
    _one_line_error(capsys, TRAIN, f"{copy / 'train'}: not a readable dataset folder", arrow.name)


CHECKPOINT_DAMAGE = {
    "crafted rng file": (lambda step, marker: (step / "rng" / "rank_00000.pt").write_bytes(
        pickle.dumps(_RunsCode(marker))), ["rank_00000.pt", "refused"]),
    "truncated .distcp": (lambda step, marker: _cut(step / "__0_0.distcp", 100), ["step_00000003", "cannot be read"]),
    "broken trainer_state.json": (lambda step, marker: _cut(step / "trainer_state.json", 20),
                                  ["trainer_state.json:", "not valid JSON"]),
}


@pytest.mark.parametrize("case", list(CHECKPOINT_DAMAGE))
def test_a_damaged_or_crafted_checkpoint_is_one_line_on_resume(case, tiny_model_dir, tokens, trained, tmp_path,
                                                               capsys):
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    damage, fragments = CHECKPOINT_DAMAGE[case]
    marker = tmp_path / "code-ran"
    damage(out / "checkpoints" / "step_00000003", marker)
    assert _train(tiny_model_dir, tokens, out) == 2
    line = _one_line_error(capsys, TRAIN, *fragments)
    assert "weights_only" not in line and not marker.exists()
    if case == "truncated .distcp":
        assert _export(out, tiny_model_dir, tmp_path / "hf") == 2
        _one_line_error(capsys, EXPORT, *fragments)


# ---------------------------------------------------------------------------------------------- finetune.run


def _ft(model, train_dir, out, *extra) -> int:
    return cli(finetune.main, FT, [
        "--config", str(REPO / "configs/finetune/tiny_lora.yaml"), "--model", str(model), "--data.train_dir",
        str(train_dir), "--train.output", str(out), "--data.max_seq_len", "384", "--train.tensorboard", "false",
        "--train.global_batch_size", "2", "--train.micro_batch_size", "2", "--train.max_steps", "2",
        "--train.checkpoint_every", "1", "--data.on_bad_record", "error", *extra])


def _with_line(train_dir: Path, name: str, index: int, line: str) -> None:
    path = train_dir / name
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


FT_BAD_RECORDS = {
    "malformed JSONL line": ("{not json", "English.jsonl:2: invalid JSON"),
    "missing answer": (json.dumps({"question": "q", "options": {"A": "a", "B": "b"}, "rationale": "r"}),
                       "English.jsonl:2: 'answer_idx' is missing"),
    "options of the wrong type": (json.dumps({"question": "q", "options": ["a", "b"], "answer_idx": "A",
                                              "rationale": "r"}), "English.jsonl:2"),
    "a lone surrogate in a question": (json.dumps({"question": "q\ud800", "options": {"A": "a", "B": "b"},
                                                   "answer_idx": "A", "rationale": "r"}),
                                       "English.jsonl:2: field 'question' holds a lone surrogate"),
}


@pytest.mark.parametrize("case", list(FT_BAD_RECORDS))
def test_finetune_bad_record_is_one_line_or_a_counted_reject(case, tiny_model_dir, tmp_path, capsys):
    train_dir = write_train_dir(tmp_path)
    line, fragment = FT_BAD_RECORDS[case]
    _with_line(train_dir, "English.jsonl", 1, line)
    assert _ft(tiny_model_dir, train_dir, tmp_path / "a") == 2
    _one_line_error(capsys, FT, fragment)
    assert _manifest(tmp_path / "a")["status"] == "error"
    assert _ft(tiny_model_dir, train_dir, tmp_path / "b", "--data.on_bad_record", "skip") == 0
    (reject,) = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert reject["where"].endswith("English.jsonl:2")
    assert _manifest(tmp_path / "b")["counts"]["rejected"] == 1 and (tmp_path / "b" / "adapter").is_dir()


FT_USER_ERRORS = {
    "bad flag value": (lambda t: ["--train.max_steps", "two"], ["command line: --train.max_steps"]),
    "unknown key in the config file": (lambda t: ["--config", str(_yaml(t / "f.yaml", {"lora": {"rank": 4}}))],
                                       ["f.yaml", "rank"]),
    "bad method": (lambda t: ["--method", "qlora"], ["command line: --method: expected one of full, lora; got 'qlora'"]),
    "missing model": (lambda t: ["--model", str(t / "no-model")], ["no-model", "nothing is downloaded"]),
    "missing train dir": (lambda t: ["--data.train_dir", str(t / "nowhere")], ["data.train_dir", "nowhere"]),
    "output folder is a file": (lambda t: ["--train.output", str(_file(t / "taken"))], ["taken", "is a file"]),
}


@pytest.mark.parametrize("case", list(FT_USER_ERRORS))
def test_finetune_user_errors_are_one_line_before_any_work(case, tiny_model_dir, tmp_path, capsys):
    train_dir = write_train_dir(tmp_path)
    extra, fragments = FT_USER_ERRORS[case]
    out = tmp_path / "run"
    assert _ft(tiny_model_dir, train_dir, out, *extra(tmp_path)) == 2
    _one_line_error(capsys, FT, *fragments)
    assert not out.exists()


def test_finetune_resume_on_changed_training_files_is_refused(tiny_model_dir, tmp_path, capsys):
    train_dir = write_train_dir(tmp_path)
    out = tmp_path / "run"
    with killed_after(1), pytest.raises(Killed):
        _ft(tiny_model_dir, train_dir, out)
    write_train_dir(tmp_path, QUESTIONS[:3])  # Chinese gone, English the same: other data behind the same path
    (train_dir / "Chinese.jsonl").unlink()
    assert _ft(tiny_model_dir, train_dir, out) == 2
    _one_line_error(capsys, FT, "the training data changed", "on_mismatch: redo")
    assert not (out / "adapter").exists() and (out / "checkpoints" / "step_00000001").is_dir()
    assert _ft(tiny_model_dir, train_dir, out, "--on_mismatch", "redo") == 0
    assert (out / "adapter").is_dir() and _manifest(out)["train"]["steps_this_run"] == 2


def test_finetune_resume_of_a_finished_run_with_another_recipe_is_refused(tiny_model_dir, tmp_path, capsys):
    """Every field but the allow-listed ones is compared: another lr is another run, not a resume; a time limit or
    checkpoint cadence is not."""
    train_dir = write_train_dir(tmp_path)
    out = tmp_path / "run"
    assert _ft(tiny_model_dir, train_dir, out) == 0
    config = (out / "config.yaml").read_text(encoding="utf-8")
    assert _ft(tiny_model_dir, train_dir, out, "--train.lr", "0.5") == 2
    _one_line_error(capsys, FT, "train.lr: 0.01 -> 0.5", "on_mismatch: redo")
    assert _ft(tiny_model_dir, train_dir, out, "--method", "full", "--train.warmup_ratio", "0.5") == 2
    _one_line_error(capsys, FT, "method: 'lora' -> 'full'", "train.warmup_ratio: 0.03 -> 0.5")
    assert (out / "config.yaml").read_text(encoding="utf-8") == config
    assert _ft(tiny_model_dir, train_dir, out, "--train.checkpoint_every", "5", "--train.max_train_minutes", "60",
               "--train.micro_batch_size", "1") == 0  # cadence, time limit, memory: the same run, resumed


# ---------------------------------------------------------------------------------------------- finetune.merge


@pytest.fixture()
def adapter(tiny_model_dir, tmp_path) -> Path:
    from transformers import AutoModelForCausalLM

    from finetune.lora import LoraSection, apply_lora

    path = tmp_path / "adapter"
    apply_lora(AutoModelForCausalLM.from_pretrained(tiny_model_dir), LoraSection(r=2, alpha=4)).save_pretrained(path)
    return path


def _merge(base, adapter_dir, out, *extra) -> int:
    return cli(merge.main, MERGE, ["--base", str(base), "--adapter", str(adapter_dir), "--output", str(out), *extra])


def test_merge_errors_and_reruns(tiny_model_dir, adapter, tmp_path, capsys):
    out = tmp_path / "merged"
    assert _merge(tiny_model_dir, tmp_path / "no-adapter", out) == 2
    _one_line_error(capsys, MERGE, "no-adapter", "adapter_config.json")
    assert _merge(tiny_model_dir, adapter, out, "--dtype", "int4") == 2
    _one_line_error(capsys, MERGE, "command line: --dtype: expected one of auto, bf16, fp16, fp32; got 'int4'")
    assert _merge(tiny_model_dir, adapter, _file(tmp_path / "taken")) == 2
    _one_line_error(capsys, MERGE, "taken", "is a file")
    assert _merge(tiny_model_dir, adapter, out) == 0
    weights = (out / "model.safetensors").read_bytes()
    assert _merge(tiny_model_dir, adapter, out) == 0 and "already holds" in capsys.readouterr().out
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["lora_alpha"] = 8  # the adapter changed in place
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    assert _merge(tiny_model_dir, adapter, out) == 2
    _one_line_error(capsys, MERGE, "adapter_config.json changed", "on_mismatch")
    assert (out / "model.safetensors").read_bytes() == weights
    assert _merge(tiny_model_dir, adapter, out, "--on_mismatch", "redo") == 0
    assert _manifest(out)["counts"]["units_redone"] == 1


# ---------------------------------------------------------------------------------------------- small commands


def test_tiny_model_and_check_samples_errors_are_one_line(tmp_path, capsys):
    assert cli(tiny_model.main, "python -m common.tiny_model", ["--vocab_size", "many"]) == 2
    _one_line_error(capsys, "python -m common.tiny_model", "command line: --vocab_size")
    assert cli(tiny_model.main, "python -m common.tiny_model", ["--samples", str(tmp_path / "none"),
                                                                "--output", str(tmp_path / "m")]) == 2
    _one_line_error(capsys, "python -m common.tiny_model", "samples folder not found", "none")
    assert cli(check_samples.main, "python -m common.check_samples", ["--samples", str(tmp_path)]) == 2
    _one_line_error(capsys, "python -m common.check_samples", str(tmp_path))
    broken = tmp_path / "s" / "mmedbench" / "Train"
    broken.mkdir(parents=True)
    (broken / "English.jsonl").write_text('{"question": "q"}\n', encoding="utf-8")
    assert cli(check_samples.main, "python -m common.check_samples", ["--samples", str(tmp_path / "s")]) == 2
    _one_line_error(capsys, "python -m common.check_samples", "English.jsonl:1")
