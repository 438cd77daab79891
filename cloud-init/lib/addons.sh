# shellcheck shell=bash
# The AWS add-ons' applier, run by k8sha-addons.service every minute on every master
# (addons-timer.sh) and once by the init master right after the pod network; only the leader
# acts (leader.sh: the etcd leader, or with external etcd the controller manager's; one call,
# no lease). The SSM parameter ADDONS_PARAMETER (base/ssmPaths.ts addonsParameterName) names the
# manifest as JSON (base/addons.ts AddonManifestPointer: bucket, key, sha256, enabled, disabled),
# written by `pulumi up` after the last master's roll. One run:
#   - no parameter yet (a new cluster before `pulumi up` wrote it): log, nothing to do, success;
#   - the ConfigMap kube-system/k8sha-addons records this sha256, applied less than an hour ago:
#     nothing to do (every hour the same manifest is applied again, undoing hand edits);
#   - else download the object, refuse it unless its sha256 is the pointer's, server-side apply
#     it under one field manager (taking fields over from whoever changed them), delete the
#     objects of every disabled add-on by their ADDON_LABEL, then record sha256 and time.
# Every AWS and kubectl call is retried (bounded, common.sh retry); a failed run returns non-zero
# (the unit shows failed) and the next tick starts again. During a leader change two masters may
# act at once for a moment: harmless, every step is idempotent.
# Sourced after common.sh, etcd-tools.sh and etcd-backup.sh and leader.sh (control_plane_leader). Entry: addons_apply_once.
#
# Environment (the timer's env file sets these, from node.env; required unless a default is shown):
#   ADDONS_PARAMETER        the pointer's SSM parameter name
#   ADDON_NAMESPACE         where add-on objects live (kube-system)
#   ADDON_LABEL             the label whose value names an object's add-on (base/addons.ts)
#   K8SHA_ETCD_ENDPOINT     the local etcd member's client URL (leader check)
#   AWS_DEFAULT_REGION      region of the parameter and the bucket
# Optional: K8SHA_AWS (aws), K8SHA_KUBECTL (kubectl), K8SHA_ADMIN_KUBECONFIG
#   (/etc/kubernetes/admin.conf), K8SHA_PYTHON (python3), AWS_ENDPOINT_URL (passed as
#   --endpoint-url to the S3 download; tests: s3rver), K8SHA_ADDONS_WORK_DIR (/var/tmp/k8sha-addons),
#   K8SHA_ADDONS_NOW (epoch seconds used as "now"), K8SHA_ETCD_MANIFEST (etcd-tools.sh)

ADDONS_RECORD_CONFIGMAP="k8sha-addons"
ADDONS_FIELD_MANAGER="k8sha-addons"
# The same manifest is applied again after this long (drift repair).
ADDONS_REAPPLY_SECONDS=3600
# Every kind an add-on manifest holds (addons/k8sTypes.ts K8sObject), as kubectl resources with
# their API group, so a CRD of the same short name cannot be meant: a disabled add-on's objects are
# deleted across these. test/cloud-init/addons-apply.test.ts checks it covers every kind rendered.
ADDON_RESOURCE_TYPES=(
  deployments.apps
  daemonsets.apps
  serviceaccounts
  clusterroles.rbac.authorization.k8s.io
  clusterrolebindings.rbac.authorization.k8s.io
  roles.rbac.authorization.k8s.io
  rolebindings.rbac.authorization.k8s.io
  poddisruptionbudgets.policy
  storageclasses.storage.k8s.io
  csidrivers.storage.k8s.io
)

# addons_kubectl ARGS... : one bounded kubectl call against the admin kubeconfig (callers retry).
# 60 s: a server-side apply of every add-on object takes longer than a single read.
addons_kubectl() {
  "${K8SHA_KUBECTL:-kubectl}" --kubeconfig "${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}" \
    --request-timeout=60s "$@"
}

# addons_aws ARGS... : one AWS CLI call (callers retry).
addons_aws() { "${K8SHA_AWS:-aws}" "$@"; }

# addons_pointer_attempt : the pointer's JSON on stdout; 3 when the parameter does not exist.
addons_pointer_attempt() {
  local err out rc=0
  out="$(mktemp)"
  err="$(addons_aws ssm get-parameter --name "$ADDONS_PARAMETER" --query Parameter.Value \
    --output text 2>&1 >"$out")" || rc=$?
  if ((rc == 0)); then
    cat "$out"
    rm -f "$out"
    return 0
  fi
  rm -f "$out"
  if [[ "$err" == *ParameterNotFound* ]]; then return 3; fi
  log "get-parameter $ADDONS_PARAMETER failed: $err"
  return 1
}

# addons_pointer : addons_pointer_attempt with bounded retries; "not found" is final at once.
addons_pointer() {
  local attempt=1 rc max="${K8SHA_RETRY_MAX:-8}"
  while true; do
    rc=0
    addons_pointer_attempt || rc=$?
    if ((rc == 0 || rc == 3)); then return "$rc"; fi
    if ((attempt >= max)); then
      log "giving up on $ADDONS_PARAMETER after $attempt attempts"
      return "$rc"
    fi
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
}

# The pointer's fields, one a line: bucket, key, sha256, the disabled add-ons (space-separated).
# Exit 3 when it is no pointer this applier can trust (bash cannot parse JSON safely; python3 is
# on every cloud-init image). Names become a label value and S3 arguments, so they are checked.
ADDONS_POINTER_PY='
import json, re, sys
try:
    p = json.load(sys.stdin)
    bucket, key, sha, disabled = p["bucket"], p["key"], p["sha256"], p.get("disabled", [])
    assert isinstance(bucket, str) and re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket)
    assert isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9._/-]{1,1024}", key)
    assert isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)
    assert isinstance(disabled, list)
    assert all(isinstance(d, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,62}", d) for d in disabled)
except (ValueError, KeyError, TypeError, AssertionError) as e:
    print("not an add-on manifest pointer: %r" % (e,), file=sys.stderr)
    sys.exit(3)
print(bucket)
print(key)
print(sha)
print(" ".join(disabled))
'

# addons_recorded_attempt : "SHA256 APPLIED_AT" of the last apply (empty: never recorded).
addons_recorded_attempt() {
  local err out rc=0
  out="$(mktemp)"
  err="$(addons_kubectl -n "$ADDON_NAMESPACE" get configmap "$ADDONS_RECORD_CONFIGMAP" \
    -o 'jsonpath={.data.sha256} {.data.appliedAt}' 2>&1 >"$out")" || rc=$?
  if ((rc == 0)); then cat "$out"; fi
  rm -f "$out"
  if ((rc == 0)) || [[ "$err" == *"(NotFound)"* ]]; then return 0; fi
  log "cannot read $ADDON_NAMESPACE/$ADDONS_RECORD_CONFIGMAP: $err"
  return 1
}

# addons_is_current SHA256 NOW : 0 when the record names SHA256, applied less than
# ADDONS_REAPPLY_SECONDS before NOW; 1 when it must be applied; 2 when the record is unreadable.
addons_is_current() {
  local record recorded at applied
  record="$(retry addons_recorded_attempt)" || return 2
  read -r recorded at <<<"$record"
  [[ "$recorded" == "$1" && -n "$at" ]] || return 1
  applied="$(date -u -d "$at" +%s 2>/dev/null)" || return 1
  (($2 - applied < ADDONS_REAPPLY_SECONDS && $2 >= applied))
}

# addons_record SHA256 KEY NOW : the ConfigMap that says what was applied when (no add-on label:
# it belongs to no add-on, so no deletion selects it).
addons_record() {
  local file="$1/record.json" at
  at="$(date -u -d "@$4" +%Y-%m-%dT%H:%M:%SZ)" || return 1
  printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "%s", "namespace": "%s"}, "data": {"sha256": "%s", "key": "%s", "appliedAt": "%s"}}\n' \
    "$ADDONS_RECORD_CONFIGMAP" "$ADDON_NAMESPACE" "$2" "$3" "$at" >"$file"
  retry addons_kubectl apply --server-side --field-manager="$ADDONS_FIELD_MANAGER" --force-conflicts \
    -f "$file" >&2
}

# addons_delete_disabled NAMES : every object labelled with a disabled add-on's name, gone.
addons_delete_disabled() {
  local name types
  types="$(IFS=,; printf '%s' "${ADDON_RESOURCE_TYPES[*]}")"
  for name in $1; do
    log "deleting the objects of disabled add-on $name ($ADDON_LABEL=$name)"
    retry addons_kubectl -n "$ADDON_NAMESPACE" delete "$types" -l "$ADDON_LABEL=$name" \
      --ignore-not-found >&2 || return 1
  done
}

# addons_apply_pointer JSON WORK : download, verify, apply, delete the disabled, record.
addons_apply_pointer() {
  local work="$2" fields bucket key sha disabled actual now
  fields="$("${K8SHA_PYTHON:-python3}" -c "$ADDONS_POINTER_PY" <<<"$1")" || {
    log "REFUSING the value of $ADDONS_PARAMETER: not an add-on manifest pointer"
    return 1
  }
  # The last line (disabled add-ons) may be empty: its read meets the end of the input.
  { read -r bucket; read -r key; read -r sha; read -r disabled || true; } <<<"$fields"
  now="${K8SHA_ADDONS_NOW:-$(date +%s)}"
  local rc=0
  addons_is_current "$sha" "$now" || rc=$?
  case "$rc" in
    0)
      log "manifest $sha was applied less than $((ADDONS_REAPPLY_SECONDS / 60)) min ago; nothing to do"
      return 0
      ;;
    2) return 1 ;;
  esac
  local endpoint=()
  if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
  log "downloading s3://$bucket/$key"
  retry addons_aws "${endpoint[@]}" s3api get-object --bucket "$bucket" --key "$key" \
    "$work/manifest.yaml" >/dev/null || {
    log "cannot download s3://$bucket/$key"
    return 1
  }
  actual="$(sha256sum "$work/manifest.yaml")" || return 1
  actual="${actual%% *}"
  if [[ "$actual" != "$sha" ]]; then
    log "REFUSING s3://$bucket/$key: its sha256 is $actual, the pointer says $sha; nothing applied"
    return 1
  fi
  if ! grep -q '[^[:space:]]' "$work/manifest.yaml"; then
    # Every add-on switched off: kubectl refuses an apply of no objects; only deletions remain.
    log "sha256 verified; the manifest holds no objects (every add-on is off)"
  else
    log "sha256 verified; applying the add-on manifest (server-side, field manager $ADDONS_FIELD_MANAGER)"
    retry addons_kubectl apply --server-side --field-manager="$ADDONS_FIELD_MANAGER" --force-conflicts \
      -f "$work/manifest.yaml" >&2 || {
      log "the add-on manifest was not applied"
      return 1
    }
  fi
  addons_delete_disabled "$disabled" || return 1
  addons_record "$work" "$sha" "$key" "$now" || {
    log "applied, but cannot record it in $ADDON_NAMESPACE/$ADDONS_RECORD_CONFIGMAP"
    return 1
  }
  log "add-on manifest $sha applied and recorded"
}

# addons_apply_once : one scheduled run (see the top of this file). Non-zero on any failure.
addons_apply_once() {
  export K8SHA_CURRENT_STEP=addons
  local rc=0 pointer base work
  : "${ADDONS_PARAMETER:?ADDONS_PARAMETER must be set}" "${ADDON_NAMESPACE:?ADDON_NAMESPACE must be set}"
  : "${ADDON_LABEL:?ADDON_LABEL must be set}"
  control_plane_leader || rc=$?
  case "$rc" in
    0) ;;
    1)
      log "this master is not the $(control_plane_leader_kind); the leader applies the add-ons"
      return 0
      ;;
    *)
      log "cannot tell whether this master is the $(control_plane_leader_kind); not applying"
      return 1
      ;;
  esac
  rc=0
  pointer="$(addons_pointer)" || rc=$?
  case "$rc" in
    0) ;;
    3)
      log "$ADDONS_PARAMETER does not exist yet (written by pulumi up); nothing to apply"
      return 0
      ;;
    *) return 1 ;;
  esac
  base="${K8SHA_ADDONS_WORK_DIR:-/var/tmp/k8sha-addons}"
  mkdir -p "$base" && work="$(mktemp -d "$base/run.XXXXXX")" || return 1
  rc=0
  addons_apply_pointer "$pointer" "$work" || rc=$?
  rm -rf "$work"
  return "$rc"
}
