# shellcheck shell=bash
# Installs the systemd timer that runs `worker_drain_once` (worker-drain.sh) on every master.
# Sourced after common.sh and etcd-backup-timer.sh (etcd_backup_env_line). Master boot calls,
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
  local cluster="$1" unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_DRAIN_ENV_FILE:-/etc/k8sha/worker-drain.env}"
  local kubeconfig="${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}"
  local heartbeat="${WORKER_DRAIN_HEARTBEAT_SECONDS:?WORKER_DRAIN_HEARTBEAT_SECONDS must be set}"
  local bound="${WORKER_DRAIN_TIMEOUT_SECONDS:?WORKER_DRAIN_TIMEOUT_SECONDS must be set}"
  [[ -n "$cluster" ]] || die "the cluster name is required"
  [[ "$heartbeat" =~ ^[1-9][0-9]*$ && "$bound" =~ ^[1-9][0-9]*$ ]] ||
    die "drain heartbeat ($heartbeat) and bound ($bound) must be positive numbers of seconds"
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  {
    etcd_backup_env_line K8SHA_DRAIN_CLUSTER "$cluster"
    etcd_backup_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    etcd_backup_env_line TAG_CLUSTER "${TAG_CLUSTER:?TAG_CLUSTER must be set}"
    etcd_backup_env_line TAG_ROLE "${TAG_ROLE:?TAG_ROLE must be set}"
    etcd_backup_env_line WORKER_DRAIN_HOOK "${WORKER_DRAIN_HOOK:?WORKER_DRAIN_HOOK must be set}"
    etcd_backup_env_line WORKER_DRAIN_HEARTBEAT_SECONDS "$heartbeat"
    etcd_backup_env_line WORKER_DRAIN_TIMEOUT_SECONDS "$bound"
    etcd_backup_env_line K8SHA_ADMIN_KUBECONFIG "$kubeconfig"
    etcd_backup_env_line K8SHA_ETCD_TOOLS_DIR "$K8SHA_ETCD_TOOLS_DIR"
    etcd_backup_env_line K8SHA_ETCDCTL "$K8SHA_ETCD_TOOLS_DIR/etcdctl"
    etcd_backup_env_line K8SHA_ETCDUTL "$K8SHA_ETCD_TOOLS_DIR/etcdutl"
    etcd_backup_env_line K8SHA_ETCD_MANIFEST "${K8SHA_ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}"
    etcd_backup_env_line K8SHA_ETCD_ENDPOINT \
      "${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Library paths are baked in: systemd would expand $VARS in ExecStart itself. A run lasts as
  # long as its drains; 6 h stops one that hangs, and the next tick picks the work up again.
  cat >"$unit_dir/$WORKER_DRAIN_UNIT.service" <<EOF
[Unit]
Description=k8sha drain of terminating workers (only the etcd leader acts)
Wants=network-online.target
After=network-online.target
ConditionPathExists=$kubeconfig

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/etcd-tools.sh && . $lib/etcd-backup.sh && . $lib/stale-nodes.sh && . $lib/worker-drain.sh && worker_drain_once'
TimeoutStartSec=6h
EOF

  # Every 30 s: an instance waits at most the hook's heartbeat timeout for its first heartbeat.
  # A tick while a run is still going starts nothing (the oneshot is still active).
  cat >"$unit_dir/$WORKER_DRAIN_UNIT.timer" <<EOF
[Unit]
Description=k8sha drain of terminating workers every 30 s

[Timer]
OnBootSec=1min
OnUnitActiveSec=30s
AccuracySec=5s

[Install]
WantedBy=timers.target
EOF
  log "installed $WORKER_DRAIN_UNIT.timer (every 30 s, hook $WORKER_DRAIN_HOOK, drains bounded at ${bound}s)"
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$WORKER_DRAIN_UNIT.timer"
}
