#!/usr/bin/env bash
# Stops what tests/e2e/slurm/up.sh started (by the pids it recorded) and removes its state directory.
set -uo pipefail
STATE=${NEURONLLM_SLURM_DIR:-/tmp/neuronllm-slurm}
[ -d "$STATE" ] || exit 0
export SLURM_CONF=$STATE/slurm.conf
scancel --quiet --user "$(id -un)" 2>/dev/null || true   # this cluster's jobs only (SLURM_CONF)
for daemon in slurmd slurmctld munged; do
  pidfile=$STATE/$daemon.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
done
# the default-path link up.sh made (only if it points into this state directory)
[ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$STATE/slurm.conf" ] && rm -f /etc/slurm/slurm.conf
rm -rf "$STATE"
echo "slurm-down: stopped and removed $STATE" >&2
