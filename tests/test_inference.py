"""Generation on the tiny model (batching, resume, shards, loglik) and the evaluation outputs (DESIGN.md)."""

from __future__ import annotations

import csv
import json

import pytest

from common.mmedbench import load_split
from common.prompts import build_prompt
from common.questions import Question
from common.records import read_jsonl
from inference import evaluate, generate, generation
from inference.backends import AnswerLineStop, HFBackend, ModelSpec

RECORD_KEYS = ["id", "language", "mode", "options", "gold_answer", "gold_rationale", "human_check_passed",
               "prompt", "output", "prompt_style"]


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    return HFBackend(ModelSpec(str(tiny_model_dir), dtype="float32", device="cpu"), max_new_tokens=20)


@pytest.fixture(scope="module")
def test_dir(samples_dir):
    return samples_dir / "mmedbench" / "Test"


def test_batched_generation_equals_one_at_a_time(backend, test_dir):
    records = load_split(test_dir)[::5]
    prompts = [build_prompt(r.question, r.options, r.language, mode)
               for r in records for mode in ("answer", "rationale")][:12]
    batched = backend.generate(prompts)
    alone = [backend.generate([p])[0] for p in prompts]
    assert batched == alone
    assert all(isinstance(t, str) and t for t in batched)


def test_sampling_settings_of_the_model_are_overridden(backend):
    gen = backend.generation_config
    assert gen.do_sample is False and gen.num_beams == 1
    assert gen.temperature is None and gen.top_p is None and gen.top_k is None


def test_answer_line_stop_is_per_row(backend):
    tok = backend.tokenizer
    rows = ["###Rationale: because.\n###Answer: OPTION A,C IS CORRECT.", "###Rationale: still thinking about"]
    enc = tok(rows, return_tensors="pt", padding=True, add_special_tokens=False)
    assert AnswerLineStop(tok, prompt_len=0)(enc["input_ids"]).tolist() == [True, False]


def _generate(tiny_model_dir, test_dir, out_dir, *extra):
    generate.main(["--model", str(tiny_model_dir), "--data", str(test_dir), "--output", str(out_dir),
                   "--max_new_tokens", "4", "--batch_size", "4", "--dtype", "float32", "--device", "cpu",
                   "--progress", "false", *extra])


def test_generate_writes_design_records_and_resumes(tiny_model_dir, test_dir, tmp_path):
    out = tmp_path / "preds"
    _generate(tiny_model_dir, test_dir, out, "--limit", "1", "--modes", "answer")
    path = out / "predictions.jsonl"
    first = read_jsonl(path)
    assert len(first) == 6 and all(list(r) == RECORD_KEYS for r in first)
    assert {r["mode"] for r in first} == {"answer"}
    assert (out / "config.yaml").exists() and (out / "manifest.json").exists()
    # mark one done record, and leave a torn line as a killed run would
    first[0]["output"] = "SENTINEL"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first) + '{"id": "Engl',
                    encoding="utf-8")
    _generate(tiny_model_dir, test_dir, out, "--limit", "2", "--modes", "answer,rationale")
    after = read_jsonl(path)
    keys = [(r["id"], r["mode"]) for r in after]
    assert len(keys) == len(set(keys)) == 6 * 2 * 2
    assert after[0]["output"] == "SENTINEL"  # done ids are skipped, never regenerated
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["skipped_done"] == 6 and manifest["counts"]["written"] == 18
    with pytest.raises(ValueError, match="max_new_tokens"):  # resuming with other settings would mix runs
        _generate(tiny_model_dir, test_dir, out, "--limit", "2", "--max_new_tokens", "8")


def test_shards_default_from_slurm_and_split_the_work(monkeypatch):
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "1")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "3")
    cfg = generation.GenerateConfig()
    assert generation.resolve_shard(cfg) == (1, 3)
    assert generation.predictions_path("o", 1, 3).name == "predictions-00001-of-00003.jsonl"
    cfg.shard_index, cfg.num_shards = 0, 1
    assert generation.resolve_shard(cfg) == (0, 1)


def test_loglik_scoring_on_a_benchmark_has_no_parse_failures(tiny_model_dir, samples_dir, tmp_path):
    out = tmp_path / "medqa"
    _generate(tiny_model_dir, samples_dir, out, "--benchmark", "medqa", "--benchmark_path",
              str(samples_dir / "english" / "medqa" / "test.jsonl"), "--scoring", "loglik", "--modes", "answer")
    recs = read_jsonl(out / "predictions.jsonl")
    assert len(recs) == 8 and all(r["benchmark"] == "medqa" for r in recs)
    assert all(r["output"].startswith("###Answer: OPTION ") for r in recs)
    evaluate.main(["--predictions", str(out), "--output", str(tmp_path / "eval"), "--bertscore", "false"])
    with open(tmp_path / "eval" / "english_benchmarks.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["Model", "MedQA", "MedMCQA", "PubMedQA"] and rows[0][-1] == "MMLU Avg"
    assert rows[1][0] == "medqa" and rows[1][1] != "" and rows[1][2] == ""


def test_loglik_batched_equals_single(backend):
    from inference.loglik import loglik_choose

    q = Question("x-1", "English", "Which organ makes insulin?", {"A": "Liver", "B": "Pancreas", "C": "Lung"}, ["B"])
    prompts = [build_prompt(q.question, q.options, q.language, "answer")] * 2
    one = loglik_choose(backend.model, backend.tokenizer, prompts[:1], [list("ABC")], 1, backend.device)
    two = loglik_choose(backend.model, backend.tokenizer, prompts, [list("ABC")] * 2, 6, backend.device)
    assert one[0][0] == two[0][0] == two[1][0]
    for letter in "ABC":
        assert two[1][1][letter] == pytest.approx(one[0][1][letter], abs=1e-4)


# ---------------------------------------------------------------------------------------------- evaluation


def _rec(i, language, mode, gold, output, options="ABCD", passed=True, rationale="The pancreas makes insulin."):
    return {"id": f"{language}-test-{i}", "language": language, "mode": mode,
            "options": {k: f"text {k}" for k in options}, "gold_answer": gold, "gold_rationale": rationale,
            "human_check_passed": passed, "prompt": f"prompt {i}", "output": output}


def _write(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_evaluate_tables_match_design(tmp_path):
    ans = "###Answer: OPTION {} IS CORRECT."
    model_a = [
        _rec(1, "English", "answer", ["B"], ans.format("B")),
        _rec(2, "English", "answer", ["C"], ans.format("A")),
        _rec(1, "French", "answer", ["A", "C"], ans.format("A,C"), options="ABCDE"),
        _rec(2, "French", "answer", ["A", "C"], ans.format("A"), options="ABCDE"),  # subset: wrong
        _rec(1, "Chinese", "answer", ["D"], "答案：D"),
        _rec(2, "Chinese", "answer", ["A"], "我不知道"),  # unparsed
        # Japanese has only rationale-mode records: accuracy comes from them
        _rec(1, "Japanese", "rationale", ["A"], "###Rationale: 膵臓がインスリンを作る。\n" + ans.format("A"),
             rationale="膵臓がインスリンを作る。"),
        _rec(1, "English", "rationale", ["B"], "###Rationale: The pancreas makes insulin.\n" + ans.format("B")),
        _rec(2, "English", "rationale", ["C"], "###Rationale: unrelated words\n" + ans.format("C"), passed=False),
    ]
    _write(tmp_path / "a" / "predictions-00000-of-00002.jsonl", model_a[:4])
    _write(tmp_path / "a" / "predictions-00001-of-00002.jsonl", model_a[4:])
    _write(tmp_path / "b.jsonl", [_rec(1, "English", "answer", ["B"], "B")])
    out = tmp_path / "eval"
    evaluate.main(["--predictions", f"ours={tmp_path / 'a'}", f"other={tmp_path / 'b.jsonl'}", "--output", str(out),
                   "--bertscore", "false"])

    acc = _read_csv(out / "accuracy_metric.csv")
    assert acc[0] == ["Model", "English", "Chinese", "Japanese", "French", "Russian", "Spanish", "Avg"]
    # strict rule (the default): English 50, Chinese 0 ("答案：D" is not the trained line), Japanese 100, French 50;
    # Russian/Spanish empty and out of Avg
    assert acc[1] == ["ours", "50.00", "0.00", "100.00", "50.00", "", "", "50.00"]
    assert acc[2] == ["other", "0.00", "", "", "", "", "", "0.00"]

    sim = _read_csv(out / "rationale_similarity_metric.csv")
    assert sim[0] == ["Model", "Metric", "English", "Chinese", "Japanese", "French", "Russian", "Spanish", "Avg"]
    assert [r[1] for r in sim[1:8]] == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L"]
    bleu1 = sim[1]
    assert bleu1[:3] == ["ours", "BLEU-1", "100.00"] and bleu1[4] == "100.00" and bleu1[3] == ""

    for name in ("ours", "other"):  # leaderboard files per model when several are compared
        mc = _read_csv(out / name / "multi_choice_results.csv")
        assert mc[0] == ["Language", "ModelInput", "ModelOutput", "GT_Answer"]
        assert _read_csv(out / name / "rationale_results.csv")[0] == mc[0]
    mc = _read_csv(out / "ours" / "multi_choice_results.csv")
    assert ["French", "prompt 1", ans.format("A,C"), "A,C"] in mc
    assert len(_read_csv(out / "ours" / "rationale_results.csv")) == 1 + 2  # human-checked only

    md = (out / "results.md").read_text(encoding="utf-8")
    assert "No records for Russian, Spanish: left empty and not part of Avg." in md
    # Chinese "答案：D" is read by the lenient rule only; "我不知道" by neither
    assert "| Chinese | 2 | answer | 0.00 | 0.00 - 0.00 | 0 | 50.00 | 0.00 - 100.00 | 1 | 1 |" in md
    assert "| Japanese | 1 | rationale | 100.00 |" in md
    assert (out / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "manifest.json").exists() and (out / "config.yaml").exists()

    log = [json.loads(line) for line in (out / "ours" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(log) == len(model_a)
    chinese = {r["id"]: r for r in log if r["language"] == "Chinese"}
    assert chinese["Chinese-test-1"]["parsed"] is None and chinese["Chinese-test-1"]["rule"] == "unparsed"
    assert chinese["Chinese-test-1"]["by_rule"]["lenient"] == {"parsed": ["D"], "rule": "cue", "correct": True}
    english_rationale = [r for r in log if r["language"] == "English" and r["mode"] == "rationale"]
    assert english_rationale[0]["rationale_scores"]["BLEU-1"] == pytest.approx(100.0)
    assert "rationale_scores" not in english_rationale[1]  # failed the human check: not scored


def test_evaluate_lenient_rule_for_the_leaderboard_table(tmp_path):
    _write(tmp_path / "p.jsonl", [_rec(1, "Chinese", "answer", ["D"], "答案：D"),
                                  _rec(2, "Chinese", "answer", ["A"], "###Answer: OPTION A IS CORRECT.")])
    evaluate.main(["--predictions", f"m={tmp_path / 'p.jsonl'}", "--output", str(tmp_path / "eval"),
                   "--bertscore", "false", "--accuracy_rule", "lenient"])
    assert _read_csv(tmp_path / "eval" / "accuracy_metric.csv")[1][:3] == ["m", "", "100.00"]


def test_evaluate_rejects_what_it_cannot_place(tmp_path):
    """An ISO code is read as its language; an unknown language or a gold letter that is not an option is a bad
    record named by file and line; a model name cannot leave --output."""
    good = _rec(1, "en", "answer", ["B"], "###Answer: OPTION B IS CORRECT.")
    _write(tmp_path / "p.jsonl", [good, _rec(2, "Klingon", "answer", ["B"], "B"),
                                  _rec(3, "English", "answer", ["F"], "F")])
    out = tmp_path / "eval"
    evaluate.main(["--predictions", f"m={tmp_path / 'p.jsonl'}", "--output", str(out), "--bertscore", "false",
                   "--on_bad_record", "skip"])
    assert _read_csv(out / "accuracy_metric.csv")[1][:2] == ["m", "100.00"]
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["where"].rsplit(":", 1)[1] for r in rejects] == ["2", "3"]
    with pytest.raises(ValueError, match="unknown language 'Klingon'"):
        evaluate.main(["--predictions", f"m={tmp_path / 'p.jsonl'}", "--output", str(out), "--bertscore", "false"])
    with pytest.raises(ValueError, match="model name '../../x'"):
        evaluate.main(["--predictions", f"../../x={tmp_path / 'p.jsonl'}", "--output", str(out), "--bertscore", "false"])


def test_bertscore_is_left_empty_where_the_model_cannot_read_the_language(tmp_path):
    """The bundled English MiniLM scores English; for Russian it leaves the cell empty and says why."""
    recs = [_rec(1, "Russian", "rationale", ["A"], "###Rationale: Поджелудочная железа вырабатывает инсулин.\n"
                 "###Answer: OPTION A IS CORRECT.", options="AB",
                 rationale="Поджелудочная железа вырабатывает инсулин."),
            _rec(1, "English", "rationale", ["A"], "###Rationale: The pancreas makes insulin.\n"
                 "###Answer: OPTION A IS CORRECT.", options="AB")]
    _write(tmp_path / "p" / "predictions.jsonl", recs)
    evaluate.main(["--predictions", str(tmp_path / "p"), "--output", str(tmp_path / "eval")])
    sim = _read_csv(tmp_path / "eval" / "rationale_similarity_metric.csv")
    bert = [r for r in sim if r[1].startswith("BERTScore")][0]
    assert bert[1] == "BERTScore: all-MiniLM-L6-v2 (bundled, English)"  # not the paper's mBERT: it says so
    assert bert[0] == "p" and float(bert[2]) == pytest.approx(100.0, abs=0.01) and bert[6] == ""
    assert bert[-1] == ""  # no Avg over fewer languages than the other rows average
    assert [r for r in sim if r[1] == "BLEU-1"][0][-1] != ""
    md = (tmp_path / "eval" / "results.md").read_text(encoding="utf-8")
    assert "BERTScore left empty for Russian" in md and "bert-base-multilingual-cased" in md
    assert (tmp_path / "eval" / "multi_choice_results.csv").exists()  # one model: top level
    assert (tmp_path / "eval" / "records.jsonl").exists()


def test_bad_prediction_record_is_reported_with_line(tmp_path):
    path = tmp_path / "predictions.jsonl"
    _write(path, [_rec(1, "English", "answer", ["A"], "A"), {"id": "x"}])
    with pytest.raises(ValueError, match="predictions.jsonl:2"):
        evaluate.main(["--predictions", str(path), "--output", str(tmp_path / "eval"), "--bertscore", "false"])


def test_shipped_configs_load(repo_root):
    from common.config import load_config

    for path in sorted((repo_root / "configs" / "inference").glob("*.yaml")):
        if path.name == "eval.yaml":
            assert load_config(evaluate.EvaluateConfig, ["--config", str(path)]).predictions
        elif path.name.startswith("judge"):
            continue  # inference.judge's configs: tests/test_judge*.py load them
        elif path.name.startswith(("suite", "lm_eval_benchmarks")):
            continue  # inference.suite's and inference.lm_eval_benchmarks': tests/test_suite.py loads them
        else:
            generation.check_config(load_config(generation.GenerateConfig, ["--config", str(path)]))


def test_vllm_backend_without_vllm_names_the_extra(tiny_model_dir):
    try:
        import vllm  # noqa: F401
    except ImportError:
        from inference.backends import VLLMBackend

        with pytest.raises(ImportError, match=r"mmed\[vllm\]"):
            VLLMBackend(ModelSpec(str(tiny_model_dir)))
    else:
        pytest.skip("vllm is installed")


def test_shipped_sampling_config_does_not_make_decoding_random(tiny_model_dir, backend, tmp_path):
    import shutil

    sampled = tmp_path / "sampling-model"
    shutil.copytree(tiny_model_dir, sampled)
    gen_cfg = json.loads((sampled / "generation_config.json").read_text(encoding="utf-8"))
    gen_cfg.update(do_sample=True, temperature=1.5, top_p=0.9, top_k=50)  # as Llama 3 ships (hotter)
    (sampled / "generation_config.json").write_text(json.dumps(gen_cfg), encoding="utf-8")
    hot = HFBackend(ModelSpec(str(sampled), dtype="float32", device="cpu"), max_new_tokens=20)
    prompt = build_prompt("Which organ makes insulin?", {"A": "Liver", "B": "Pancreas"}, "English", "answer")
    assert hot.generate([prompt]) == hot.generate([prompt]) == backend.generate([prompt])


def test_adapter_generation_takes_the_base_from_adapter_config(tiny_model_dir, test_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft_model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], lora_alpha=8))
    peft_model.save_pretrained(tmp_path / "adapter")
    cfg_path = tmp_path / "adapter" / "adapter_config.json"
    assert json.loads(cfg_path.read_text(encoding="utf-8"))["base_model_name_or_path"] == str(tiny_model_dir)
    out = tmp_path / "lora-preds"
    generate.main(["--adapter", str(tmp_path / "adapter"), "--model", "", "--data", str(test_dir),
                   "--output", str(out), "--limit", "1", "--modes", "answer", "--languages", "en,zh",
                   "--max_new_tokens", "4", "--device", "cpu", "--progress", "false"])
    assert sorted(r["language"] for r in read_jsonl(out / "predictions.jsonl")) == ["Chinese", "English"]


def test_two_shards_cover_the_test_set_once(tiny_model_dir, test_dir, tmp_path):
    out = tmp_path / "sharded"
    for index in (0, 1):
        _generate(tiny_model_dir, test_dir, out, "--limit", "1", "--modes", "answer,rationale",
                  "--num_shards", "2", "--shard_index", str(index))
    files = sorted(out.glob("predictions-*.jsonl"))
    assert [f.name for f in files] == ["predictions-00000-of-00002.jsonl", "predictions-00001-of-00002.jsonl"]
    keys = [(r["id"], r["mode"]) for f in files for r in read_jsonl(f)]
    assert len(keys) == len(set(keys)) == 12
    for f in files:  # a question's two modes stay together (shards own questions by a hash of their content)
        by_mode = {m: sorted(r["id"] for r in read_jsonl(f) if r["mode"] == m) for m in ("answer", "rationale")}
        assert by_mode["answer"] == by_mode["rationale"] and by_mode["answer"]


def test_same_model_over_several_paths_counts_each_prediction_once(tmp_path):
    ans = "###Answer: OPTION {} IS CORRECT."
    _write(tmp_path / "a.jsonl", [_rec(1, "English", "answer", ["B"], ans.format("B"))])
    _write(tmp_path / "b.jsonl", [_rec(1, "English", "answer", ["B"], ans.format("B")),
                                  _rec(2, "English", "answer", ["C"], ans.format("A"))])
    out = tmp_path / "eval"
    evaluate.main(["--predictions", f"m={tmp_path / 'a.jsonl'}", f"m={tmp_path / 'b.jsonl'}", "--output", str(out),
                   "--bertscore", "false"])
    assert _read_csv(out / "accuracy_metric.csv")[1][:2] == ["m", "50.00"]


def test_missing_model_dir_is_named(test_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        generate.main(["--model", str(tmp_path / "no-such-model"), "--data", str(test_dir), "--limit", "1",
                       "--output", str(tmp_path / "out"), "--progress", "false"])
    with pytest.raises(ValueError, match="loglik"):
        generate.main(["--scoring", "loglik", "--modes", "answer,rationale", "--output", str(tmp_path / "o")])
