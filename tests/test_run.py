"""The run mechanism (common/run.py, common/cli.py): units, fingerprints, failures, manifest, lock, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from common.cli import UserError, cli
from common.config import ConfigError, load_config
from common.records import write_text
from common.run import Run, Unit
from common.run_lock import RunLockedError


@dataclass
class Cfg:
    out: str = "out"
    upper: bool = False
    note: str = field(default="", metadata={"help": "not part of any output"})


def shout(unit: Unit) -> dict:
    """A unit's work: copy its input, upper-cased when the payload says so; 'boom' in the text fails it."""
    text = Path(unit.inputs[0]).read_text(encoding="utf-8")
    if "boom" in text:
        raise ValueError(f"{unit.inputs[0]}: cannot shout boom")
    out = Path(unit.payload["out"]) / (Path(unit.inputs[0]).stem + ".out")
    write_text(out, text.upper() if unit.payload["upper"] else text)
    return {"chars": len(text), "outputs": [str(out)]}


def _inputs(tmp_path, texts: dict[str, str]) -> list[Path]:
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    for name, text in texts.items():
        (src / name).write_text(text, encoding="utf-8")
    return sorted(src.glob("*.txt"))


def _run(tmp_path, cfg: Cfg, files, task=(0, 1), on_mismatch="error", workers=1) -> Run:
    with Run("test.shout", cfg.out, cfg, task=task, depends_on=("upper",), on_mismatch=on_mismatch) as run:
        units = run.slice([Unit(f.name, inputs=(str(f),), payload={"out": cfg.out, "upper": cfg.upper})
                           for f in files])
        run.map(shout, units, workers=workers, context="fork")
    return run


def _manifest(out: Path, name: str = "manifest.json") -> dict:
    return json.loads((out / name).read_text(encoding="utf-8"))


def test_tasks_split_units_once_and_a_rerun_skips_done_units(tmp_path):
    files = _inputs(tmp_path, {f"{i}.txt": f"text {i}" for i in range(5)})
    cfg = Cfg(out=str(tmp_path / "out"))
    runs = [_run(tmp_path, cfg, files, task=(i, 2)) for i in (0, 1)]
    assert sorted(p.name for p in Path(cfg.out).glob("*.out")) == [f"{i}.out" for i in range(5)]
    assert [r.counts["units_done"] for r in runs] == [3, 2]
    assert _manifest(Path(cfg.out), "manifest-00001-of-00002.json")["counts"]["units_done"] == 2
    (Path(cfg.out) / "0.out").write_text("KEPT", encoding="utf-8")
    os.utime(files[0], ns=(1, 1))  # a copy with a new time but the same content is still done
    again = _run(tmp_path, cfg, files)
    assert again.counts["units_skipped_done"] == 5 and again.counts["units_done"] == 0
    assert (Path(cfg.out) / "0.out").read_text(encoding="utf-8") == "KEPT"


def test_changed_input_or_config_is_an_error_or_a_redo_never_a_mix(tmp_path):
    files = _inputs(tmp_path, {"a.txt": "alpha", "b.txt": "beta"})
    cfg = Cfg(out=str(tmp_path / "out"))
    _run(tmp_path, cfg, files)
    files[0].write_text("alpha, edited", encoding="utf-8")
    with pytest.raises(UserError, match=r"unit 'a.txt'.*input .*a\.txt changed"):
        _run(tmp_path, cfg, files)
    assert (Path(cfg.out) / "a.out").read_text(encoding="utf-8") == "alpha"  # nothing lost by the error
    with pytest.raises(UserError, match=r"upper: False -> True"):
        _run(tmp_path, Cfg(out=cfg.out, upper=True), files)
    redo = _run(tmp_path, Cfg(out=cfg.out, upper=True), files, on_mismatch="redo")
    assert redo.counts["units_redone"] == 2 and redo.counts["units_done"] == 2
    assert [(Path(cfg.out) / n).read_text(encoding="utf-8") for n in ("a.out", "b.out")] == ["ALPHA, EDITED", "BETA"]
    assert _run(tmp_path, Cfg(out=cfg.out, upper=True, note="x"), files).counts["units_skipped_done"] == 2


def test_a_failing_unit_fails_alone_and_is_retried(tmp_path):
    files = _inputs(tmp_path, {"a.txt": "alpha", "b.txt": "boom", "c.txt": "gamma"})
    cfg = Cfg(out=str(tmp_path / "out"))
    run = _run(tmp_path, cfg, files, workers=2)
    assert run.exit_code == 1
    assert sorted(p.name for p in Path(cfg.out).glob("*.out")) == ["a.out", "c.out"]
    errors = [json.loads(line) for line in (Path(cfg.out) / "errors.jsonl").read_text().splitlines()]
    assert errors == [{"unit": "b.txt", "error": f"{files[1]}: cannot shout boom", "type": "ValueError"}]
    assert _manifest(Path(cfg.out))["failed_units"] == ["b.txt"]
    files[1].write_text("beta", encoding="utf-8")
    again = _run(tmp_path, cfg, files)
    assert again.exit_code == 0 and again.counts["units_done"] == 1 and again.counts["units_skipped_done"] == 2
    assert not (Path(cfg.out) / "errors.jsonl").exists()


def test_an_error_writes_the_manifest_and_keeps_the_folders_config(tmp_path):
    out = tmp_path / "out"
    with Run("test.cmd", out, Cfg(out=str(out), note="first")):
        pass
    with pytest.raises(UserError):
        with Run("test.cmd", out, Cfg(out=str(out), note="second")):
            raise UserError("input.jsonl:3: bad record")
    manifest = _manifest(out)
    assert manifest["status"] == "error" and manifest["error"] == "input.jsonl:3: bad record"
    assert yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))["note"] == "first"
    with Run("test.cmd", out, Cfg(out=str(out), note="third")):
        pass
    assert yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))["note"] == "third"


def test_output_folder_that_is_a_file_is_one_clear_error(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(UserError, match=r"out: the output folder is a file"):
        Run("test.cmd", tmp_path / "out")


def test_a_second_run_on_the_same_task_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from common.run import Run\n"
         f"with Run('holder.cmd', {str(out)!r}):\n    print('held', flush=True); time.sleep(60)"],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid} on"):
            with Run("test.cmd", out):
                pass
        with Run("test.cmd", out, task=(1, 2)):  # another task of an array runs beside it
            pass
    finally:
        holder.kill()
        holder.wait()
    with Run("test.cmd", out):  # a dead holder's lock is taken over
        pass


def test_atomic_writes_follow_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        write_text(tmp_path / "shared.txt", "x")
        os.umask(0o077)
        write_text(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o664
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600


def test_a_bad_flag_is_named_as_a_flag_not_as_the_file(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("upper: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^command line: --upper: expected a boolean, got 'perhaps'$"):
        load_config(Cfg, ["--config", str(path), "--upper", "perhaps"])
    path.write_text("upper: perhaps\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: key 'upper'"):
        load_config(Cfg, ["--config", str(path), "--upper", "true"])


def _main_raising(err: BaseException):
    def main(argv):
        raise err
    return main


def test_cli_user_errors_are_one_line_with_exit_2_and_debug_shows_the_traceback(capsys):
    assert cli(_main_raising(UserError("a.jsonl:3: bad\nrecord")), "prog", []) == 2
    assert capsys.readouterr().err == "prog: error: a.jsonl:3: bad record\n"
    assert cli(_main_raising(FileNotFoundError(2, "No such file or directory", "/m/x")), "prog", []) == 2
    assert capsys.readouterr().err == "prog: error: /m/x: No such file or directory\n"
    with pytest.raises(UserError):
        cli(_main_raising(UserError("x")), "prog", ["--debug"])
    with pytest.raises(KeyError):  # a bug keeps its traceback
        cli(_main_raising(KeyError("k")), "prog", [])
    assert cli(lambda argv: 1, "prog", []) == 1 and cli(lambda argv: None, "prog", []) == 0


def test_a_relative_output_folder_records_its_outputs_so_a_rerun_skips_them(tmp_path, monkeypatch):
    """Outputs named relative to the working directory ("out/a.out") are recorded relative to the folder."""
    files = _inputs(tmp_path, {"a.txt": "alpha", "b.txt": "beta"})
    monkeypatch.chdir(tmp_path)
    cfg = Cfg(out="out")
    first = _run(tmp_path, cfg, files)
    assert first.counts["units_done"] == 2 and first.counts["chars"] == 9
    markers = [json.loads(p.read_text()) for p in (tmp_path / "out" / "_run" / "done").glob("*.json")]
    assert sorted(m["outputs"] for m in markers) == [["a.out"], ["b.out"]]
    again = _run(tmp_path, cfg, files)
    assert again.counts["units_skipped_done"] == 2 and again.counts["units_done"] == 0


def test_a_unit_whose_output_was_deleted_is_done_again(tmp_path):
    files = _inputs(tmp_path, {"a.txt": "alpha", "b.txt": "beta"})
    cfg = Cfg(out=str(tmp_path / "out"))
    _run(tmp_path, cfg, files)
    (Path(cfg.out) / "a.out").unlink()
    again = _run(tmp_path, cfg, files)
    assert again.counts["units_done"] == 1 and again.counts["units_skipped_done"] == 1
    assert (Path(cfg.out) / "a.out").read_text(encoding="utf-8") == "alpha"


def test_a_stable_slice_moves_no_unit_when_one_is_added(tmp_path):
    def owners(names: list[str]) -> dict[str, int]:
        out = {}
        for index in range(3):
            with Run("test.slice", tmp_path / "out", task=(index, 3)) as run:
                out.update({u.name: index for u in run.slice([Unit(n) for n in names], stable=True)})
        return out

    before = owners([f"{i}.txt" for i in range(20)])
    after = owners(["00.txt"] + [f"{i}.txt" for i in range(20)])
    assert len(before) == 20 and set(before.values()) == {0, 1, 2}  # each unit in exactly one task
    assert {n: after[n] for n in before} == before


def test_a_unit_that_depends_on_more_config_fields_is_checked_on_them(tmp_path):
    """A later stage's unit names the fields it depends on beyond the run's: a change of one is a mismatch of
    that unit only, named in the error."""
    cfg = Cfg(out=str(tmp_path / "out"))
    files = _inputs(tmp_path, {"a.txt": "text a"})
    early = Unit("early a", inputs=(str(files[0]),), payload={"out": cfg.out, "upper": False})
    late = Unit("late a", inputs=(str(files[0]),), config=("note",), payload={"out": cfg.out, "upper": False})
    with Run("test.shout", cfg.out, cfg, depends_on=("upper",)) as run:
        run.map(shout, [early])
        run.mark_done(late, outputs=[])
    cfg.note = "changed"
    with Run("test.shout", cfg.out, cfg, depends_on=("upper",)) as run:
        assert run.is_done(early)
        with pytest.raises(UserError, match=r"unit 'late a' .*note: '' -> 'changed'"):
            run.is_done(late)


def test_manifest_versions_are_the_installed_distributions():
    """The manifest reads only the METADATA header for a version: the same answer as importlib.metadata."""
    import importlib.metadata

    from common.manifest import distribution_version, package_versions

    names = {d.metadata["Name"] for d in importlib.metadata.distributions()}
    assert len(names) > 20
    assert {n: distribution_version(n) for n in names} == {n: importlib.metadata.version(n) for n in names}
    versions = package_versions()
    assert versions["pyarrow"] == importlib.metadata.version("pyarrow") and "python" in versions
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        distribution_version("no-such-distribution-here")


def test_a_fingerprint_of_all_fields_but_an_allow_list_misses_no_field(tmp_path):
    """A field added to a config is in the fingerprint without anyone listing it; only the fields written down
    with a reason are left out, and a stale name in that list is caught."""
    from common.run import AllFieldsBut, config_values

    @dataclass
    class Section:
        lr: float = 0.1
        log_every: int = 1

    @dataclass
    class Cfg:
        out: str = "o"
        new_field: int = 3  # nobody declared it anywhere
        train: Section = field(default_factory=Section)

    rule = AllFieldsBut({"out": "the folder", "train.log_every": "logging"})
    assert config_values(Cfg(), rule) == {"new_field": 3, "train.lr": 0.1}
    with pytest.raises(KeyError, match="train.gone"):
        config_values(Cfg(), AllFieldsBut({"train.gone": "renamed since"}))
    out = tmp_path / "o"
    with Run("t", out, Cfg(), depends_on=rule) as run:
        run.guard([out / "part.jsonl"])
    (out / "part.jsonl").write_text("{}\n", encoding="utf-8")
    with Run("t", out, Cfg(out="elsewhere", train=Section(log_every=9)), depends_on=rule) as run:
        run.guard([out / "part.jsonl"])  # only allow-listed fields changed: the same run
    with pytest.raises(UserError, match=r"train.lr: 0.1 -> 0.5"), \
            Run("t", out, Cfg(train=Section(lr=0.5)), depends_on=rule) as run:
        run.guard([out / "part.jsonl"])


def test_recorded_configs_are_compared_on_the_fields_both_hold():
    from common.run import same_config

    assert same_config({"train": {"lr": 1.0}}, {"train.lr": 1.0, "added_since": 3})  # older record: adopted
    assert not same_config({"train": {"lr": 1.0}}, {"train.lr": 0.5})
    assert not same_config({"max_memory": {}}, {"max_memory": {"0": "70GiB"}})  # an empty mapping filled
