"""The entry wrapper of every command: user errors are one line, failed units give exit 1, `--debug` shows all.

    if __name__ == "__main__":
        sys.exit(cli(main, "python -m inference.generate"))

`main(argv)` returns an exit status (0, or 1 when some units failed: `Run.exit_code`) or None (= 0).
Exit statuses: 0 done; 1 done, but some units failed (they are listed in the run's errors file, the rest is
written); 2 a user error (bad config, flag, input file or record): one line on stderr naming the file, line or key,
nothing half-written (also for a full disk, a read-only mount or an unwritable output folder: one line naming
it); 130 interrupted. Any other exception is a bug and keeps its traceback.
`--debug` anywhere on the command line shows the traceback of a user error too.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from common.errors import USER_ERRORS, UserError, is_disk_error  # noqa: F401  (UserError: the commands' import)

EXIT_OK, EXIT_FAILED_UNITS, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def one_line(err: BaseException) -> str:
    """The message of an error on one line (a multi-line message is joined; an OSError shows its path)."""
    text = str(err)
    if isinstance(err, OSError) and err.filename and err.strerror:  # not "[Errno 2] ...: '/x'"
        text = f"{err.filename}: {err.strerror}"
    elif isinstance(err, OSError):
        text = re.sub(r"^\[Errno \d+\] ", "", text)
    return " ".join(part.strip() for part in text.splitlines() if part.strip()) or type(err).__name__


def cli(main: Callable[[list[str]], int | None], prog: str, argv: list[str] | None = None) -> int:
    """Run `main(argv)` as a command and return its exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        status = main(argv)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        if not (isinstance(err, USER_ERRORS) or is_disk_error(err)) or debug:
            raise
        lines = [f"{prog}: error: {one_line(err)}"]
        lines += [f"  {one_line(ValueError(d))}" for d in getattr(err, "details", ())]  # several problems
        if first_to_report(lines):
            print("\n".join(lines), file=sys.stderr)
        return EXIT_USER_ERROR
    return int(status or 0)


def first_to_report(lines: list[str]) -> bool:
    """Whether this process prints an error. Under torchrun every rank reads the same config and meets the same
    error: the first rank of a node to claim the message prints it, the others stay quiet (a message that differs,
    e.g. naming a rank's own shard, is printed by its rank). The claim is a file named after torchrun's run id,
    the launching agent's pid (a requeued job is a new agent) and the message."""
    run_id = os.environ.get("TORCHELASTIC_RUN_ID")
    if not run_id or int(os.environ.get("LOCAL_WORLD_SIZE", "1")) <= 1:
        return True
    key = hashlib.sha256("\0".join([run_id, str(os.getppid()), *lines]).encode()).hexdigest()[:24]
    try:
        os.close(os.open(Path(tempfile.gettempdir()) / f"mmed-error-{key}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    except OSError:  # no writable temp folder: better every rank's line than none
        return True
    return True
