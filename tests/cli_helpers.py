"""Assertions shared by the bad-input matrices (tests/test_bad_inputs_*.py)."""

from __future__ import annotations


def one_line_error(capsys, prog: str, *fragments: str) -> str:
    """The command printed exactly one `<prog>: error: ...` line holding every fragment, and no traceback."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith(f"{prog}: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def write_yaml(path, data: dict):
    """A config file for a command (yaml.safe_dump), returned for `--config`."""
    import yaml

    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def write_placeholder(path):
    """A plain file where a folder is expected (the "output path is a file" case)."""
    path.write_text("x", encoding="utf-8")
    return path
