# shellcheck shell=bash
# SSM Parameter Store: the cluster PKI (masters) and join secrets (workers) are fetched here at
# boot; user-data never holds them. Sourced after common.sh.
#
# Names (base/ssmPaths.ts; components/clusterSecrets.ts writes them): ${SSM_PREFIX}/pki/<file>,
# ${SSM_PREFIX}/join/{token,discovery-hash,ca.crt}; the initialised marker is node.env's INIT_MARKER.
#
# Environment (optional; tests use a fake aws and temp dirs):
#   AWS       AWS CLI binary                  (aws)
#   PKI_DIR   kubeadm certificate dir         (/etc/kubernetes/pki)
#   K8SHA_OPENSSL  openssl binary             (openssl)

# ssm_get_param NAME : decrypted value on stdout, retried.
ssm_get_param() {
  local value
  value="$(retry "${AWS:-aws}" ssm get-parameter --name "$1" --with-decryption \
    --query Parameter.Value --output text)" || { log "cannot read SSM parameter $1"; return 1; }
  [[ -n "$value" && "$value" != "None" ]] || { log "SSM parameter $1 is empty"; return 1; }
  printf '%s\n' "$value"
}

# write_secret_file NAME DEST MODE : SSM parameter NAME into DEST (atomic rename, MODE perms).
write_secret_file() {
  local name="$1" dest="$2" mode="$3" tmp
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp "$dest.XXXXXX")"
  chmod 0600 "$tmp"
  if ! ssm_get_param "$name" >"$tmp"; then
    rm -f "$tmp"
    return 1
  fi
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

# <parameter file>:<path under PKI_DIR>:<mode> of every PKI file a master needs.
PKI_FILES=(ca.crt:ca.crt:0644 ca.key:ca.key:0600
  etcd-ca.crt:etcd/ca.crt:0644 etcd-ca.key:etcd/ca.key:0600
  front-proxy-ca.crt:front-proxy-ca.crt:0644 front-proxy-ca.key:front-proxy-ca.key:0600
  sa.key:sa.key:0600 sa.pub:sa.pub:0644)
# The same for a master of the external etcd topology (ETCD_TOPOLOGY=external), only an etcd
# client: the etcd CA's certificate to verify the members and the API server's client pair, never
# the etcd CA key (its IAM policy denies that parameter). kubeadm skips every etcd-CA certificate
# with external etcd (its certs phase: "External etcd mode"), so the pair must be on disk before
# it runs. 9 of SSM's 10 names per GetParameters call.
PKI_FILES_EXTERNAL_ETCD=(ca.crt:ca.crt:0644 ca.key:ca.key:0600 etcd-ca.crt:etcd/ca.crt:0644
  apiserver-etcd-client.crt:apiserver-etcd-client.crt:0644
  apiserver-etcd-client.key:apiserver-etcd-client.key:0600
  front-proxy-ca.crt:front-proxy-ca.crt:0644 front-proxy-ca.key:front-proxy-ca.key:0600
  sa.key:sa.key:0600 sa.pub:sa.pub:0644)

# Writes each requested parameter of a GetParameters JSON answer (stdin) to its file, atomically
# and with its mode; exits 3 naming the parameters SSM did not return. python3 is on every
# cloud-init image (cloud-init is written in it); bash alone cannot parse JSON safely.
SSM_WRITE_PARAMETERS_PY='
import json, os, sys, tempfile
answer = json.load(sys.stdin)
values = {p["Name"]: p["Value"] for p in answer.get("Parameters", [])}
missing = [n for n in sys.argv[2::3] if n not in values] + answer.get("InvalidParameters", [])
if missing:
    print("not in SSM: " + " ".join(sorted(set(missing))), file=sys.stderr)
    sys.exit(3)
for name, dest, mode in zip(sys.argv[2::3], sys.argv[3::3], sys.argv[4::3]):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest))
    with os.fdopen(fd, "w") as f:
        f.write(values[name] + "\n")
    os.chmod(tmp, int(mode, 8))
    os.replace(tmp, dest)
'

# fetch_pki : the shared CAs and the service-account key pair into PKI_DIR (keys 0600), in ONE
# GetParameters call (SSM takes up to 10 names), retried. kubeadm makes every per-node
# certificate from these CAs.
fetch_pki() {
  local dir="${PKI_DIR:-/etc/kubernetes/pki}" prefix="${SSM_PREFIX:?}/pki" entry param file mode json
  local -a names=() targets=() files=("${PKI_FILES[@]}")
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then files=("${PKI_FILES_EXTERNAL_ETCD[@]}"); fi
  for entry in "${files[@]}"; do
    IFS=: read -r param file mode <<<"$entry"
    names+=("$prefix/$param")
    targets+=("$prefix/$param" "$dir/$file" "$mode")
  done
  json="$(retry "${AWS:-aws}" ssm get-parameters --names "${names[@]}" --with-decryption --output json)" ||
    die "cannot read $prefix/* from SSM"
  "${K8SHA_PYTHON:-python3}" -c "$SSM_WRITE_PARAMETERS_PY" - "${targets[@]}" <<<"$json" ||
    die "cannot write the cluster PKI from $prefix/*"
  for entry in "${files[@]}"; do
    IFS=: read -r param file mode <<<"$entry"
    grep -q -- '-----BEGIN' "$dir/$file" || die "$prefix/$param is not PEM"
  done
  log "cluster CAs and service-account keys written to $dir"
}

# ca_discovery_hash CA_CERT : kubeadm's `sha256:<hex>` of the CA's SubjectPublicKeyInfo.
ca_discovery_hash() {
  local ssl="${K8SHA_OPENSSL:-openssl}" hex
  hex="$("$ssl" x509 -in "$1" -noout -pubkey | "$ssl" pkey -pubin -outform DER | sha256sum)" || return 1
  printf 'sha256:%s\n' "${hex%% *}"
}

# fetch_join_secrets DIR : DIR/token, DIR/discovery-hash, DIR/ca.crt (0600). The hash is checked
# against the CA so a wrong or truncated parameter fails here, not deep inside kubeadm.
fetch_join_secrets() {
  local dir="$1" prefix="${SSM_PREFIX:?}/join" token hash
  write_secret_file "$prefix/token" "$dir/token" 0600 || die "cannot fetch the bootstrap token"
  write_secret_file "$prefix/discovery-hash" "$dir/discovery-hash" 0600 || die "cannot fetch the discovery hash"
  write_secret_file "$prefix/ca.crt" "$dir/ca.crt" 0644 || die "cannot fetch the cluster CA"
  token="$(<"$dir/token")"
  hash="$(<"$dir/discovery-hash")"
  [[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "bootstrap token in SSM is malformed"
  [[ "$hash" =~ ^sha256:[0-9a-f]{64}$ ]] || die "discovery hash in SSM is malformed"
  [[ "$(ca_discovery_hash "$dir/ca.crt")" == "$hash" ]] || die "discovery hash does not match the CA in SSM"
  log "join secrets written to $dir"
}

# ssm_put_once_attempt NAME VALUE : 0 created, 3 already exists, other = error (retryable).
ssm_put_once_attempt() {
  local err
  if err="$("${AWS:-aws}" ssm put-parameter --name "$1" --value "$2" --type String 2>&1 >/dev/null)"; then
    return 0
  fi
  if [[ "$err" == *ParameterAlreadyExists* ]]; then return 3; fi
  log "put-parameter $1 failed: $err"
  return 1
}

# ssm_put_once NAME VALUE : write-once (no --overwrite); "already exists" is reported, not retried.
ssm_put_once() {
  local attempt=1 rc max="${K8SHA_RETRY_MAX:-8}"
  while true; do
    rc=0
    ssm_put_once_attempt "$1" "$2" || rc=$?
    if ((rc == 0 || rc == 3)); then return "$rc"; fi
    ((attempt >= max)) && return "$rc"
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
}
