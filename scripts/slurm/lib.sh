# Sourced by scripts/slurm/*.sbatch: run the job's command so that it never outlives the job, name the log of a
# job that is not an array, pick the number of training processes per node, and stop training jobs so that they
# resume (requeue) or end in a state that says what happened.
#
# Works with ProctrackType=proctrack/pgid, proctrack/linuxproc and proctrack/cgroup (tests/test_slurm*.py run
# each). Slurm signals a step's processes by process group (pgid), by parentage (linuxproc) or by cgroup; torchrun
# starts its workers in sessions of their own, so under pgid no signal sent to a step reaches them. Training jobs
# therefore never rely on a signal reaching the workers: every stop request (USR1 or TERM to the batch script or
# to a node's launcher) becomes a stop file that every rank looks for after each step (MMED_STOP_FILE, on the
# shared file system the checkpoints need anyway); a signal that does reach a worker stops it the same way.

# mmed_run CMD...: run CMD as the leader of its own process group and wait for it. A TERM/INT reaching this
# script (scancel, time limit, requeue, preemption) is passed to every process of the group, and whatever is still
# alive when the script exits (workers of a killed pool, a hung child) is killed, so no process outlives its job
# even where Slurm tracks processes by parent (proctrack/linuxproc loses orphans). Returns CMD's exit status.
mmed_run() {
  setsid "$@" &
  _mmed_pid=$!
  trap 'kill -TERM -- "-$_mmed_pid" 2>/dev/null || true' TERM
  trap 'kill -INT -- "-$_mmed_pid" 2>/dev/null || true' INT
  trap 'kill -KILL -- "-$_mmed_pid" 2>/dev/null || true' EXIT
  mmed_wait "$_mmed_pid"
}

# mmed_wait PID: wait for a child; a trapped signal interrupts `wait`, so wait again until it has exited. Returns
# its exit status.
mmed_wait() {
  local rc
  while :; do
    wait "$1" && rc=0 || rc=$?
    kill -0 "$1" 2>/dev/null || return "$rc"
  done
}

# mmed_log_file: the #SBATCH --output of a script run both as an array and as a single job is
# logs/%x-%A_%a.out, which for a single job is logs/<name>-<job>_4294967294.out. Rename that file to
# logs/<name>-<job>.out (the open file follows the rename, so Slurm's own messages land there too); a requeued
# attempt appends to the first attempt's file. Nothing happens for array tasks or a user's own --output.
mmed_log_file() {
  [ -z "${SLURM_ARRAY_TASK_ID:-}" ] && [ -n "${SLURM_JOB_ID:-}" ] || return 0
  local odd="logs/${SLURM_JOB_NAME}-${SLURM_JOB_ID}_4294967294.out" named="logs/${SLURM_JOB_NAME}-${SLURM_JOB_ID}.out"
  [ -f "$odd" ] || return 0
  if [ -e "$named" ]; then
    cat "$odd" >> "$named" && rm -f "$odd" && exec >>"$named" 2>&1
  else
    mv "$odd" "$named"
  fi
}

# mmed_nproc_per_node: NPROC_PER_NODE when set (e.g. 2 gloo processes on a CPU node); else the GPUs Slurm gave
# this node; else 1 (a CPU node).
mmed_nproc_per_node() {
  if [ -n "${NPROC_PER_NODE:-}" ]; then echo "$NPROC_PER_NODE"; return; fi
  local gpus="${SLURM_GPUS_ON_NODE:-${SLURM_GPUS_PER_NODE:-}}"
  gpus="${gpus##*:}"                      # "h100:8" -> "8"
  if [[ "$gpus" =~ ^[0-9]+$ ]] && [ "$gpus" -gt 0 ]; then echo "$gpus"; else echo 1; fi
}

# mmed_request_stop SIGNAL: ask every rank to save a checkpoint at its next step and exit 0 (the stop file holds
# the signal's name, which the trainer reports). Idempotent; the first signal's name stays.
mmed_request_stop() {
  [ -e "$MMED_STOP_FILE" ] && return 0
  printf '%s\n' "$1" > "$MMED_STOP_FILE.$$" && mv -f "$MMED_STOP_FILE.$$" "$MMED_STOP_FILE"   # read whole or not at all
}

# mmed_node_launch CMD...: what srun runs on every node. It starts torchrun (CMD) with USR1 and TERM ignored and
# torchrun's own TERM handling off: torchrun would kill its workers 30 s after a TERM (and at once on a second one),
# and USR1 would kill it. A USR1 or TERM sent to the step (scancel --signal=USR1, scancel, requeue, time limit)
# reaches this launcher under every proctrack plugin and becomes a stop request; the workers then save, exit 0 and
# torchrun with them. Returns torchrun's exit status.
mmed_node_launch() {
  trap '' USR1 TERM
  PET_SIGNALS_TO_HANDLE=SIGINT,SIGHUP,SIGQUIT "$@" &   # torchrun --signals-to-handle: not TERM
  local pid=$!
  trap 'mmed_request_stop SIGUSR1' USR1
  trap 'mmed_request_stop SIGTERM' TERM
  mmed_wait "$pid"
}

# mmed_torchrun MODULE ARGS...: one srun task per node starting torchrun (c10d rendezvous on the first node), as
# python -m common.launch: torchrun with the project's exit statuses (a worker's user error exits 2, one line).
# USR1 to this script (--signal=B:USR1@SECS near the time limit, or scancel --batch --signal=USR1) or to the step
# asks the workers to checkpoint and stop. When the training has exited, its status (MMED_STATUS_FILE, written by
# rank 0) decides: finished -> exit 0 (COMPLETED), never requeued; stopped before the end (and the job not being
# ended by Slurm: no TERM here) -> requeue the job to go on (MMED_REQUEUE=0: exit 3 instead, so the job is FAILED
# and never looks finished); failed -> its exit status.
mmed_torchrun() {
  local module="$1"; shift
  local nproc; nproc="$(mmed_nproc_per_node)"
  # the rendezvous host: the first node, at the address Slurm itself reaches it by (NodeAddr; else its name)
  local first; first="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
  local master_addr; master_addr="$(scontrol -o show node "$first" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')"
  master_addr="${master_addr:-$first}"
  local master_port="${MASTER_PORT:-$(( 20000 + SLURM_JOB_ID % 20000 ))}"   # two jobs on one node never clash
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( ${SLURM_CPUS_PER_TASK:-8} / nproc > 0 ? ${SLURM_CPUS_PER_TASK:-8} / nproc : 1 ))}"
  # one stop file and one status file per job, on the shared file system (logs/ of the submit dir), fresh for each
  # attempt: a requeued job keeps its id
  export MMED_STOP_FILE="$PWD/logs/.mmed-$SLURM_JOB_ID.stop" MMED_STATUS_FILE="$PWD/logs/.mmed-$SLURM_JOB_ID.status.json"
  rm -f "$MMED_STOP_FILE" "$MMED_STATUS_FILE"
  echo "[$(date -Is)] job $SLURM_JOB_ID attempt $(( ${SLURM_RESTART_COUNT:-0} + 1 )): $SLURM_JOB_NUM_NODES node(s) x" \
       "$nproc process(es), rendezvous $master_addr:$master_port, -m $module $*"
  _mmed_ending=0
  trap 'echo "[$(date -Is)] USR1: asking the workers to save a checkpoint and stop"; mmed_request_stop SIGUSR1' USR1
  trap '_mmed_ending=1; mmed_request_stop SIGTERM' TERM
  trap '_mmed_ending=1; mmed_request_stop SIGINT' INT
  # srun in a session of its own: the signals Slurm sends this script's process group are not forwarded twice
  setsid srun --kill-on-bad-exit=1 bash -c 'source "$0"; mmed_node_launch "$@"' "${BASH_SOURCE[0]}" \
    python -m common.launch --nnodes "$SLURM_JOB_NUM_NODES" --nproc_per_node "$nproc" \
    --rdzv_id "$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "$master_addr:$master_port" \
    -m "$module" "$@" &
  _mmed_pid=$!
  trap 'kill -KILL -- "-$_mmed_pid" 2>/dev/null || true' EXIT
  local rc=0
  mmed_wait "$_mmed_pid" || rc=$?
  mmed_after_training "$rc"
}

# mmed_after_training RC: the job's end from the training's exit status and its status file (see mmed_torchrun).
mmed_after_training() {
  local rc="$1" state steps total reason
  state="$(python -c 'import json, sys; s = json.load(open(sys.argv[1]))
print("finished" if s["finished"] else "stopped", s["steps"], s["total_steps"], s["stopped"])' \
    "$MMED_STATUS_FILE" 2>/dev/null || echo "unknown")"
  rm -f "$MMED_STOP_FILE"
  if [ "$rc" != 0 ]; then
    echo "[$(date -Is)] training exited with status $rc"
    return "$rc"
  fi
  case "$state" in
    finished*) echo "[$(date -Is)] training finished"; return 0 ;;
    stopped*) ;;
    *) echo "[$(date -Is)] training exited 0 but left no status in $MMED_STATUS_FILE: not finished"; return 3 ;;
  esac
  read -r _ steps total reason <<<"$state"
  echo "[$(date -Is)] training stopped at step $steps of $total ($reason)"
  if [ "$_mmed_ending" = 1 ]; then
    return 3                                  # Slurm is ending the job (requeue, scancel, time limit): its state
  fi
  if [ "${MMED_REQUEUE:-1}" = 1 ]; then
    echo "[$(date -Is)] requeueing job $SLURM_JOB_ID to resume from its checkpoint"
    scontrol requeue "$SLURM_JOB_ID"
    return 0
  fi
  echo "[$(date -Is)] not finished and MMED_REQUEUE=0: resubmit the same command to resume"
  return 3
}
