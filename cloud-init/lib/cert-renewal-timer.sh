# shellcheck shell=bash
# The daily timer of the certificate renewal (cert-renewal.sh, which says why and what it renews):
# its service, timer and env file, written at every boot of a master. Sourced after common.sh,
# cert-expiry.sh (cert_pki_dir, cert_kubeconfig_dir) and cert-renewal.sh (the unit's name, its
# manifest and park dirs). Entry point: `install_cert_renewal_timer`.
#
# Environment: K8SHA_SYSTEMD_DIR (/etc/systemd/system), K8SHA_LIB_DIR (/opt/k8sha/lib),
#   K8SHA_CERT_ENV_FILE (/etc/k8sha/cert-renewal.env), node.env (ETCD_CLIENT_PORT,
#   MEMBER_ADDRESSES, API_PORT, CRI_SOCKET; with external etcd ETCD_ENDPOINTS, SSM_PREFIX).

# _cert_env_line KEY VALUE : one EnvironmentFile line; refuses what systemd and bash quote differently.
_cert_env_line() {
  if [[ "$2" =~ [\'\"\\$\`[:space:]] ]]; then die "unsafe value for $1: $2"; fi
  printf "%s='%s'\n" "$1" "$2"
}

# install_cert_renewal_timer : write the service, the timer and their env file, enable the timer.
# Rewritten on every boot (idempotent). Only on a node kubeadm gave its certificates: without
# them there is nothing to renew, and the unit would fail every day.
install_cert_renewal_timer() {
  local unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_CERT_ENV_FILE:-/etc/k8sha/cert-renewal.env}" pki local_url ip endpoints
  local -a urls=()
  pki="$(cert_pki_dir)"
  if [[ ! -f "$pki/apiserver.crt" ]]; then
    log "no kubeadm certificates in $pki: no certificate renewal timer installed"
    return 0
  fi
  local_url="${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}}"
  for ip in ${MEMBER_ADDRESSES:-}; do urls+=("https://$ip:$ETCD_CLIENT_PORT"); done
  ((${#urls[@]} > 0)) || urls=("$local_url")
  endpoints="${K8SHA_CERT_LOCK_ENDPOINTS:-$(IFS=,; printf '%s' "${urls[*]}")}"
  # External etcd: the lock is on the etcd nodes.
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then endpoints="${K8SHA_CERT_LOCK_ENDPOINTS:-${ETCD_ENDPOINTS:?ETCD_ENDPOINTS must be set}}"; fi
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  {
    _cert_env_line K8SHA_PKI_DIR "$pki"
    _cert_env_line K8SHA_KUBECONFIG_DIR "$(cert_kubeconfig_dir)"
    _cert_env_line K8SHA_MANIFEST_DIR "$(cert_manifest_dir)"
    _cert_env_line K8SHA_CERT_PARK_DIR "$(cert_park_dir)"
    _cert_env_line K8SHA_STATE_DIR "$K8SHA_STATE_DIR"
    _cert_env_line K8SHA_CERT_LOCK_ENDPOINTS "$endpoints"
    _cert_env_line K8SHA_ETCD_ENDPOINT "$local_url"
    _cert_env_line K8SHA_ETCDCTL "$K8SHA_ETCDCTL"
    _cert_env_line API_PORT "${API_PORT:?API_PORT must be set}"
    _cert_env_line CRI_SOCKET "${CRI_SOCKET:?CRI_SOCKET must be set}"
    if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
      _cert_env_line ETCD_TOPOLOGY external
      _cert_env_line SSM_PREFIX "${SSM_PREFIX:?SSM_PREFIX must be set}"
      _cert_env_line AWS_DEFAULT_REGION "${AWS_DEFAULT_REGION:-${AWS_REGION:?AWS_REGION must be set}}"
    fi
  } >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"

  # Library paths are baked in: systemd would expand $VARS in ExecStart itself. ExecStopPost runs
  # after any end of the run (a failure, a timeout, a kill): no manifest stays parked.
  # TimeoutStartSec: the lock wait (30 min at most) plus four restarts of at most 7 min each.
  cat >"$unit_dir/$CERT_RENEWAL_UNIT.service" <<EOF
[Unit]
Description=k8sha renewal of kubeadm's control-plane certificates before they expire
Wants=network-online.target
After=network-online.target kubelet.service

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI (external etcd: the etcd client pair from SSM) is a snap on Ubuntu (/snap/bin).
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/etcd-member.sh && . $lib/ssm.sh && . $lib/cert-expiry.sh && . $lib/cert-renewal.sh && cert_renewal_once'
ExecStopPost=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/cert-expiry.sh && . $lib/cert-renewal.sh && cert_restore_parked'
TimeoutStartSec=90min
EOF

  # The cluster-wide lock serialises masters whose random start times overlap.
  install_daily_timer "$unit_dir" "$CERT_RENEWAL_UNIT" "k8sha daily check of kubeadm's certificates"
  log "installed $CERT_RENEWAL_UNIT.timer (daily; renews at ${CERT_RENEW_DAYS_DEFAULT} days left or fewer)"
}
