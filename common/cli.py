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

import re
import sys
from collections.abc import Callable

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
        print(f"{prog}: error: {one_line(err)}", file=sys.stderr)
        for detail in getattr(err, "details", ()):  # an error that lists several problems: one per line
            print(f"  {one_line(ValueError(detail))}", file=sys.stderr)
        return EXIT_USER_ERROR
    return int(status or 0)
