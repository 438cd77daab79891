# shellcheck shell=bash
# Which of kubeadm's one-year certificates a master holds and when the earliest expires: read by
# the daily renewal (cert-renewal.sh) and by the health report (health.sh, on masters and on
# dedicated etcd nodes, which renew nothing with kubeadm). Sourced after common.sh (log).
#
# Environment (the defaults suit a kubeadm master):
#   K8SHA_PKI_DIR          kubeadm's certificate dir          ($PKI_DIR, else /etc/kubernetes/pki)
#   K8SHA_KUBECONFIG_DIR   admin.conf & co.              ($KUBERNETES_DIR, else /etc/kubernetes)
#   ETCD_TOPOLOGY          stacked or external (node.env)                              (stacked)

# What `kubeadm certs renew all` renews on a control-plane node, the CAs excepted.
CERT_RENEWAL_FILES=(apiserver.crt apiserver-kubelet-client.crt front-proxy-client.crt
  apiserver-etcd-client.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt)
# super-admin.conf exists only on the first master (kubeadm init).
CERT_RENEWAL_KUBECONFIGS=(admin.conf super-admin.conf controller-manager.conf scheduler.conf)
# External etcd (ETCD_TOPOLOGY=external): the master runs no etcd, and the API server's etcd client
# pair is not kubeadm's to renew (its renewal skips every etcd-CA certificate with external etcd,
# and the master has no etcd CA key): `pulumi up` re-issues it within its renewal window
# (components/pki.ts) and the renewal timer copies the new pair from SSM (cert_etcd_client_refresh).
if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
  CERT_RENEWAL_FILES=(apiserver.crt apiserver-kubelet-client.crt front-proxy-client.crt)
fi

cert_pki_dir() { printf '%s\n' "${K8SHA_PKI_DIR:-${PKI_DIR:-/etc/kubernetes/pki}}"; }
cert_kubeconfig_dir() { printf '%s\n' "${K8SHA_KUBECONFIG_DIR:-${KUBERNETES_DIR:-/etc/kubernetes}}"; }

# cert_sources : one "PATH" per line for each kubeadm-managed certificate that exists (kubeconfigs
# stand for the client certificate embedded in them).
cert_sources() {
  local pki kc f
  pki="$(cert_pki_dir)" kc="$(cert_kubeconfig_dir)"
  for f in "${CERT_RENEWAL_FILES[@]}"; do [[ ! -f "$pki/$f" ]] || printf '%s\n' "$pki/$f"; done
  for f in "${CERT_RENEWAL_KUBECONFIGS[@]}"; do [[ ! -f "$kc/$f" ]] || printf '%s\n' "$kc/$f"; done
}

# cert_pem SOURCE : the PEM certificate of a .crt file, or the client-certificate-data of a kubeconfig.
cert_pem() {
  if [[ "$1" != *.conf ]]; then
    cat "$1"
    return
  fi
  local data
  data="$(sed -n 's/^[[:space:]]*client-certificate-data:[[:space:]]*//p' "$1" | head -n 1)"
  [[ -n "$data" ]] || { log "$1 embeds no client-certificate-data"; return 1; }
  base64 -d <<<"$data"
}

# cert_not_after SOURCE : the certificate's notAfter in epoch seconds.
cert_not_after() {
  local pem end
  pem="$(cert_pem "$1")" || return 1
  end="$(openssl x509 -noout -enddate <<<"$pem")" || { log "openssl cannot read the certificate of $1"; return 1; }
  date -u -d "${end#notAfter=}" +%s
}

# cert_days_left : print "DAYS PATH" for the kubeadm certificate that expires first: DAYS is the
# number of whole days left (negative once expired), PATH the file (a kubeconfig for an embedded
# one). Exit 1 when a certificate cannot be read or none exists.
cert_days_left() {
  local src end now diff best="" best_end="" days
  local -a sources
  mapfile -t sources < <(cert_sources)
  for src in "${sources[@]}"; do
    end="$(cert_not_after "$src")" || return 1
    if [[ -z "$best_end" ]] || ((end < best_end)); then best_end="$end" best="$src"; fi
  done
  [[ -n "$best" ]] || { log "no kubeadm certificate under $(cert_pki_dir) or $(cert_kubeconfig_dir)"; return 1; }
  now="$(date +%s)"
  diff=$((best_end - now))
  # Whole days, rounded down (as kubeadm's RESIDUAL TIME); bash division truncates towards 0.
  if ((diff >= 0)); then days=$((diff / 86400)); else days=$((-((-diff + 86399) / 86400))); fi
  log "earliest kubeadm certificate: $best, expires $(date -u -d "@$best_end" +%Y-%m-%dT%H:%M:%SZ) ($days days)"
  printf '%s %s\n' "$days" "$best"
}
