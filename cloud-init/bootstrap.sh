#!/usr/bin/env bash
# k8sha bootstrap: the only script shipped inside user-data. It installs the AWS CLI when the AMI
# has none, downloads this node's boot bundle from S3, refuses it unless its sha256 equals the one
# in node.env, extracts it and execs the role's entry script (/opt/k8sha/bin/<role>-boot.sh).
# A reboot with the bundle already extracted (same sha256) skips the download. See docs/boot.md.
#
# It runs before cloud-init/lib/common.sh exists on the node, so it carries its own minimal
# log/die/retry (same format, same K8SHA_RETRY_* knobs). This is the one deliberate exception
# to "use the shared helpers"; keep it this small.
#
# Environment (defaults suit a real node; tests point them at temp dirs and s3rver):
#   K8SHA_NODE_ENV          node settings incl. BOOT_BUNDLE_*      (/etc/k8sha/node.env)
#   K8SHA_HOME              where the bundle is extracted          (/opt/k8sha)
#   K8SHA_STATE_DIR         failure marker, as common.sh           (/var/lib/k8sha)
#   AWS                     the AWS CLI                            (aws)
#   AWS_ENDPOINT_URL        passed as --endpoint-url (CLI < 2.13 ignores the variable itself)
#   K8SHA_AWS_CLI_INSTALL   command that installs the CLI          (snap, see below)
#   K8SHA_AWS_CLI_INSTALL_TIMEOUT  seconds per install attempt     (600)
#   K8SHA_BOOT_ENTRY        what to exec after extraction          ($K8SHA_HOME/bin/$K8SHA_ROLE-boot.sh)
#   IMDS_ENDPOINT           instance metadata, for the failure tag (http://169.254.169.254)
set -euo pipefail

K8SHA_NODE_ENV="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}"
set -a
# shellcheck source=/dev/null
. "$K8SHA_NODE_ENV"
set +a
K8SHA_HOME="${K8SHA_HOME:-/opt/k8sha}"
K8SHA_STATE_DIR="${K8SHA_STATE_DIR:-/var/lib/k8sha}"
# Ubuntu server AMIs ship snapd; 24.04 has no awscli deb. Seeding must finish before installs.
K8SHA_AWS_CLI_INSTALL="${K8SHA_AWS_CLI_INSTALL:-snap wait system seed.loaded && snap install aws-cli --classic}"
# snapd's systemd environment generator normally adds /snap/bin; do not depend on it.
case ":$PATH:" in *:/snap/bin:*) ;; *) export PATH="$PATH:/snap/bin" ;; esac
export K8SHA_LIB_DIR="$K8SHA_HOME/lib"

log() { printf '%s k8sha[bootstrap]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# die MESSAGE : log, leave the failure marker and the instance tag report.sh would, exit 1.
die() {
  log "FATAL: $*"
  mkdir -p "$K8SHA_STATE_DIR"
  printf 'step=bootstrap exit=1 at=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$K8SHA_STATE_DIR/boot-failed"
  tag_boot_failed || true
  exit 1
}

# tag_boot_failed : the boot-status tag (TAG_BOOT_STATUS, node.env) = failed:bootstrap on this
# instance, so the failure is visible outside the node. Best effort and bounded: 2 tries, IMDSv2
# reads cut at 2 s, one CLI attempt with 5 s connect / 10 s read timeouts. Skipped when there is
# no CLI or no tag key.
tag_boot_failed() {
  local imds="${IMDS_ENDPOINT:-http://169.254.169.254}" tag="${TAG_BOOT_STATUS:-}" try token id
  command -v "${AWS:-aws}" >/dev/null 2>&1 || return 0
  [[ -n "$tag" ]] || { log "cannot tag the boot failure: no TAG_BOOT_STATUS in node.env"; return 0; }
  for try in 1 2; do
    if token="$(curl -sSf --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
      "$imds/latest/api/token")" &&
      id="$(curl -sSf --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id")" &&
      AWS_MAX_ATTEMPTS=1 aws_cli --cli-connect-timeout 5 --cli-read-timeout 10 ec2 create-tags \
        --resources "$id" --tags "Key=$tag,Value=failed:bootstrap" >/dev/null; then
      log "tagged $id $tag=failed:bootstrap"
      return 0
    fi
    log "could not tag the boot failure (try $try/2, best effort)"
  done
}

# retry COMMAND... : bounded attempts with capped exponential back-off, like common.sh's retry.
retry() {
  local max="${K8SHA_RETRY_MAX:-8}" delay="${K8SHA_RETRY_BASE:-2}" attempt=1
  until "$@"; do
    ((attempt < max)) || return 1
    log "attempt $attempt/$max failed: $1; retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > ${K8SHA_RETRY_CAP:-30} ? ${K8SHA_RETRY_CAP:-30} : delay * 2))
  done
}

aws_cli() {
  local endpoint=()
  if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
  "${AWS:-aws}" "${endpoint[@]}" "$@"
}

ensure_aws_cli() {
  if command -v "${AWS:-aws}" >/dev/null 2>&1; then return 0; fi
  log "no AWS CLI; installing it: $K8SHA_AWS_CLI_INSTALL"
  # `snap wait` has no timeout of its own: a stuck seeding would hang the boot forever.
  retry timeout "${K8SHA_AWS_CLI_INSTALL_TIMEOUT:-600}" bash -c "$K8SHA_AWS_CLI_INSTALL" ||
    die "cannot install the AWS CLI"
  hash -r
  command -v "${AWS:-aws}" >/dev/null 2>&1 || die "AWS CLI still missing after: $K8SHA_AWS_CLI_INSTALL"
}

# fetch_bundle FILE : download, then verify; a mismatching bundle is deleted, never run.
fetch_bundle() {
  local file="$1" actual
  log "downloading s3://$BOOT_BUNDLE_BUCKET/$BOOT_BUNDLE_KEY"
  retry aws_cli s3api get-object --bucket "$BOOT_BUNDLE_BUCKET" --key "$BOOT_BUNDLE_KEY" "$file.download" \
    >/dev/null || die "cannot download s3://$BOOT_BUNDLE_BUCKET/$BOOT_BUNDLE_KEY"
  actual="$(sha256sum "$file.download")"
  actual="${actual%% *}"
  if [[ "$actual" != "$BOOT_BUNDLE_SHA256" ]]; then
    rm -f "$file.download"
    die "boot bundle sha256 mismatch: got $actual, expected $BOOT_BUNDLE_SHA256; refusing to run it"
  fi
  mv -f "$file.download" "$file"
  log "sha256 verified: $actual"
}

# Any other failure (a command that errors, or is missing) still leaves the marker and the tag.
on_bootstrap_exit() {
  local rc=$?
  if ((rc != 0)) && [[ ! -f "$K8SHA_STATE_DIR/boot-failed" ]]; then die "unexpected failure (exit $rc)"; fi
}
trap on_bootstrap_exit EXIT
: "${BOOT_BUNDLE_BUCKET:?missing in node.env}" "${BOOT_BUNDLE_KEY:?missing in node.env}"
: "${BOOT_BUNDLE_SHA256:?missing in node.env}" "${K8SHA_ROLE:?missing in node.env}"
marker="$K8SHA_HOME/bundle.sha256"
entry="${K8SHA_BOOT_ENTRY:-$K8SHA_HOME/bin/$K8SHA_ROLE-boot.sh}"
mkdir -p "$K8SHA_HOME"
ensure_aws_cli
if [[ -f "$marker" && "$(<"$marker")" == "$BOOT_BUNDLE_SHA256" && -x "$entry" ]]; then
  log "bundle $BOOT_BUNDLE_SHA256 already extracted on an earlier boot; skipping the download"
else
  rm -f "$marker"
  fetch_bundle "$K8SHA_HOME/bundle.sh"
  bash "$K8SHA_HOME/bundle.sh" "$K8SHA_HOME" || die "cannot extract the boot bundle"
  printf '%s\n' "$BOOT_BUNDLE_SHA256" >"$marker"
  log "bundle extracted into $K8SHA_HOME"
fi
log "starting $entry"
exec "$entry"
