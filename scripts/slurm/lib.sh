# Sourced by scripts/slurm/*.sbatch: run the job's command so that it never outlives the job, and pick the
# number of training processes per node.

# mmed_run CMD...: run CMD as the leader of its own process group and wait for it. A TERM/INT/USR1 reaching this
# script (scancel, time limit, requeue, preemption) is passed to every process of the group, and whatever is still
# alive when the script exits (workers of a killed pool, a hung child) is killed, so no process outlives its job
# even where Slurm tracks processes by parent (proctrack/linuxproc loses orphans). Returns CMD's exit status.
mmed_run() {
  setsid "$@" &
  _mmed_pid=$!
  trap 'kill -TERM -- "-$_mmed_pid" 2>/dev/null || true' TERM
  trap 'kill -INT -- "-$_mmed_pid" 2>/dev/null || true' INT
  trap 'kill -KILL -- "-$_mmed_pid" 2>/dev/null || true' EXIT
  mmed_wait
}

# mmed_wait: wait for the command started by mmed_run; a trapped signal interrupts `wait`, so wait again until
# the command itself has exited.
mmed_wait() {
  local rc
  while :; do
    wait "$_mmed_pid" && rc=0 || rc=$?
    kill -0 "$_mmed_pid" 2>/dev/null || return "$rc"
  done
}

# mmed_nproc_per_node: NPROC_PER_NODE when set (e.g. 2 gloo processes on a CPU node); else the GPUs Slurm gave
# this node; else 1 (a CPU node).
mmed_nproc_per_node() {
  if [ -n "${NPROC_PER_NODE:-}" ]; then echo "$NPROC_PER_NODE"; return; fi
  local gpus="${SLURM_GPUS_ON_NODE:-${SLURM_GPUS_PER_NODE:-}}"
  gpus="${gpus##*:}"                      # "h100:8" -> "8"
  if [[ "$gpus" =~ ^[0-9]+$ ]] && [ "$gpus" -gt 0 ]; then echo "$gpus"; else echo 1; fi
}

# mmed_torchrun MODULE ARGS...: one srun task per node starting torchrun (c10d rendezvous on the first node).
# Near the time limit Slurm sends USR1 to this script (--signal=B:USR1@SECS): it is passed to the workers, which
# save a checkpoint at the next step and exit 0, and the job requeues itself to go on (set MMED_REQUEUE=0 to only
# stop). torchrun itself ignores USR1 (its default action would kill it, and with it the workers).
mmed_torchrun() {
  local module="$1"; shift
  local nproc; nproc="$(mmed_nproc_per_node)"
  local master_addr; master_addr="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
  local master_port="${MASTER_PORT:-$(( 20000 + SLURM_JOB_ID % 20000 ))}"   # two jobs on one node never clash
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( ${SLURM_CPUS_PER_TASK:-8} / nproc > 0 ? ${SLURM_CPUS_PER_TASK:-8} / nproc : 1 ))}"
  echo "[$(date -Is)] job $SLURM_JOB_ID attempt $(( ${SLURM_RESTART_COUNT:-0} + 1 )): $SLURM_JOB_NUM_NODES node(s) x" \
       "$nproc process(es), rendezvous $master_addr:$master_port, -m $module $*"
  _mmed_stop_requested=0
  setsid srun --kill-on-bad-exit=1 bash -c 'trap "" USR1; exec "$@"' torchrun torchrun \
    --nnodes "$SLURM_JOB_NUM_NODES" --nproc_per_node "$nproc" \
    --rdzv_id "$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "$master_addr:$master_port" \
    -m "$module" "$@" &
  _mmed_pid=$!
  trap 'kill -TERM -- "-$_mmed_pid" 2>/dev/null || true' TERM
  trap 'kill -INT -- "-$_mmed_pid" 2>/dev/null || true' INT
  trap 'kill -KILL -- "-$_mmed_pid" 2>/dev/null || true' EXIT
  trap 'mmed_request_stop' USR1
  local rc=0
  mmed_wait || rc=$?
  if [ "$rc" = 0 ] && [ "$_mmed_stop_requested" = 1 ] && [ "${MMED_REQUEUE:-1}" = 1 ]; then
    echo "[$(date -Is)] stopped with a checkpoint before the time limit: requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
  fi
  return "$rc"
}

mmed_request_stop() {
  [ "$_mmed_stop_requested" = 1 ] && return 0
  _mmed_stop_requested=1
  echo "[$(date -Is)] USR1: asking the workers to save a checkpoint and stop"
  scancel --signal=USR1 "$SLURM_JOB_ID" || true   # every step's processes, not this script
}
