"""Mutation testing of the core modules with our own list of mutants: do the tests catch realistic one-line bugs?

    python scripts/mutation.py                      # every mutant; prints killed / survived / stale and the score
    python scripts/mutation.py --list               # the mutants (ok or stale) and the tests each one runs
    python scripts/mutation.py --only lora_alpha_is_r strict_optional_full_stop
    python scripts/mutation.py --json mutation.json # also write the outcomes
    python scripts/mutation.py --only loss_divided_per_micro_batch --tests tests/test_engine.py  # other tests

Each mutant is one bug a person could plausibly write: an exact snippet of a source file, its replacement, and the
tests that should fail because of it. The working tree (tracked files and untracked ones git does not ignore) is
copied into a temporary folder; each mutant is applied there alone, its tests run with this Python (pytest -x), and
the file is put back before the next. The working tree itself is never written to.

Outcomes: killed (a test failed, or the mutated code no longer imports), survived (every test passed), stale (the
snippet is not in the file exactly once: the code changed since the mutant was written; update the mutant),
timeout (counted as killed), error (pytest could not run the selection). Before the mutants, each distinct
selection of tests runs once on the unmutated copy (the baseline); the mutants of a selection that fails there are
reported as `baseline-failed` and not counted. Score = killed / (killed + survived). Runs outside CI (minutes per
mutant on a laptop CPU; `--only` to check one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    find: str  # exact source text, present exactly once in the file
    replace: str
    tests: tuple[str, ...]  # pytest paths or node ids, relative to the repository root


PARSE_TESTS = ("tests/test_core_rules.py", "tests/test_parse.py")
METRIC_TESTS = ("tests/test_core_rules.py", "tests/test_metrics.py")
MATCHER_TESTS = ("tests/test_core_rules.py", "tests/test_matcher.py")
TOKENIZE_TESTS = ("tests/test_tokenize_fast.py", "tests/test_tokenize.py")
RUN_TESTS = ("tests/test_core_rules.py", "tests/test_run.py")
TRAINER_TESTS = ("tests/test_numerics.py",)
SCHEDULE_TESTS = ("tests/test_engine.py::test_cosine_schedule_warms_up_then_decays_to_min",)
FINETUNE_DATA_TESTS = ("tests/test_finetune_data.py",)
LORA_TESTS = ("tests/test_lora_numerics.py", "tests/test_finetune_merge.py")
LOCK_TESTS = ("tests/test_run_lock.py",)
JUDGE_TESTS = ("tests/test_judge_http.py::test_retries_cache_cost_and_position_bias",)

MUTANTS: tuple[Mutant, ...] = (
    # -- answer parsing (inference/parse.py)
    Mutant("strict_optional_full_stop", "inference/parse.py",
           r'_STRICT_LINE = r"###Answer: OPTION ([A-Z](?:,[A-Z])*) IS CORRECT\."',
           r'_STRICT_LINE = r"###Answer: OPTION ([A-Z](?:,[A-Z])*) IS CORRECT\.?"', PARSE_TESTS),
    Mutant("strict_any_case", "inference/parse.py",
           "(?!###Answer:).)*\\n)?{_STRICT_LINE}\", re.DOTALL)",
           "(?!###Answer:).)*\\n)?{_STRICT_LINE}\", re.DOTALL | re.IGNORECASE)", PARSE_TESTS),
    Mutant("lenient_negation_guard_removed", "inference/parse.py",
           "if labels and not _NEGATED.match(text, labels.end):", "if labels:", PARSE_TESTS),
    Mutant("lenient_first_statement_wins", "inference/parse.py",
           "found, key=lambda st: (st.rank, st.start))", "found, key=lambda st: (st.rank, -st.start))",
           PARSE_TESTS),
    Mutant("lenient_hedge_accepted", "inference/parse.py",
           "    if st.hedged:\n        return ParsedAnswer(None, \"ambiguous\")",
           "    if False:\n        return ParsedAnswer(None, \"ambiguous\")", PARSE_TESTS),
    Mutant("cyrillic_labels_read_as_latin", "inference/parse.py",
           "elif lookalike and char in _LOOKALIKE:", "elif char in _LOOKALIKE:", PARSE_TESTS),
    Mutant("correct_when_subset_of_gold", "inference/parse.py",
           "return set(parsed.letters) == set(gold)", "return set(parsed.letters) <= set(gold)", PARSE_TESTS),
    # -- rationale metrics (inference/metrics.py)
    Mutant("rouge_recall_not_f", "inference/metrics.py",
           "100 * rouge_f[name].fmeasure", "100 * rouge_f[name].recall", METRIC_TESTS),
    Mutant("rouge_arguments_swapped", "inference/metrics.py",
           "rouge_f = rouge.score(ref, cand)", "rouge_f = rouge.score(cand, ref)", METRIC_TESTS),
    Mutant("bleu_floor_smoothing", "inference/metrics.py",
           'effective_order=True, smooth_method="exp"', 'effective_order=True, smooth_method="floor"',
           METRIC_TESTS),
    Mutant("tokens_not_lowercased", "inference/metrics.py",
           "    text = text.lower()\n    if code == \"zh\":", "    if code == \"zh\":", METRIC_TESTS),
    Mutant("empty_pair_needs_both_empty", "inference/metrics.py",
           "return not (has_content(candidate) and has_content(reference))",
           "return not (has_content(candidate) or has_content(reference))", METRIC_TESTS),
    Mutant("bootstrap_one_sided_tail", "inference/metrics.py",
           "tail = (1 - level) / 2 * 100", "tail = (1 - level) * 100", METRIC_TESTS),
    # -- keyword matcher (data_collection/filtering/matcher.py)
    Mutant("keep_strictly_above_thresholds", "data_collection/filtering/matcher.py",
           "return score.mkc >= t_mkc and score.dens >= t_dens",
           "return score.mkc > t_mkc and score.dens >= t_dens", MATCHER_TESTS),
    Mutant("array_keep_either_threshold", "data_collection/filtering/matcher.py",
           "return (self.mkc >= t_mkc) & (self.dens >= t_dens)",
           "return (self.mkc >= t_mkc) | (self.dens >= t_dens)", MATCHER_TESTS),
    Mutant("overlapping_occurrences_counted", "data_collection/filtering/matcher.py",
           "            next_free[idx] = end\n", "            next_free[idx] = start + 1\n", MATCHER_TESTS),
    Mutant("no_word_boundary_after", "data_collection/filtering/matcher.py",
           "            return not _ASCII_ALNUM[c]\n", "            return True\n", MATCHER_TESTS),
    Mutant("density_in_bytes", "data_collection/filtering/matcher.py",
           "self._keyword_chars = np.array([len(k) for k in self.keywords], dtype=np.int64)",
           "self._keyword_chars = np.array([len(_utf8(k)) for k in self.keywords], dtype=np.int64)",
           MATCHER_TESTS),
    # -- tokenize windows (pretrain/tokenize.py: the array path the command runs)
    Mutant("window_overlap_ignored", "pretrain/tokenize.py",
           "    step = seq_len - overlap\n    starts = np.append(", "    step = seq_len\n    starts = np.append(",
           TOKENIZE_TESTS),
    Mutant("last_window_not_aligned", "pretrain/tokenize.py",
           "starts = np.append(np.arange(0, n - seq_len, step), n - seq_len)",
           "starts = np.arange(0, n - seq_len + 1, step)", TOKENIZE_TESTS),
    Mutant("padding_in_the_loss", "pretrain/tokenize.py",
           "labels = np.full((1, seq_len), -100, dtype=np.int32)",
           "labels = np.full((1, seq_len), pad_id, dtype=np.int32)", TOKENIZE_TESTS),
    Mutant("overlap_mask_off_by_stride", "pretrain/tokenize.py",
           "ends = np.append(0, starts[:-1] + seq_len)", "ends = np.append(0, starts[:-1] + step)",
           TOKENIZE_TESTS),
    Mutant("packer_drops_the_remainder", "pretrain/tokenize.py",
           "self.buffer, self.size = [joined[cut:]], self.size - cut", "self.buffer, self.size = [], 0",
           TOKENIZE_TESTS),
    Mutant("validation_share_inverted", "pretrain/tokenize.py",
           "% 1_000_000 < val_ratio * 1_000_000", "% 1_000_000 >= val_ratio * 1_000_000", TOKENIZE_TESTS),
    # -- run units and fingerprints (common/run.py)
    Mutant("fingerprint_ignores_config", "common/run.py",
           'return content(old) == content(new) and same_config(old.get("config") or {}, new.get("config") or {})',
           "return content(old) == content(new)",
           RUN_TESTS),
    Mutant("fingerprint_trusts_size_alone", "common/run.py",
           'if known and known.get("size") == size and known.get("mtime_ns") == mtime and known.get("digest"):',
           'if known and known.get("size") == size and known.get("digest"):', RUN_TESTS),
    Mutant("deleted_output_still_done", "common/run.py",
           'if any(not (self.out_dir / rel).exists() for rel in old.get("outputs", [])):',
           'if all(not (self.out_dir / rel).exists() for rel in old.get("outputs", [])):', RUN_TESTS),
    # -- the run lock without flock (common/run_lock.py)
    Mutant("requeued_attempt_not_stale", "common/run_lock.py",
           'if same_job and holder.get("slurm_restart_count") != me["slurm_restart_count"]:',
           'if same_job and holder.get("slurm_restart_count") == me["slurm_restart_count"]:', LOCK_TESTS),
    Mutant("dead_holder_never_stale", "common/run_lock.py",
           "    except ProcessLookupError:\n        return True\n",
           "    except ProcessLookupError:\n        return False\n", LOCK_TESTS),
    # -- training step (common/trainer.py)
    Mutant("loss_divided_per_micro_batch", "common/trainer.py",
           "            (micro_loss * scale).backward()\n",
           "            (micro_loss * self.dist.world_size / len(batches)\n"
           "             / max(int((batch['labels'][:, 1:] != -100).sum()), 1)).backward()\n", TRAINER_TESTS),
    Mutant("loss_not_scaled_by_world_size", "common/trainer.py",
           "scale = (self.dist.world_size / counts[0].clamp(min=1).double()).float()",
           "scale = (1.0 / counts[0].clamp(min=1).double()).float()",
           TRAINER_TESTS),
    Mutant("targets_counted_with_the_first_label", "common/trainer.py",
           'targets = torch.stack([(b["labels"][:, 1:] != -100).sum() for b in batches]).sum()',
           'targets = torch.stack([(b["labels"] != -100).sum() for b in batches]).sum()', TRAINER_TESTS),
    Mutant("sync_only_on_the_first_micro_batch", "common/trainer.py",
           "self._set_grad_sync(sync_every or i == len(batches) - 1)", "self._set_grad_sync(sync_every or i == 0)",
           TRAINER_TESTS),
    Mutant("warmup_starts_at_zero", "common/trainer.py",
           "return (step + 1) / warmup_steps", "return step / warmup_steps", SCHEDULE_TESTS),
    # -- LoRA (finetune/)
    Mutant("lora_alpha_is_r", "finetune/lora.py", "lora_alpha=cfg.alpha", "lora_alpha=cfg.r", LORA_TESTS),
    Mutant("lora_rslora_scaling", "finetune/lora.py",
           'bias="none", task_type="CAUSAL_LM")', 'bias="none", task_type="CAUSAL_LM", use_rslora=True)',
           LORA_TESTS),
    Mutant("merge_unloads_without_merging", "finetune/merge.py",
           "merged = with_adapter.merge_and_unload()", "merged = with_adapter.unload()", LORA_TESTS),
    Mutant("finetune_prompt_not_masked", "finetune/data.py",
           "labels=[IGNORE_INDEX] * len(prompt_ids) + target_ids", "labels=prompt_ids + target_ids",
           FINETUNE_DATA_TESTS),
    Mutant("finetune_target_without_eos", "finetune/data.py",
           "target_ids = _encode(tokenizer, ex.target, special=False) + [tokenizer.eos_token_id]",
           "target_ids = _encode(tokenizer, ex.target, special=False)", FINETUNE_DATA_TESTS),
    Mutant("padding_labels_are_pad_ids", "finetune/data.py",
           "labels = torch.full((len(batch), longest), IGNORE_INDEX, dtype=torch.long)",
           "labels = torch.full((len(batch), longest), self.pad_token_id, dtype=torch.long)", FINETUNE_DATA_TESTS),
    # -- LLM judge (inference/judging/run.py)
    Mutant("judge_second_order_not_reversed", "inference/judging/run.py",
           "found = [first, first[::-1]] if len(first) > 1 else [first]", "found = [first]", JUDGE_TESTS),
)


def copy_tree(dest: Path) -> None:
    """The working tree as git sees it (tracked + untracked, not ignored), without caches or the venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():  # a tracked file deleted in the working tree is left out
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def run_tests(root: Path, tests: tuple[str, ...], timeout: int) -> tuple[str, float]:
    """Outcome of pytest on `tests` in `root`: passed | failed | broken (import/collection error) | error |
    timeout."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1",  # no stale .pyc of a mutant
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--no-header", "-p", "no:cacheprovider", *tests]
    start = time.monotonic()
    try:
        code = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start
    outcome = {0: "passed", 1: "failed", 2: "broken"}.get(code, "error")
    return outcome, time.monotonic() - start


def apply(root: Path, mutant: Mutant) -> str | None:
    """Write the mutant into the copy; returns the original text, or None when the snippet is stale."""
    path = root / mutant.file
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    if original.count(mutant.find) != 1:
        return None
    path.write_text(original.replace(mutant.find, mutant.replace), encoding="utf-8")
    return original


def run_mutant(root: Path, mutant: Mutant, timeout: int) -> tuple[str, float]:
    original = apply(root, mutant)
    if original is None:
        return "stale", 0.0
    try:
        outcome, seconds = run_tests(root, mutant.tests, timeout)
    finally:
        (root / mutant.file).write_text(original, encoding="utf-8")
    status = {"failed": "killed", "broken": "killed", "timeout": "timeout", "passed": "survived"}
    return status.get(outcome, "error"), seconds


def baselines(root: Path, mutants: list[Mutant], timeout: int) -> dict[tuple[str, ...], str]:
    """Each distinct test selection on the unmutated copy."""
    out = {}
    for tests in dict.fromkeys(m.tests for m in mutants):
        outcome, seconds = run_tests(root, tests, timeout)
        print(f"baseline  {outcome:9} {' '.join(tests)} ({seconds:.0f} s)", flush=True)
        out[tests] = outcome
    return out


def score_line(results: list[dict]) -> str:
    killed = sum(r["status"] in ("killed", "timeout") for r in results)
    survived = sum(r["status"] == "survived" for r in results)
    other = {s: sum(r["status"] == s for r in results) for s in ("stale", "error", "baseline-failed")}
    score = 100 * killed / (killed + survived) if killed + survived else float("nan")
    rest = ", ".join(f"{n} {s}" for s, n in other.items() if n)
    return f"score {killed}/{killed + survived} = {score:.0f}% killed" + (f" ({rest} not counted)" if rest else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=[], help="names of the mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per pytest run")
    parser.add_argument("--no_baseline", action="store_true", help="skip the unmutated runs")
    parser.add_argument("--tests", nargs="*", default=[], help="run these tests for every mutant instead of its own")
    parser.add_argument("--json", default="", help="write the outcomes to this file")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"unknown mutant(s): {', '.join(sorted(unknown))}")
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.tests:  # e.g. which mutants a single test file catches
        mutants = [replace(m, tests=tuple(args.tests)) for m in mutants]
    if args.list:  # with whether each snippet is still in the working tree exactly once
        for m in mutants:
            found = (REPO / m.file).read_text(encoding="utf-8").count(m.find) if (REPO / m.file).exists() else 0
            print(f"{m.name:36} {'ok' if found == 1 else 'stale':6} {m.file:28} {' '.join(m.tests)}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        root = Path(tmp)
        copy_tree(root)
        base = {} if args.no_baseline else baselines(root, mutants, args.timeout)
        for m in mutants:
            if base.get(m.tests, "passed") != "passed":
                status, seconds = "baseline-failed", 0.0
            else:
                status, seconds = run_mutant(root, m, args.timeout)
            print(f"{status:15} {m.name:36} {m.file} ({seconds:.0f} s)", flush=True)
            results.append({**asdict(m), "status": status, "seconds": round(seconds, 1)})
    print(score_line(results))
    survived = [r["name"] for r in results if r["status"] == "survived"]
    if survived:
        print("survived: " + ", ".join(survived))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
