#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for running the workflow through profiles/slurm:
#   conf=$(tests/e2e/slurm/up.sh) && eval "$conf"   # starts munged, slurmctld, slurmd; prints `export SLURM_CONF=...`
#   tests/e2e/slurm/down.sh            # stops them and removes every file they wrote
# One node with this host's real cores and memory (`slurmd -C`), partitions `cpu` (default) and `gpu`
# on it, no GRES, no accounting database (the profile queries job states with squeue). Everything lives
# in $NEURONLLM_SLURM_DIR (default /tmp/neuronllm-slurm): its own munge key and socket, spool and logs;
# nothing outside this machine is contacted. Installs slurm-wlm and munge with apt if missing (root).
# The config is also linked at /etc/slurm/slurm.conf (refused if another one is there): the executor
# plugin's job step drops SLURM_CONF from the environment of the srun inside each job, so clients in a
# job find the cluster the way they do on any real cluster, by the default path.
set -euo pipefail
STATE=${NEURONLLM_SLURM_DIR:-/tmp/neuronllm-slurm}
say() { echo "slurm-up: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" = 0 ] || { say "slurm-wlm/munge missing and not root: apt-get install -y slurm-wlm munge"; exit 1; }
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q slurm-wlm munge >&2
fi
if [ -e "$STATE/slurmctld.pid" ]; then
  # A cluster of an earlier run: reuse it if its controller answers (the caller must then leave it up:
  # NEURONLLM_SLURM_REUSED=1), else it is what a killed run left behind: stop its daemons, remove it.
  if kill -0 "$(cat "$STATE/slurmctld.pid" 2>/dev/null || echo 0)" 2>/dev/null \
     && SLURM_CONF=$STATE/slurm.conf sinfo -h >/dev/null 2>&1; then
    say "reusing the cluster already up in $STATE (left up: down.sh stops it)"
    echo "export SLURM_CONF=$STATE/slurm.conf NEURONLLM_SLURM_REUSED=1"
    exit 0
  fi
  say "removing a stale cluster state in $STATE (its controller is not running)"
  "$(dirname "$0")/down.sh"
fi
DEFAULT_CONF=/etc/slurm/slurm.conf
if [ -L "$DEFAULT_CONF" ] && [ ! -e "$DEFAULT_CONF" ] && [ "$(readlink "$DEFAULT_CONF")" = "$STATE/slurm.conf" ]; then
  rm -f "$DEFAULT_CONF"   # our link, left dangling by a run whose state directory is gone
fi
if [ -e "$DEFAULT_CONF" ] || [ -L "$DEFAULT_CONF" ]; then
  say "$DEFAULT_CONF exists: this machine has a SLURM configuration of its own; not touching it"; exit 1
fi
mkdir -p "$STATE"/{spool/ctld,spool/d,log}
chmod 700 "$STATE"

# munge: a private key and socket (the system's munged, if any, is left alone)
dd if=/dev/urandom of="$STATE/munge.key" bs=1024 count=1 status=none
chmod 600 "$STATE/munge.key"
/usr/sbin/munged --force --socket="$STATE/munge.socket" --key-file="$STATE/munge.key" \
  --log-file="$STATE/log/munged.log" --pid-file="$STATE/munged.pid" --seed-file="$STATE/munged.seed"

HOST=$(hostname -s)
NODE=$(slurmd -C | head -1)   # NodeName=<host> CPUs=.. Boards=.. SocketsPerBoard=.. ... RealMemory=..
NODE=${NODE#NodeName=* }     # drop the NodeName field: the node is declared with its address below
cat > "$STATE/slurm.conf" <<CONF
ClusterName=neuronllm
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge.socket
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=${NEURONLLM_SLURMCTLD_PORT:-16817}
SlurmdPort=${NEURONLLM_SLURMD_PORT:-16818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
NodeName=$HOST NodeAddr=127.0.0.1 $NODE State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
PartitionName=gpu Nodes=$HOST Default=NO MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
export SLURM_CONF=$STATE/slurm.conf
mkdir -p "$(dirname "$DEFAULT_CONF")"
ln -s "$SLURM_CONF" "$DEFAULT_CONF"

/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"

for _ in $(seq 60); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null | sort -u | head -1 || true)
  if [ "$state" = idle ]; then
    say "node $HOST idle: $(sinfo -h -o '%P %c CPUs %m MB' | tr '\n' ' ')"
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 1
done
say "the node did not become idle (state: ${state:-none}); logs in $STATE/log"
sinfo >&2 || true
tail -n 20 "$STATE"/log/*.log >&2 || true
exit 1
