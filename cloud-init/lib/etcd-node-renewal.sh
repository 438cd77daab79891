# shellcheck shell=bash
# Renewal of a dedicated etcd node's certificates (etcd-node.sh `etcd_member_certs`): a daily
# timer reissues all three (server, peer, client) once one of them expires within
# K8SHA_ETCD_RENEW_DAYS (30) days. No restart: etcd reads its certificate and key files again on
# every TLS handshake, as server and as client (pkg/transport/listener.go in etcd-io/etcd:
# GetCertificate / GetClientCertificate), so new connections present the new certificate.
# Sourced after common.sh, ssm.sh, etcd-member.sh and etcd-node.sh.
#
# Environment (the timer's env file sets these, from node.env and the boot):
#   CLUSTER_NAME, SSM_PREFIX, ETCD_MEMBER, STABLE_IP, NODE_IP, ETCD_CLIENT_PORT, AWS_DEFAULT_REGION,
#   K8SHA_ETCD_PKI_DIR, ETCD_LOCAL_ENDPOINT; K8SHA_ETCD_RENEW_DAYS (30)
#   K8SHA_ETCD_RENEWAL_ENV_FILE  the service's EnvironmentFile  (/etc/k8sha/etcd-cert-renewal.env)

ETCD_CERT_RENEWAL_UNIT="${ETCD_CERT_RENEWAL_UNIT:-k8sha-etcd-cert-renewal}"

# etcd_member_certs_due DAYS : true when a member certificate is missing or expires within DAYS days.
etcd_member_certs_due() {
  local name seconds=$(($1 * 86400))
  for name in server peer client; do
    [[ -f "$K8SHA_ETCD_PKI_DIR/$name.crt" ]] || return 0
    openssl x509 -in "$K8SHA_ETCD_PKI_DIR/$name.crt" -noout -checkend "$seconds" >/dev/null || return 0
  done
  return 1
}

# etcd_member_certs_renew_once : one scheduled check; reissues when due. A failure (no CA in SSM)
# leaves the current certificates in place and fails the service.
etcd_member_certs_renew_once() {
  export K8SHA_CURRENT_STEP=etcd-cert-renewal
  local days="${K8SHA_ETCD_RENEW_DAYS:-30}"
  if ! etcd_member_certs_due "$days"; then
    log "the etcd certificates of $(etcd_member_name) are valid for more than $days days"
    return 0
  fi
  log "an etcd certificate of $(etcd_member_name) expires within $days days: reissuing"
  etcd_member_certs
}

# install_etcd_cert_renewal_timer : the service, its env file and the daily timer. Rewritten on
# every boot.
install_etcd_cert_renewal_timer() {
  local unit_dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}" lib="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
  local env_file="${K8SHA_ETCD_RENEWAL_ENV_FILE:-/etc/k8sha/etcd-cert-renewal.env}" key
  mkdir -p "$unit_dir" "$(dirname "$env_file")"
  for key in CLUSTER_NAME SSM_PREFIX ETCD_MEMBER STABLE_IP NODE_IP ETCD_CLIENT_PORT AWS_DEFAULT_REGION; do
    etcd_backup_env_line "$key" "${!key:?$key must be set}"
  done >"$env_file.tmp"
  {
    etcd_backup_env_line K8SHA_ETCD_PKI_DIR "$K8SHA_ETCD_PKI_DIR"
    etcd_backup_env_line ETCD_LOCAL_ENDPOINT "${ETCD_LOCAL_ENDPOINT:-https://127.0.0.1:$ETCD_CLIENT_PORT}"
  } >>"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  cat >"$unit_dir/$ETCD_CERT_RENEWAL_UNIT.service" <<EOF
[Unit]
Description=k8sha renewal of this etcd member's certificates before they expire
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
EnvironmentFile=$env_file
# The AWS CLI is a snap on Ubuntu (/snap/bin); do not rely on snapd's environment generator.
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -euo pipefail -c '. $lib/common.sh && . $lib/ssm.sh && . $lib/etcd-member.sh && . $lib/etcd-node.sh && . $lib/etcd-node-renewal.sh && etcd_member_certs_renew_once'
TimeoutStartSec=10min
EOF
  install_daily_timer "$unit_dir" "$ETCD_CERT_RENEWAL_UNIT" "k8sha daily check of this etcd member's certificates"
  log "installed $ETCD_CERT_RENEWAL_UNIT.timer (daily; reissues at ${K8SHA_ETCD_RENEW_DAYS:-30} days left or fewer)"
}
