"""MMedBench as an lm-eval task package: what the command writes, and lm-eval running it on a tiny model with the
same choices as our `inference.generate --scoring loglik`."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import yaml

from common.mmedbench import load_split
from common.prompts import get_style
from common.records import read_jsonl
from inference import generate, lm_eval_tasks
from inference.loglik import loglik_choose

LANGS = ["en", "zh", "fr"]
LIMIT = 4


@pytest.fixture(scope="module")
def test_dir(samples_dir):
    return samples_dir / "mmedbench" / "Test"


@pytest.fixture(scope="module")
def sharp_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with its matrices redrawn (std 0.2, seeded). As built it prefers option B on every
    question, so agreeing choices would say little; this one's choices differ from question to question."""
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("sharp-llama")
    shutil.copytree(tiny_model_dir, out, dirs_exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
    model.save_pretrained(out)
    return out


def _write(out, test_dir, style, *extra):
    return lm_eval_tasks.main(["--output", str(out), "--data", str(test_dir), "--prompt_style", style, *extra])


# ---------------------------------------------------------------------------------------------- the package


def test_package_holds_our_prompts_answer_lines_and_gold(test_dir, tmp_path, capsys):
    assert _write(tmp_path, test_dir, "mmedlm") == 0
    group = yaml.safe_load((tmp_path / "mmedbench_mmedlm.yaml").read_text(encoding="utf-8"))
    assert group["task"] == [f"mmedbench_mmedlm_{x}" for x in
                             ("english", "chinese", "japanese", "french", "russian", "spanish")]
    assert group["aggregate_metric_list"][0]["weight_by_size"] is False  # the paper's Avg over languages
    # the sample Test/ has 2 Japanese and 3 French multi-answer questions: left out and counted
    assert group["metadata"]["multi_answer_left_out"]["French"] == 3
    assert "55 single-answer questions; 5 multi-answer left out" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "manifest_mmedbench_mmedlm.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["multi_answer_left_out"]["Japanese"] == 2

    task = yaml.safe_load((tmp_path / "mmedbench_mmedlm_french.yaml").read_text(encoding="utf-8"))
    assert task["output_type"] == "multiple_choice" and task["target_delimiter"] == ""
    docs = read_jsonl(task["dataset_kwargs"]["data_files"]["test"])
    style = get_style("mmedlm")
    singles = [r for r in load_split(test_dir, ["fr"]) if not r.is_multi_answer]
    assert [d["id"] for d in docs] == [r.id for r in singles] and len(docs) == 7
    for doc, rec in zip(docs, singles):
        assert doc["prompt"] == style.build_prompt(rec.question, rec.options, "French", "answer")
        assert doc["choices"] == [style.answer_line([x]) for x in rec.options]
        assert doc["letters"][doc["gold"]] == rec.gold_answer[0]


def test_styles_share_a_folder_and_a_rerun_drops_languages_not_asked_for(test_dir, tmp_path):
    _write(tmp_path, test_dir, "mmedlm")
    _write(tmp_path, test_dir, "mmedlm-infer", "--languages", "ru")
    _write(tmp_path, test_dir, "structured", "--languages", "en,zh")
    _write(tmp_path, test_dir, "mmedlm", "--languages", "ja")
    names = sorted(p.name for p in tmp_path.glob("mmedbench_*.yaml"))
    assert names == ["mmedbench_mmedlm.yaml", "mmedbench_mmedlm_infer.yaml", "mmedbench_mmedlm_infer_russian.yaml",
                     "mmedbench_mmedlm_japanese.yaml", "mmedbench_structured.yaml",
                     "mmedbench_structured_chinese.yaml", "mmedbench_structured_english.yaml"]
    assert (tmp_path / "config_mmedbench_mmedlm_infer.yaml").is_file()
    structured = read_jsonl(tmp_path / "data" / "structured" / "English.jsonl")
    assert structured[0]["prompt"].startswith("You are an experienced physician")


def test_bad_input_is_named_or_counted(test_dir, tmp_path):
    data = tmp_path / "Test"
    data.mkdir()
    lines = (test_dir / "English.jsonl").read_text(encoding="utf-8").splitlines()
    (data / "English.jsonl").write_text("\n".join([lines[0], '{"question": "x"}', *lines[1:]]) + "\n",
                                        encoding="utf-8")
    with pytest.raises(ValueError, match=r"English.jsonl:2"):
        _write(tmp_path / "a", data, "mmedlm")
    assert _write(tmp_path / "b", data, "mmedlm", "--on_bad_record", "skip") == 0
    rejects = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert len(rejects) == 1 and rejects[0]["where"].endswith("English.jsonl:2")
    assert len(read_jsonl(tmp_path / "b" / "data" / "mmedlm" / "English.jsonl")) == 10
    with pytest.raises(ValueError, match="--prompt_style: expected one of mmedlm, mmedlm-infer, structured; got 'alpaca'"):
        _write(tmp_path / "c", data, "alpaca")
    with pytest.raises(ValueError, match="no such model/tokenizer dir: .*missing-model"):
        _write(tmp_path / "d", test_dir, "mmedlm", "--tokenizer", str(tmp_path / "missing-model"))
    assert not (tmp_path / "d").exists()


# ---------------------------------------------------------------------------------------------- lm-eval runs it


def _lm_eval(model_dir, tasks_dir, groups):
    """lm-eval's per-question samples: {(style, id): (doc, per-choice loglik)}."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    result = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={model_dir},dtype=float32", device="cpu", batch_size=8,
        tasks=groups, task_manager=TaskManager(include_path=str(tasks_dir)), limit=LIMIT, log_samples=True)
    assert set(result["results"]) >= {*groups, f"{groups[0]}_french"}
    samples = {}
    for task, items in result["samples"].items():
        style = "structured" if task.startswith("mmedbench_structured") else "mmedlm"
        for s in items:
            samples[style, s["doc"]["id"]] = (s["doc"], [float(r[0]) for r in s["filtered_resps"]])
    return samples


def _package(test_dir, model_dir, out, styles):
    """Write the styles' tasks (English, Chinese, French) with the token check; {style: counts}."""
    for style in styles:
        _write(out, test_dir, style, "--languages", ",".join(LANGS), "--tokenizer", str(model_dir))
    return {s: json.loads((out / f"manifest_mmedbench_{s}.json").read_text(encoding="utf-8"))["counts"]
            for s in styles}


def _assert_same_choices(samples, model_dir, test_dir, out, style):
    """lm-eval's choices equal `inference.generate --scoring loglik` on the questions both scored."""
    generate.main(["--model", str(model_dir), "--data", str(test_dir), "--output", str(out / style),
                   "--languages", ",".join(LANGS), "--limit", str(LIMIT), "--scoring", "loglik", "--modes", "answer",
                   "--prompt_style", style, "--batch_size", "8", "--dtype", "float32", "--device", "cpu",
                   "--progress", "false"])
    ours = {r["id"]: r["output"] for r in read_jsonl(out / style / "predictions.jsonl")}
    theirs = {doc["id"]: doc["choices"][lls.index(max(lls))]
              for (s, qid), (doc, lls) in samples.items() if s == style and qid in ours}
    assert len(theirs) >= 8  # generate's limit counts multi-answer questions too
    assert theirs == {qid: ours[qid] for qid in theirs}, style
    assert len(set(theirs.values())) >= 2  # the choices vary, so agreeing is not a given


@pytest.mark.slow
def test_lm_eval_chooses_as_our_loglik_scoring_in_both_styles(test_dir, sharp_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    counts = _package(test_dir, sharp_model_dir, tmp_path / "tasks", ("structured", "mmedlm"))
    samples = _lm_eval(sharp_model_dir, tmp_path / "tasks", ["mmedbench_structured", "mmedbench_mmedlm"])
    # structured prompts end in "\n", which lm-eval moves into every choice: the same tokens plus one constant
    assert counts["structured"]["lm_eval_token_mismatch_questions"] == 0
    _assert_same_choices(samples, sharp_model_dir, test_dir, tmp_path, "structured")
    tok = AutoTokenizer.from_pretrained(sharp_model_dir)
    model = AutoModelForCausalLM.from_pretrained(sharp_model_dir, dtype=torch.float32)
    for (style, _qid), (doc, lls) in samples.items():
        if style == "structured":
            (_best, ours), = loglik_choose(model, tok, [doc["prompt"]], [doc["letters"]], 8, torch.device("cpu"),
                                           get_style(style))
            offsets = [ll - ours[letter] for ll, letter in zip(lls, doc["letters"])]
            assert max(offsets) - min(offsets) == pytest.approx(0, abs=1e-3)

    # the tiny tokenizer merges nothing across the mmedlm prompt/answer boundary ("#" runs are pre-tokens of their
    # own), so lm-eval scores the fine-tuning tokens there too, and chooses as we do
    assert counts["mmedlm"]["lm_eval_token_mismatch_questions"] == 0
    _assert_same_choices(samples, sharp_model_dir, test_dir, tmp_path, "mmedlm")
