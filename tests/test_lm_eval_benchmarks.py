"""The multilingual benchmarks as lm-eval task packages: what is written, and lm-eval choosing as our loglik."""

from __future__ import annotations

import pytest
import yaml
from cli_helpers import write_yaml
from test_lm_eval_tasks import sharp_model_dir  # noqa: F401 - the shared fixture: a model whose choices vary

from common.prompts import get_style
from common.records import read_jsonl
from inference import generate, lm_eval_benchmarks
from inference.multilingual_benchmarks import load_language


def _write(tmp_path, samples_dir, style, *extra, xmed=("zh", "en")):
    bench = samples_dir / "benchmarks"
    cfg = write_yaml(tmp_path / "lm.yaml", {"output": str(tmp_path / "tasks"), "prompt_style": style, "benchmarks": [
        {"name": "xmedbench", "path": str(bench / "xmedbench"), "languages": list(xmed)},
        {"name": "mmlu_prox", "path": str(bench / "mmlu_prox"), "languages": ["en"]}]})
    return lm_eval_benchmarks.main(["--config", str(cfg), *extra])


def test_package_holds_our_prompts_and_up_to_ten_answer_lines(tmp_path, samples_dir):
    assert _write(tmp_path, samples_dir, "mmedlm") == 0
    out = tmp_path / "tasks"
    group = yaml.safe_load((out / "xmedbench_mmedlm.yaml").read_text(encoding="utf-8"))
    assert group["task"] == ["xmedbench_mmedlm_zh", "xmedbench_mmedlm_en"]
    task = yaml.safe_load((out / "mmlu_prox_mmedlm_en.yaml").read_text(encoding="utf-8"))
    assert task["output_type"] == "multiple_choice" and task["target_delimiter"] == ""
    docs = read_jsonl(task["dataset_kwargs"]["data_files"]["test"])
    style = get_style("mmedlm")
    questions = load_language("mmlu_prox", samples_dir / "benchmarks" / "mmlu_prox", "en")
    assert [d["id"] for d in docs] == [q.id for q in questions]
    for doc, q in zip(docs, questions):
        assert doc["prompt"] == style.build_prompt(q.question, q.options, "English", "answer")
        assert doc["choices"] == [style.answer_line([x]) for x in q.options]
        assert doc["letters"][doc["gold"]] == q.gold_answer[0]
    assert len(docs[0]["choices"]) == 10 and docs[1]["letters"][docs[1]["gold"]] == "H"


def test_unknown_benchmark_is_one_line(tmp_path):
    cfg = write_yaml(tmp_path / "lm.yaml", {"output": str(tmp_path / "t"), "benchmarks": [{"name": "mmedbench",
                                                                                       "path": str(tmp_path)}]})
    with pytest.raises(ValueError, match=r"key 'benchmarks\[0\]\.name': mmedbench is not packaged here"):
        lm_eval_benchmarks.main(["--config", str(cfg)])


@pytest.mark.slow
def test_lm_eval_chooses_as_our_loglik(tmp_path, samples_dir, sharp_model_dir):  # noqa: F811
    import lm_eval
    from lm_eval.tasks import TaskManager

    # structured prompts: lm-eval's tokens are ours (tests/test_lm_eval_tasks.py), so its choices must be ours
    assert _write(tmp_path, samples_dir, "structured", "--tokenizer", str(sharp_model_dir), xmed=("zh",)) == 0
    result = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={sharp_model_dir},dtype=float32", device="cpu", batch_size=8,
        tasks=["xmedbench_structured", "mmlu_prox_structured"],
        task_manager=TaskManager(include_path=str(tmp_path / "tasks")), log_samples=True)
    theirs = {s["doc"]["id"]: s["doc"]["choices"][lls.index(max(lls))]
              for items in result["samples"].values() for s in items
              for lls in [[float(r[0]) for r in s["filtered_resps"]]]}
    ours = {}
    for spec, root in (("xmedbench:zh", "xmedbench"), ("mmlu_prox:en", "mmlu_prox")):
        folder = tmp_path / spec.replace(":", "_")
        generate.main(["--model", str(sharp_model_dir), "--benchmark", spec, "--benchmark_path",
                       str(samples_dir / "benchmarks" / root), "--output", str(folder), "--scoring", "loglik",
                       "--modes", "answer", "--prompt_style", "structured", "--dtype", "float32", "--device", "cpu",
                       "--progress", "false"])
        ours.update({r["id"]: r["output"] for r in read_jsonl(folder / "predictions.jsonl")})
    assert len(theirs) == 5 and theirs == {qid: ours[qid] for qid in theirs}
    assert len(set(theirs.values())) >= 2  # the choices vary, so agreeing is not a given
