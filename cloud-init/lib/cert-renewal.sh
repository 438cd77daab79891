# shellcheck shell=bash
# Renewal of kubeadm's one-year node certificates on a master, run daily by the timer that
# install_cert_renewal_timer (cert-renewal-timer.sh) writes at boot. Sourced after common.sh, etcd-member.sh
# (etcdctl_at, etcd_lock_run), ssm.sh (ssm_get_param) and cert-expiry.sh (which certificates
# kubeadm renews and when the earliest expires). Entry point: `cert_renewal_once`.
#
# Why a timer: kubeadm renews these certificates only during `kubeadm upgrade` (the rolling
# gate's in-place upgrade, docs/rolling.md); a master that sees no upgrade and no replacement
# for a year would let them expire and lose its control plane.
# The kubelet's client certificate is not among them: the kubelet rotates it itself
# (rotateCertificates, on by kubeadm's default; kubelet.conf points at kubelet-client-current.pem).
# The CAs (ten years) are never renewed here: rotating a CA is manual (docs/certificates.md).
#
# Environment (the timer's env file sets them; the defaults suit a kubeadm master):
#   K8SHA_PKI_DIR          kubeadm's certificate dir          ($PKI_DIR, else /etc/kubernetes/pki)
#   K8SHA_KUBECONFIG_DIR   admin.conf & co.              ($KUBERNETES_DIR, else /etc/kubernetes)
#   K8SHA_MANIFEST_DIR     the kubelet's staticPodPath            ($K8SHA_KUBECONFIG_DIR/manifests)
#   K8SHA_CERT_PARK_DIR    where a manifest waits while its pod is stopped; outside the
#                          manifest dir, on the same filesystem  ($K8SHA_KUBECONFIG_DIR/k8sha-parked)
#   K8SHA_CERT_RENEW_DAYS  renew at this many days left or fewer, earliest certificate   (30)
#   K8SHA_CERT_LOCK_ENDPOINTS  every member's etcd client URL, for the lock (comma-separated)
#   K8SHA_ETCD_ENDPOINT    the local member's client URL      (https://127.0.0.1:$ETCD_CLIENT_PORT)
#   K8SHA_CERT_HEALTH_HOST where the local components answer                          (127.0.0.1)
#   API_PORT, CRI_SOCKET   (node.env) kube-apiserver's port, crictl's runtime endpoint
#   K8SHA_KCM_PORT / K8SHA_SCHEDULER_PORT  their secure ports                     (10257 / 10259)
#   K8SHA_CERT_STOP_WAIT_SECONDS / K8SHA_CERT_START_WAIT_SECONDS  per component     (120 / 300)
#   KUBEADM, K8SHA_CRICTL, K8SHA_CURL  binaries                      (kubeadm, crictl, curl)

CERT_RENEWAL_UNIT="${CERT_RENEWAL_UNIT:-k8sha-cert-renewal}"
CERT_RENEWAL_LOCK=k8sha/cert-renewal
# 30 days: a month of daily retries before anything expires, time for an operator to act on a
# failed unit. A bash default, not a config key: nothing about a cluster changes it.
CERT_RENEW_DAYS_DEFAULT=30
# Restarted one at a time, in the order kubeadm's certificate-management guide names them.
CERT_RENEWAL_PODS=(kube-apiserver kube-controller-manager kube-scheduler etcd)
# External etcd (ETCD_TOPOLOGY=external): the master runs no etcd pod to restart.
if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
  CERT_RENEWAL_PODS=(kube-apiserver kube-controller-manager kube-scheduler)
fi

cert_manifest_dir() { printf '%s\n' "${K8SHA_MANIFEST_DIR:-$(cert_kubeconfig_dir)/manifests}"; }
cert_park_dir() { printf '%s\n' "${K8SHA_CERT_PARK_DIR:-$(cert_kubeconfig_dir)/k8sha-parked}"; }
# Written before kubeadm renews, removed once every pod restarted: a run cut off in between
# leaves it, and the next run restarts the pods although the certificates are fresh.
cert_pending_file() { printf '%s\n' "$K8SHA_STATE_DIR/cert-renewal-restart-pending"; }

# cert_all_outlive DAYS : true when every kubeadm certificate is valid for more than DAYS days;
# logs each one that is not.
cert_all_outlive() {
  local src rc=0
  while read -r src; do
    if ! cert_pem "$src" | openssl x509 -noout -checkend $(($1 * 86400)) >/dev/null; then
      log "$src still expires within $1 days"
      rc=1
    fi
  done < <(cert_sources)
  return "$rc"
}

# cert_renew THRESHOLD_DAYS : `kubeadm certs renew all`, then check that it renewed: with a CA's
# key missing kubeadm treats that CA as external, prints "Detected external CA ... can't be
# renewed" and still exits 0.
cert_renew() {
  log "running kubeadm certs renew all"
  if ! K8SHA_RETRY_MAX=3 retry "${KUBEADM:-kubeadm}" certs renew all >&2; then
    log "kubeadm certs renew all failed"
    return 1
  fi
  if ! cert_all_outlive "$1"; then
    log "kubeadm certs renew all left certificates unrenewed (a CA key missing from $(cert_pki_dir)?)"
    return 1
  fi
  log "every kubeadm certificate renewed"
}

# _cert_http_ok CURL_ARGS... : an HTTPS GET answered with 200.
_cert_http_ok() {
  local code
  code="$("${K8SHA_CURL:-curl}" -s -o /dev/null -w '%{http_code}' --max-time 5 "$@")" || true
  [[ "$code" == 200 ]]
}

# cert_component_healthy NAME : the local component answers its health check. The API server's
# certificate names "kubernetes" (always among kubeadm's SANs), not 127.0.0.1, hence --resolve
# with the cluster CA. The controller-manager and scheduler serve a self-signed certificate they
# make in memory (kubeadm gives them none), so there is no CA to check those against.
cert_component_healthy() {
  local host="${K8SHA_CERT_HEALTH_HOST:-127.0.0.1}" port="${API_PORT:-6443}"
  case "$1" in
    kube-apiserver)
      _cert_http_ok --cacert "$(cert_pki_dir)/ca.crt" --resolve "kubernetes:$port:$host" "https://kubernetes:$port/readyz" ;;
    kube-controller-manager) _cert_http_ok -k "https://$host:${K8SHA_KCM_PORT:-10257}/healthz" ;;
    kube-scheduler) _cert_http_ok -k "https://$host:${K8SHA_SCHEDULER_PORT:-10259}/healthz" ;;
    etcd) etcdctl_at "${K8SHA_ETCD_ENDPOINT:?K8SHA_ETCD_ENDPOINT must be set}" endpoint health >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# _cert_pod_stopped NAME : the runtime has no Ready sandbox of the static pod NAME-<node> left,
# i.e. the kubelet has finished killing it. A crictl failure counts as "not yet".
_cert_pod_stopped() {
  local out
  out="$("${K8SHA_CRICTL:-crictl}" --runtime-endpoint "${CRI_SOCKET:?CRI_SOCKET must be set}" pods \
    --namespace kube-system --name "^$1-" --state ready --quiet)" || return 1
  [[ -z "$out" ]]
}

# cert_restore_parked : put every parked manifest back (a failure, or a run that was cut off).
# One that is back already is left parked for an operator unless the two are identical.
cert_restore_parked() {
  local park manifests f name rc=0
  park="$(cert_park_dir)" manifests="$(cert_manifest_dir)"
  for f in "$park"/*.yaml; do
    [[ -e "$f" ]] || continue
    name="${f##*/}"
    if [[ ! -e "$manifests/$name" ]]; then
      log "putting $name back into $manifests"
      mv "$f" "$manifests/$name" || rc=1
    elif cmp -s "$f" "$manifests/$name"; then
      rm -f "$f"
    else
      log "WARNING: $name is in $manifests and, different, in $park; left there for an operator"
      rc=1
    fi
  done
  return "$rc"
}

# cert_restart_pod NAME : restart one static pod: park its manifest, wait for the kubelet to stop
# it, put the manifest back, wait until the component is healthy. The kubelet notices a removed
# manifest at once (inotify), at the latest at its next re-list of the directory
# (fileCheckFrequency, 20 s), then gives the pod its grace period (30 s: kubeadm sets none):
# 120 s covers both twice. Moving the manifest back before the old pod is gone could leave it
# stopped, hence the wait on the runtime rather than a fixed sleep.
cert_restart_pod() {
  local name="$1" manifests park
  manifests="$(cert_manifest_dir)" park="$(cert_park_dir)"
  [[ -f "$manifests/$name.yaml" ]] || { log "no static pod manifest $manifests/$name.yaml"; return 1; }
  mkdir -p "$park" || return 1
  log "restarting $name: moving its manifest to $park"
  mv "$manifests/$name.yaml" "$park/$name.yaml" || return 1
  if ! wait_until "${K8SHA_CERT_STOP_WAIT_SECONDS:-120}" "the kubelet to stop $name" _cert_pod_stopped "$name"; then
    log "the kubelet did not stop $name; putting its manifest back"
    cert_restore_parked
    return 1
  fi
  log "$name stopped; putting its manifest back"
  mv "$park/$name.yaml" "$manifests/$name.yaml" || return 1
  if ! wait_until "${K8SHA_CERT_START_WAIT_SECONDS:-300}" "$name to be healthy" cert_component_healthy "$name"; then
    log "$name did not become healthy again"
    return 1
  fi
  log "$name is healthy again"
}

# cert_restart_static_pods : every control-plane pod in turn, each healthy before the next. etcd
# goes only when every member answers: restarting it beside a dead one would cost the quorum.
cert_restart_static_pods() {
  local pod
  for pod in "${CERT_RENEWAL_PODS[@]}"; do
    if [[ "$pod" == etcd ]] && ! etcdctl_at "$K8SHA_CERT_LOCK_ENDPOINTS" endpoint health >&2; then
      log "not every etcd member is healthy; etcd not restarted"
      return 1
    fi
    cert_restart_pod "$pod" || { log "restart of $pod FAILED"; return 1; }
  done
  rm -f "$(cert_pending_file)"
  log "every control-plane pod runs with the renewed certificates"
}

# cert_etcd_client_refresh : external etcd only. When SSM holds another apiserver-etcd-client
# certificate than this master's (re-issued by `pulumi up`), write the new pair, key first, and
# mark the control plane for a restart: the API server reads the pair only when it starts.
# Needs ssm.sh (ssm_get_param) and SSM_PREFIX.
cert_etcd_client_refresh() {
  [[ "${ETCD_TOPOLOGY:-stacked}" == external ]] || return 0
  local pki cert key name="${SSM_PREFIX:?SSM_PREFIX must be set}/pki/apiserver-etcd-client"
  pki="$(cert_pki_dir)"
  cert="$(ssm_get_param "$name.crt")" || return 1
  if [[ -f "$pki/apiserver-etcd-client.crt" && "$cert" == "$(<"$pki/apiserver-etcd-client.crt")" ]]; then
    log "the API server's etcd client certificate is the one in SSM"
    return 0
  fi
  key="$(ssm_get_param "$name.key")" || return 1
  grep -q -- '-----BEGIN' <<<"$cert$key" || { log "$name.{crt,key} are not PEM"; return 1; }
  log "SSM holds a new etcd client certificate for the API server: writing it"
  mkdir -p "$K8SHA_STATE_DIR" && : >"$(cert_pending_file)" || return 1
  (umask 077 && printf '%s\n' "$key" >"$pki/apiserver-etcd-client.key.new") &&
    mv -f "$pki/apiserver-etcd-client.key.new" "$pki/apiserver-etcd-client.key" &&
    printf '%s\n' "$cert" >"$pki/apiserver-etcd-client.crt.new" &&
    mv -f "$pki/apiserver-etcd-client.crt.new" "$pki/apiserver-etcd-client.crt"
}

# cert_renewal_once : one scheduled run; the unit's exit status is the outcome. Renewing only
# writes files (the API server and etcd reload their serving certificates by themselves), so it
# runs before the lock, which also lets the lock use the renewed etcd client certificate; the
# restarts run under the cluster-wide lock: no two masters restart their control plane at once.
cert_renewal_once() {
  export K8SHA_CURRENT_STEP=cert-renewal
  local threshold="${K8SHA_CERT_RENEW_DAYS:-$CERT_RENEW_DAYS_DEFAULT}" out days file pki rc=0
  pki="$(cert_pki_dir)"
  local client="$pki/etcd/healthcheck-client"
  # External etcd: the lock lives on the etcd nodes, reached with the API server's client pair.
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then client="$pki/apiserver-etcd-client"; fi
  local ETCDCTL_CACERT="${ETCDCTL_CACERT:-$pki/etcd/ca.crt}"
  local ETCDCTL_CERT="${ETCDCTL_CERT:-$client.crt}"
  local ETCDCTL_KEY="${ETCDCTL_KEY:-$client.key}"
  [[ "$threshold" =~ ^[0-9]+$ ]] || { log "K8SHA_CERT_RENEW_DAYS must be a number of days: $threshold"; return 1; }
  [[ -n "${K8SHA_CERT_LOCK_ENDPOINTS:-}" ]] || { log "K8SHA_CERT_LOCK_ENDPOINTS must be set"; return 1; }
  cert_restore_parked || { log "certificate renewal FAILED: a parked manifest could not be put back"; return 1; }
  cert_etcd_client_refresh || { log "certificate renewal FAILED: cannot compare the etcd client certificate with SSM"; return 1; }
  out="$(cert_days_left)" || { log "certificate renewal FAILED: cannot read the certificates"; return 1; }
  days="${out%% *}" file="${out#* }"
  if ((days > threshold)) && [[ ! -f "$(cert_pending_file)" ]]; then
    log "$file has $days days left, more than $threshold: nothing to renew"
    return 0
  fi
  if ((days <= threshold)); then
    log "$file has $days days left (renewing at $threshold or fewer)"
    if ! { mkdir -p "$K8SHA_STATE_DIR" && : >"$(cert_pending_file)"; }; then return 1; fi
    cert_renew "$threshold" || { log "certificate renewal FAILED; no pod restarted"; return 1; }
  else
    log "an earlier run renewed the certificates but did not finish restarting the pods"
  fi
  log "taking the etcd lock $CERT_RENEWAL_LOCK to restart the control plane"
  etcd_lock_run "$K8SHA_CERT_LOCK_ENDPOINTS" "$CERT_RENEWAL_LOCK" cert_restart_static_pods || rc=$?
  # A `die` inside the locked command ends only its subshell: nothing may stay parked.
  cert_restore_parked || rc=1
  if ((rc != 0)); then
    log "certificate renewal FAILED while restarting the control plane (see above); the next run retries"
    return 1
  fi
  log "certificates renewed and control plane restarted"
}
