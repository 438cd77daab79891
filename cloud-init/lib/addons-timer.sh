# shellcheck shell=bash
# Installs the systemd timer that runs `addons_apply_once` (addons.sh) every minute on every
# master; only the leader (leader.sh) acts. Sourced after common.sh and etcd-backup-timer.sh
# (etcd_backup_env_line, leader_timer_env_lines, install_leader_timer). Master boot calls, on
# every boot, once kubeadm has written
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
  local parameter="$1"
  local env_file="${K8SHA_ADDONS_ENV_FILE:-/etc/k8sha/addons.env}"
  local kubeconfig="${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}"
  [[ "$parameter" == /* ]] || die "the add-on parameter must be an SSM name starting with /, got '$parameter'"
  mkdir -p "$(dirname "$env_file")"
  {
    etcd_backup_env_line ADDONS_PARAMETER "$parameter"
    etcd_backup_env_line ADDON_NAMESPACE "${ADDON_NAMESPACE:?ADDON_NAMESPACE must be set}"
    etcd_backup_env_line ADDON_LABEL "${ADDON_LABEL:?ADDON_LABEL must be set}"
    etcd_backup_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    leader_timer_env_lines "$kubeconfig"
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Every call of a run is bounded (retries, request timeouts); 15 min stops one that hangs anyway.
  # Every 60 s: a new manifest reaches the cluster a minute after `pulumi up` wrote its pointer.
  install_leader_timer "$ADDONS_UNIT" "k8sha AWS add-ons applier" "$env_file" "$kubeconfig" \
    "common.sh etcd-tools.sh etcd-backup.sh leader.sh addons.sh" addons_apply_once 15min 2min 60s
  log "installed $ADDONS_UNIT.timer (every 60 s, pointer $parameter)"
}
