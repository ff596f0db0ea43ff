"""The error types a command turns into one line (common.cli): what the user gave is wrong, a file cannot be read
to its end, another run holds the output folder, or the disk refuses the output. Kept apart from the modules
that raise them, so that the CLI wrapper and those modules import them without importing each other."""

from __future__ import annotations

import errno


class UserError(ValueError):
    """A problem with what the user gave (config, flag, file, record): the message names where, and the fix.
    A ValueError, so callers that catch ValueError keep working."""


class UnreadableFileError(OSError):
    """A file that cannot be read to its end (truncated or corrupt compression); the message names it."""


class RunLockedError(RuntimeError):
    """Another live run writes into the same folder."""


# What the user can fix from the message alone. ValueError covers our validation (ConfigError, BadRecordError,
# UserError); OSErrors about paths name the path; an unreadable file and a held lock name theirs. KeyError/TypeError/... are bugs and keep their traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError,
                                                IsADirectoryError, PermissionError,
                                                UnreadableFileError, RunLockedError)


# Errors of the place a command writes to, not of the command: a full disk or quota, a read-only mount, a folder the
# user may not write. Any command meeting one stops with one line naming the folder (common.records names it at
# the write layer), never a traceback; what was already written stays (writes are atomic).
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG})


def is_disk_error(err: BaseException) -> bool:
    """An OSError about where the output goes (full, read-only, not permitted), not a bug of the command."""
    return isinstance(err, OSError) and err.errno in DISK_ERRNOS
