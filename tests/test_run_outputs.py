"""What common/run.py gives every command by construction: outputs that change all together or not at all
(`Run.outputs`), and a full, read-only or unwritable output folder as one line naming the folder (exit 2), with
nothing already written lost. The disk cases run on a real small tmpfs (skipped where mounting is not allowed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_helpers import one_line_error

from common.cli import cli
from common.run import Run
from inference import evaluate

EVAL = "python -m inference.evaluate"


def _predictions(path: Path, n: int, prompt_chars: int = 10) -> Path:
    records = [{"id": f"English-test-{i}", "language": "English", "mode": "answer", "options": {"A": "a", "B": "b"},
                "gold_answer": ["A"], "gold_rationale": "r", "human_check_passed": True, "prompt": "p" * prompt_chars,
                "output": "###Answer: OPTION A IS CORRECT."} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _eval(predictions: Path, out: Path) -> int:
    return cli(evaluate.main, EVAL, ["--predictions", f"m={predictions}", "--output", str(out), "--bertscore", "false"])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "_run" not in p.parts and not p.name.startswith("manifest")}


def _tmpfs(folder: Path, size: str):
    """A tmpfs of `size` mounted on `folder` (root only; the test is skipped where mounting is not allowed)."""
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
                      ).returncode:
        pytest.skip("mounting a tmpfs is not allowed here")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture()
def small_disk(tmp_path):
    yield from _tmpfs(tmp_path / "disk", "400k")


@pytest.fixture()
def tiny_disk(tmp_path):
    yield from _tmpfs(tmp_path / "disk", "40k")


def test_a_full_disk_is_one_line_naming_the_folder_and_keeps_the_last_outputs(small_disk, tmp_path, capsys):
    out = small_disk / "eval"
    assert _eval(_predictions(tmp_path / "small.jsonl", 3), out) == 0
    before = _files(out)
    # prompts are copied into the leaderboard CSVs and records: about 1 MB of outputs on a 400 KB disk
    assert _eval(_predictions(tmp_path / "big.jsonl", 4, prompt_chars=250_000), out) == 2
    line = one_line_error(capsys, EVAL, f"{out}:", "No space left on device")
    assert "_run" not in line
    assert _files(out) == before
    assert not (out / "_run" / "staging").exists()  # the staged files went; the disk has its space back
    assert json.loads((out / "manifest.json").read_text())["status"] == "error"


def test_a_read_only_output_folder_is_one_line(small_disk, tmp_path, capsys):
    out = small_disk / "eval"
    assert _eval(_predictions(tmp_path / "p.jsonl", 2), out) == 0
    before = _files(out)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert _eval(_predictions(tmp_path / "p.jsonl", 3), out) == 2
    one_line_error(capsys, EVAL, str(out), "Read-only file system")
    assert _eval(_predictions(tmp_path / "p.jsonl", 3), small_disk / "new") == 2
    one_line_error(capsys, EVAL, str(small_disk / "new"), "Read-only file system")
    assert _files(out) == before


def test_a_swap_cut_short_by_a_kill_is_completed_by_the_next_run(tmp_path):
    """Killed after the commit list was written and one file moved: the next run of the folder finishes the swap,
    so the folder never keeps a mix of the two runs' files."""
    out = tmp_path / "out"
    with Run("test", out) as run, run.outputs() as stage:
        (stage / "a.csv").write_text("old a", encoding="utf-8")
        (stage / "b.csv").write_text("old b", encoding="utf-8")
        (stage / "only-old.csv").write_text("old", encoding="utf-8")
    staging = out / "_run" / "staging"
    staging.mkdir()
    (staging / "b.csv").write_text("new b", encoding="utf-8")  # a.csv was already moved in when the kill came
    (out / "a.csv").write_text("new a", encoding="utf-8")
    (out / "_run" / "staged.json").write_text(json.dumps({"files": ["a.csv", "b.csv"]}), encoding="utf-8")
    with Run("test", out):
        pass
    assert _files(out) == {"a.csv": b"new a", "b.csv": b"new b"}
    assert not staging.exists()


def test_a_staging_cut_short_before_its_commit_is_dropped(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), Run("test", out) as run, run.outputs() as stage:
        (stage / "a.csv").write_text("half", encoding="utf-8")
        raise KeyboardInterrupt
    assert not (out / "a.csv").exists() and not (out / "_run" / "staging").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


def test_commands_sharing_a_folder_never_remove_each_others_outputs(tmp_path):
    """A rerun removes the files its own command wrote before and did not write again, never another command's
    (judge sheets, then judge score, into one folder)."""
    out = tmp_path / "out"
    for command, names in (("sheets", ["a.csv", "old.csv"]), ("score", ["s.csv"]), ("sheets", ["a.csv"])):
        with Run(command, out) as run, run.outputs() as stage:
            for name in names:
                (stage / name).write_text(command, encoding="utf-8")
    assert _files(out) == {"a.csv": b"sheets", "s.csv": b"score"}


def test_generation_on_a_full_disk_is_one_line_and_keeps_what_it_wrote(tiny_disk, tiny_model_dir, capsys):
    from inference import generate

    out = tiny_disk / "preds"
    argv = ["--model", str(tiny_model_dir), "--data", str(Path(__file__).parent.parent / "samples/mmedbench/Test"),
            "--output", str(out), "--modes", "answer", "--max_new_tokens", "2", "--device", "cpu", "--dtype",
            "float32", "--progress", "false"]
    assert cli(generate.main, "python -m inference.generate", argv) == 2
    one_line_error(capsys, "python -m inference.generate", f"{out}: cannot write predictions.jsonl there",
                   "No space left on device")
    lines = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    whole = [json.loads(line) for line in lines if line.endswith("\n")]  # a torn last one is cut on the next open
    assert whole and len(lines) - len(whole) <= 1 and all(r["output"] is not None for r in whole)
