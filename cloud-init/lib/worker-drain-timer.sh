# shellcheck shell=bash
# Installs the systemd timer that runs `worker_drain_once` (worker-drain.sh) on every master.
# Sourced after common.sh and etcd-backup-timer.sh (etcd_backup_env_line, leader_timer_env_lines,
# install_leader_timer). Master boot calls,
# once kubeadm has written /etc/kubernetes/admin.conf:
#   install_worker_drain_timer "$CLUSTER_NAME"
#
# Environment (optional; tests point them at a temp root and a fake systemctl):
#   K8SHA_SYSTEMD_DIR       where the units go                       (/etc/systemd/system)
#   K8SHA_DRAIN_ENV_FILE    the service's EnvironmentFile            (/etc/k8sha/worker-drain.env)
#   K8SHA_LIB_DIR           where the libraries live on the node     (/opt/k8sha/lib)
#   K8SHA_SYSTEMCTL         systemctl binary                         (systemctl)
#   K8SHA_ADMIN_KUBECONFIG  the kubeconfig the handler uses; the unit only runs where it exists
#                           (/etc/kubernetes/admin.conf)
#   K8SHA_ETCD_MANIFEST     kubeadm's etcd static pod, for etcdctl's image (etcd-tools.sh)
#   K8SHA_ETCD_ENDPOINT     the local member's client URL    (https://127.0.0.1:$ETCD_CLIENT_PORT)
# Inputs (node.env), copied into the env file: AWS_DEFAULT_REGION, ETCD_CLIENT_PORT, TAG_CLUSTER,
# TAG_ROLE, WORKER_DRAIN_HOOK, WORKER_DRAIN_HEARTBEAT_SECONDS, WORKER_DRAIN_TIMEOUT_SECONDS.

WORKER_DRAIN_UNIT="${WORKER_DRAIN_UNIT:-k8sha-worker-drain}"

# install_worker_drain_timer CLUSTER_NAME : write service, timer and env file, then enable the
# timer. Rewritten on every boot (idempotent).
install_worker_drain_timer() {
  local cluster="$1"
  local env_file="${K8SHA_DRAIN_ENV_FILE:-/etc/k8sha/worker-drain.env}"
  local kubeconfig="${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}"
  local heartbeat="${WORKER_DRAIN_HEARTBEAT_SECONDS:?WORKER_DRAIN_HEARTBEAT_SECONDS must be set}"
  local bound="${WORKER_DRAIN_TIMEOUT_SECONDS:?WORKER_DRAIN_TIMEOUT_SECONDS must be set}"
  [[ -n "$cluster" ]] || die "the cluster name is required"
  [[ "$heartbeat" =~ ^[1-9][0-9]*$ && "$bound" =~ ^[1-9][0-9]*$ ]] ||
    die "drain heartbeat ($heartbeat) and bound ($bound) must be positive numbers of seconds"
  mkdir -p "$(dirname "$env_file")"
  {
    etcd_backup_env_line K8SHA_DRAIN_CLUSTER "$cluster"
    etcd_backup_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    etcd_backup_env_line TAG_CLUSTER "${TAG_CLUSTER:?TAG_CLUSTER must be set}"
    etcd_backup_env_line TAG_ROLE "${TAG_ROLE:?TAG_ROLE must be set}"
    etcd_backup_env_line WORKER_DRAIN_HOOK "${WORKER_DRAIN_HOOK:?WORKER_DRAIN_HOOK must be set}"
    etcd_backup_env_line WORKER_DRAIN_HEARTBEAT_SECONDS "$heartbeat"
    etcd_backup_env_line WORKER_DRAIN_TIMEOUT_SECONDS "$bound"
    leader_timer_env_lines "$kubeconfig"
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # A run lasts as long as its drains; 6 h stops one that hangs, and the next tick picks the
  # work up again. Every 30 s: an instance waits at most the hook's heartbeat timeout for its
  # first heartbeat.
  install_leader_timer "$WORKER_DRAIN_UNIT" "k8sha drain of terminating workers" "$env_file" "$kubeconfig" \
    "common.sh etcd-tools.sh etcd-backup.sh leader.sh stale-nodes.sh worker-drain.sh" worker_drain_once 6h 1min 30s
  log "installed $WORKER_DRAIN_UNIT.timer (every 30 s, hook $WORKER_DRAIN_HOOK, drains bounded at ${bound}s)"
}
