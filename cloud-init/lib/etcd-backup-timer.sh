# shellcheck shell=bash
# Installs the systemd timer that runs `etcd_backup_once` (etcd-backup.sh) on every etcd member
# (a master, or a dedicated etcd node: K8SHA_ROLE=etcd), and holds what the leader-only master
# timers share (install_leader_timer).
# Sourced after common.sh. Master boot calls, once kubeadm has written the etcd static pod:
#   install_etcd_backup_timer "$BACKUP_BUCKET" "$BACKUP_PREFIX" "$BACKUP_INTERVAL_MINUTES" "$CLUSTER_NAME"
#
# Environment (optional; tests point them at a temp root and a fake systemctl):
#   K8SHA_SYSTEMD_DIR     where the units go                      (/etc/systemd/system)
#   K8SHA_BACKUP_ENV_FILE the service's EnvironmentFile           (/etc/k8sha/etcd-backup.env)
#   K8SHA_LIB_DIR         where the libraries live on the node    (/opt/k8sha/lib)
#   K8SHA_SYSTEMCTL       systemctl binary                        (systemctl)
#   K8SHA_ETCD_MANIFEST   kubeadm's etcd static pod; the unit only runs where it exists
#                         (/etc/kubernetes/manifests/etcd.yaml)
#   K8SHA_ETCD_TOOLS_DIR  where etcdctl/etcdutl are (etcd-tools.sh)         (/opt/k8sha/etcd)
#   K8SHA_ETCD_ENDPOINT   the local member's client URL       (https://127.0.0.1:$ETCD_CLIENT_PORT)
# Inputs (node.env), copied into the env file: AWS_DEFAULT_REGION, ETCD_CLIENT_PORT, METRICS_NAMESPACE,
# and BACKUP_KMS_KEY_ARN when node.env has it (the snapshots' KMS key).
#
# etcdctl/etcdutl come from the image kubeadm runs etcd from (etcd-tools.sh); etcd_backup_run
# copies them again when an upgrade changed that image.

ETCD_BACKUP_UNIT="${ETCD_BACKUP_UNIT:-k8sha-etcd-backup}"

# etcd_backup_env_line KEY VALUE : one EnvironmentFile line; refuses characters that would need
# quoting rules systemd and bash disagree on.
etcd_backup_env_line() {
  if [[ "$2" =~ [\'\"\\$\`[:space:]] ]]; then die "unsafe value for $1: $2"; fi
  printf "%s='%s'\n" "$1" "$2"
}

# leader_timer_env_lines KUBECONFIG : the env-file lines every leader-only master timer needs
# (worker-drain-timer.sh, addons-timer.sh) for its leader check (leader.sh): its kubeconfig, and
# the etcd tools and the local member (stacked) or this master's Node name (external etcd).
leader_timer_env_lines() {
  etcd_backup_env_line K8SHA_ADMIN_KUBECONFIG "$1"
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
    etcd_backup_env_line ETCD_TOPOLOGY external
    etcd_backup_env_line K8SHA_NODE_NAME "${NODE_NAME:?NODE_NAME must be set}"
    return 0
  fi
  etcd_backup_env_line K8SHA_ETCD_TOOLS_DIR "$K8SHA_ETCD_TOOLS_DIR"
  etcd_backup_env_line K8SHA_ETCDCTL "$K8SHA_ETCD_TOOLS_DIR/etcdctl"
  etcd_backup_env_line K8SHA_ETCDUTL "$K8SHA_ETCD_TOOLS_DIR/etcdutl"
  etcd_backup_env_line K8SHA_ETCD_MANIFEST "${K8SHA_ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}"
  etcd_backup_env_line K8SHA_ETCD_ENDPOINT \
    "${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
}

# install_leader_timer UNIT DESCRIPTION ENV_FILE KUBECONFIG LIBS ENTRY TIMEOUT ON_BOOT INTERVAL :
# write UNIT.service (oneshot, runs only where KUBECONFIG exists, sources the space-separated
# LIBS from K8SHA_LIB_DIR, then calls ENTRY; stopped after TIMEOUT) and UNIT.timer (ON_BOOT after
# boot, then INTERVAL after each run ends: a tick while a run is still going starts nothing),
# then enable the timer. The caller writes ENV_FILE. Library paths are baked in: systemd would
# expand $VARS in ExecStart itself.
install_leader_timer() {
  local unit="$1" description="$2" env_file="$3" kubeconfig="$4" libs="$5" entry="$6"
  local timeout="$7" on_boot="$8" interval="$9"
  local unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local sources="" name
  for name in $libs; do sources+=". $lib/$name && "; done
  mkdir -p "$unit_dir"
  cat >"$unit_dir/$unit.service" <<EOF
[Unit]
Description=$description (only the leader acts, leader.sh)
Wants=network-online.target
After=network-online.target
ConditionPathExists=$kubeconfig

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '$sources$entry'
TimeoutStartSec=$timeout
EOF
  cat >"$unit_dir/$unit.timer" <<EOF
[Unit]
Description=$description every $interval

[Timer]
OnBootSec=$on_boot
OnUnitActiveSec=$interval
AccuracySec=5s

[Install]
WantedBy=timers.target
EOF
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$unit.timer"
}

# install_etcd_backup_timer BUCKET PREFIX INTERVAL_MINUTES CLUSTER_NAME : write service, timer and
# env file, then enable the timer. Rewritten on every boot (idempotent).
install_etcd_backup_timer() {
  local bucket="$1" prefix="$2" interval="$3" cluster="$4"
  local unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_BACKUP_ENV_FILE:-/etc/k8sha/etcd-backup.env}"
  local tools="$K8SHA_ETCD_TOOLS_DIR"
  # A master runs etcd from kubeadm's static pod (the tools follow its image); a dedicated etcd
  # node runs its unit (lib/etcd-node.sh) from the pinned release, with its own certificates,
  # and has no manifest, so etcd_backup_run keeps the release's tools.
  local runs_on="${K8SHA_ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}"
  if [[ "${K8SHA_ROLE:-master}" == etcd ]]; then runs_on="${K8SHA_ETCD_UNIT:?K8SHA_ETCD_UNIT must be set}"; fi
  [[ "$interval" =~ ^[1-9][0-9]*$ ]] || die "backup interval must be a positive number of minutes: $interval"
  [[ -n "$bucket" && "$prefix" == */ ]] || die "backup bucket and a '/'-terminated prefix are required"
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  {
    etcd_backup_env_line K8SHA_BACKUP_BUCKET "$bucket"
    etcd_backup_env_line K8SHA_BACKUP_PREFIX "$prefix"
    etcd_backup_env_line K8SHA_BACKUP_CLUSTER "$cluster"
    etcd_backup_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    etcd_backup_env_line K8SHA_ETCDCTL "$tools/etcdctl"
    etcd_backup_env_line K8SHA_ETCDUTL "$tools/etcdutl"
    # The member name in the object keys (a master's default: its hostname).
    if [[ -n "${K8SHA_ETCD_MEMBER:-}" ]]; then etcd_backup_env_line K8SHA_ETCD_MEMBER "$K8SHA_ETCD_MEMBER"; fi
    if [[ "${K8SHA_ROLE:-master}" == etcd ]]; then
      etcd_backup_env_line ETCDCTL_CACERT "$ETCDCTL_CACERT"
      etcd_backup_env_line ETCDCTL_CERT "$ETCDCTL_CERT"
      etcd_backup_env_line ETCDCTL_KEY "$ETCDCTL_KEY"
    else
      etcd_backup_env_line K8SHA_ETCD_MANIFEST "$runs_on"
    fi
    etcd_backup_env_line K8SHA_ETCD_TOOLS_DIR "$tools"
    etcd_backup_env_line K8SHA_ETCD_ENDPOINT \
      "${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
    etcd_backup_env_line K8SHA_METRICS_NAMESPACE "${METRICS_NAMESPACE:?METRICS_NAMESPACE must be set}"
    # Optional: without it the backup names the bucket's default KMS key (lib/etcd-backup.sh).
    if [[ -n "${BACKUP_KMS_KEY_ARN:-}" ]]; then etcd_backup_env_line K8SHA_BACKUP_KMS_KEY_ID "$BACKUP_KMS_KEY_ARN"; fi
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Library paths are baked in: systemd would expand $VARS in ExecStart itself.
  cat >"$unit_dir/$ETCD_BACKUP_UNIT.service" <<EOF
[Unit]
Description=k8sha etcd snapshot to S3 (only the etcd leader uploads)
Wants=network-online.target
After=network-online.target
ConditionPathExists=$runs_on

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/etcd-tools.sh && . $lib/etcd-backup.sh && etcd_backup_once'
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=15min
EOF

  # OnUnitActiveSec counts from the last run; RandomizedDelaySec spreads the masters' LIST/PUT
  # calls. No Persistent=: systemd honours it only for OnCalendar= timers, and OnBootSec already
  # takes a backup soon after a master comes back.
  cat >"$unit_dir/$ETCD_BACKUP_UNIT.timer" <<EOF
[Unit]
Description=k8sha etcd snapshot every ${interval} minutes

[Timer]
OnBootSec=${interval}min
OnUnitActiveSec=${interval}min
RandomizedDelaySec=60
AccuracySec=10s

[Install]
WantedBy=timers.target
EOF
  log "installed $ETCD_BACKUP_UNIT.timer (every ${interval} min) -> s3://$bucket/$prefix"
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$ETCD_BACKUP_UNIT.timer"
}
