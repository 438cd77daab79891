# shellcheck shell=bash
# Installs the systemd timer that runs `health_report_once` (health.sh) every minute on every
# master. Sourced after common.sh. Master boot calls it on every boot, once the control plane runs:
#   install_health_timer "$CLUSTER_NAME" "$AVAILABILITY_ZONE"
#
# Environment (optional; tests point them at a temp root and a fake systemctl):
#   K8SHA_SYSTEMD_DIR       where the units go                       (/etc/systemd/system)
#   K8SHA_HEALTH_ENV_FILE   the service's EnvironmentFile            (/etc/k8sha/node-health.env)
#   K8SHA_LIB_DIR           where the libraries live on the node     (/opt/k8sha/lib)
#   K8SHA_SYSTEMCTL         systemctl binary                         (systemctl)
#   K8SHA_ETCD_ENDPOINT     the local member's client URL   (https://127.0.0.1:$ETCD_CLIENT_PORT)
#   K8SHA_HEALTH_ETCD_METRICS_URL  etcd's metrics URL                (http://127.0.0.1:2381/metrics)
#   K8SHA_PKI_DIR / K8SHA_KUBECONFIG_DIR  kubeadm's certificates (/etc/kubernetes/pki, /etc/kubernetes)
# Inputs (node.env), copied into the env file: AWS_DEFAULT_REGION, ETCD_CLIENT_PORT, API_PORT,
# METRICS_NAMESPACE, MEMBER_ADDRESSES (every master's stable address).
#
# 2381: kubeadm starts etcd with --listen-metrics-urls=http://127.0.0.1:2381 (EtcdMetricsPort;
# kubernetes/kubernetes cmd/kubeadm/app/phases/etcd/local.go, getEtcdCommand): plain http, loopback.

HEALTH_UNIT="${HEALTH_UNIT:-k8sha-node-health}"

# _health_env_line KEY VALUE : one EnvironmentFile line; refuses characters that would need
# quoting rules systemd and bash disagree on.
_health_env_line() {
  if [[ "$2" =~ [\'\"\\$\`[:space:]] ]]; then die "unsafe value for $1: $2"; fi
  printf "%s='%s'\n" "$1" "$2"
}

# install_health_timer CLUSTER_NAME ZONE : write service, timer and env file, then enable the
# timer. Rewritten on every boot (idempotent).
install_health_timer() {
  local cluster="$1" zone="$2" ip local_url endpoints
  local unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_HEALTH_ENV_FILE:-/etc/k8sha/node-health.env}"
  local -a urls=()
  [[ -n "$cluster" && -n "$zone" ]] || die "install_health_timer needs the cluster name and the zone"
  local_url="${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
  # The local member first (its status is logged); every member, so that the member list still
  # comes through when the local one is down.
  urls=("$local_url")
  for ip in ${MEMBER_ADDRESSES:-}; do urls+=("https://$ip:$ETCD_CLIENT_PORT"); done
  endpoints="$(IFS=,; printf '%s' "${urls[*]}")"
  # kubeadm's etcd serves its metrics on 127.0.0.1; an etcd node's unit where its local clients reach it.
  local metrics_host=127.0.0.1
  if [[ "${K8SHA_ROLE:-master}" == etcd ]]; then metrics_host="$(url_host "$local_url")"; fi
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  {
    _health_env_line K8SHA_HEALTH_CLUSTER "$cluster"
    _health_env_line K8SHA_HEALTH_ZONE "$zone"
    _health_env_line K8SHA_METRICS_NAMESPACE "${METRICS_NAMESPACE:?METRICS_NAMESPACE must be set}"
    _health_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
    _health_env_line K8SHA_HEALTH_ETCD_METRICS_URL "${K8SHA_HEALTH_ETCD_METRICS_URL:-http://$metrics_host:${ETCD_METRICS_PORT:-2381}/metrics}"
    _health_env_line K8SHA_HEALTH_ETCD_ENDPOINTS "$endpoints"
    _health_env_line K8SHA_ETCDCTL "$K8SHA_ETCDCTL"
    _health_env_line API_PORT "${API_PORT:?API_PORT must be set}"
    _health_env_line K8SHA_PKI_DIR "${K8SHA_PKI_DIR:-${PKI_DIR:-/etc/kubernetes/pki}}"
    _health_env_line K8SHA_KUBECONFIG_DIR "${K8SHA_KUBECONFIG_DIR:-${KUBERNETES_DIR:-/etc/kubernetes}}"
    _health_env_line K8SHA_STATE_DIR "$K8SHA_STATE_DIR"
    # A master without etcd (external topology) reports its control plane and certificates only.
    if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then _health_env_line K8SHA_HEALTH_ROLE control-plane; fi
    # A dedicated etcd node reports etcd and its own certificates only (health.sh).
    if [[ "${K8SHA_ROLE:-master}" == etcd ]]; then
      _health_env_line K8SHA_HEALTH_ROLE etcd
      _health_env_line K8SHA_ETCD_PKI_DIR "$K8SHA_ETCD_PKI_DIR"
      _health_env_line ETCDCTL_CACERT "$ETCDCTL_CACERT"
      _health_env_line ETCDCTL_CERT "$ETCDCTL_CERT"
      _health_env_line ETCDCTL_KEY "$ETCDCTL_KEY"
    fi
    # The metric and dimension names (node.env facts from base/healthMetrics.ts): the unit reads
    # only this file.
    local name
    for name in "${!K8SHA_M_@}" "${!K8SHA_D_@}"; do _health_env_line "$name" "${!name}"; done
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Library paths are baked in: systemd would expand $VARS in ExecStart itself. A run is bounded
  # (short etcdctl/curl timeouts, three PutMetricData attempts) and killed before the next is due.
  cat >"$unit_dir/$HEALTH_UNIT.service" <<EOF
[Unit]
Description=k8sha node health metrics (etcd, control plane, certificates) to CloudWatch
Wants=network-online.target
After=network-online.target kubelet.service

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/cert-expiry.sh && . $lib/health.sh && health_report_once'
Nice=5
TimeoutStartSec=55s
EOF

  # Every minute, counted from the last run: CloudWatch's standard resolution, and the period the
  # alarms evaluate. A missing datapoint is itself an alarm (the heartbeat), so no catch-up.
  cat >"$unit_dir/$HEALTH_UNIT.timer" <<EOF
[Unit]
Description=k8sha node health metrics every minute

[Timer]
OnBootSec=2min
OnUnitActiveSec=60s
AccuracySec=5s

[Install]
WantedBy=timers.target
EOF
  log "installed $HEALTH_UNIT.timer (every minute; ClusterName=$cluster, AvailabilityZone=$zone)"
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$HEALTH_UNIT.timer"
}
