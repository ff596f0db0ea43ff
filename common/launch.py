"""torchrun with this project's exit statuses: the same flags, and a worker's user error stays one line, exit 2.

    python -m common.launch --standalone --nproc_per_node 8 -m finetune.run --config configs/finetune/x.yaml
    python -m common.launch --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint $HEAD:29500 \
        -m pretrain.train --config configs/pretrain/llama3_8b.yaml

torchrun turns any worker that exits non-zero into a ChildFailedError traceback and exit status 1, so the one line a
worker printed for a bad config or file (exit 2, common/cli.py) is buried under it, and a script or Slurm cannot tell
a user error from a crash. This runs torchrun's own launcher (`torch.distributed.run.run`, the flags unchanged) and,
when workers failed, exits with their status: 2 when a worker's error was the user's (its line is already printed),
130 when interrupted, otherwise the first failure's status (a signal N is 128 + N) with one line naming the rank and
the place of its traceback. Nothing else changes: rendezvous, restarts and signals are torchrun's.
"""

from __future__ import annotations

import logging
import sys

from common.cli import EXIT_INTERRUPTED, EXIT_USER_ERROR

PROG = "python -m common.launch"


def failure_status(exitcodes: list[int]) -> int:
    """One exit status for the failed workers: a user error wins (every rank reads the same config, and a rank
    that saw it first makes the others stop with other statuses), then an interrupt, then the first failure."""
    statuses = [128 - code if code < 0 else code for code in exitcodes]  # -N: killed by signal N
    for wanted in (EXIT_USER_ERROR, EXIT_INTERRUPTED):
        if wanted in statuses:
            return wanted
    return next((s for s in statuses if s), 1)


def main(argv: list[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    args = get_args_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    # the agent logs each failed worker as an error before raising; the workers' own output already says why
    logging.getLogger("torch.distributed.elastic.multiprocessing.api").setLevel(logging.CRITICAL)
    try:
        run(args)
    except ChildFailedError as err:
        failures = sorted(err.failures.items())
        status = failure_status([failure.exitcode for _, failure in failures])
        if status != EXIT_USER_ERROR:
            rank, first = failures[0]
            where = first.error_file if first.error_file and first.error_file != "<N/A>" else "its output above"
            print(f"{PROG}: {err.name}: rank {rank} exited with status {first.exitcode} (see {where})",
                  file=sys.stderr)
        return status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
