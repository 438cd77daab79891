# shellcheck shell=bash
# Installs the systemd timer that runs `addons_apply_once` (addons.sh) every minute on every
# master; only the etcd leader acts. Sourced after common.sh and etcd-backup-timer.sh
# (etcd_backup_env_line). Master boot calls, on every boot, once kubeadm has written
# /etc/kubernetes/admin.conf:
#   install_addons_timer "$ADDONS_PARAMETER"
#
# Environment (optional; tests point them at a temp root and a fake systemctl):
#   K8SHA_SYSTEMD_DIR       where the units go                       (/etc/systemd/system)
#   K8SHA_ADDONS_ENV_FILE   the service's EnvironmentFile            (/etc/k8sha/addons.env)
#   K8SHA_LIB_DIR           where the libraries live on the node     (/opt/k8sha/lib)
#   K8SHA_SYSTEMCTL         systemctl binary                         (systemctl)
#   K8SHA_ADMIN_KUBECONFIG  the kubeconfig the applier uses; the unit only runs where it exists
#                           (/etc/kubernetes/admin.conf)
#   K8SHA_ETCD_MANIFEST     kubeadm's etcd static pod, for etcdctl's image (etcd-tools.sh)
#   K8SHA_ETCD_ENDPOINT     the local member's client URL    (https://127.0.0.1:$ETCD_CLIENT_PORT)
# Inputs (node.env), copied into the env file: AWS_DEFAULT_REGION, ETCD_CLIENT_PORT,
# ADDON_NAMESPACE, ADDON_LABEL.

ADDONS_UNIT="${ADDONS_UNIT:-k8sha-addons}"

# install_addons_timer PARAMETER : write service, timer and env file, then enable the timer.
# Rewritten on every boot (idempotent).
install_addons_timer() {
  local parameter="$1" unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_ADDONS_ENV_FILE:-/etc/k8sha/addons.env}"
  local kubeconfig="${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}"
  [[ "$parameter" == /* ]] || die "the add-on parameter must be an SSM name starting with /, got '$parameter'"
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  {
    etcd_backup_env_line ADDONS_PARAMETER "$parameter"
    etcd_backup_env_line ADDON_NAMESPACE "${ADDON_NAMESPACE:?ADDON_NAMESPACE must be set}"
    etcd_backup_env_line ADDON_LABEL "${ADDON_LABEL:?ADDON_LABEL must be set}"
    etcd_backup_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    etcd_backup_env_line K8SHA_ADMIN_KUBECONFIG "$kubeconfig"
    etcd_backup_env_line K8SHA_ETCD_TOOLS_DIR "$K8SHA_ETCD_TOOLS_DIR"
    etcd_backup_env_line K8SHA_ETCDCTL "$K8SHA_ETCD_TOOLS_DIR/etcdctl"
    etcd_backup_env_line K8SHA_ETCDUTL "$K8SHA_ETCD_TOOLS_DIR/etcdutl"
    etcd_backup_env_line K8SHA_ETCD_MANIFEST "${K8SHA_ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}"
    etcd_backup_env_line K8SHA_ETCD_ENDPOINT \
      "${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Library paths are baked in: systemd would expand $VARS in ExecStart itself. Every call of a
  # run is bounded (retries, request timeouts); 15 min stops one that hangs anyway.
  cat >"$unit_dir/$ADDONS_UNIT.service" <<EOF
[Unit]
Description=k8sha AWS add-ons applier (only the etcd leader acts)
Wants=network-online.target
After=network-online.target
ConditionPathExists=$kubeconfig

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/etcd-tools.sh && . $lib/etcd-backup.sh && . $lib/addons.sh && addons_apply_once'
TimeoutStartSec=15min
EOF

  # Every 60 s: a new manifest reaches the cluster a minute after `pulumi up` wrote its pointer.
  # A tick while a run is still going starts nothing (the oneshot is still active).
  cat >"$unit_dir/$ADDONS_UNIT.timer" <<EOF
[Unit]
Description=k8sha AWS add-ons applier every 60 s

[Timer]
OnBootSec=2min
OnUnitActiveSec=60s
AccuracySec=5s

[Install]
WantedBy=timers.target
EOF
  log "installed $ADDONS_UNIT.timer (every 60 s, pointer $parameter)"
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$ADDONS_UNIT.timer"
}
