#!/usr/bin/env bash
# Readiness gate: run by `pulumi up` (ReadinessGate component, @pulumi/command) on the operator's
# machine after the load balancer and every autoscaling group exist. It waits until
#   1. https://<api>:6443/readyz answers 200, then
#   2. /api/v1/nodes lists at least K8SHA_GATE_MASTERS Ready control-plane nodes and, for each
#      pool, at least its minimum of Ready nodes labelled k8sha.io/pool=<pool>,
# printing one progress line per poll. On timeout it names what is missing and exits non-zero.
#
# Environment:
#   K8SHA_GATE_SERVER            https://<lb dns>:6443 (required)
#   K8SHA_GATE_MASTERS           expected control-plane nodes (required)
#   K8SHA_GATE_POOLS             "name=min,name=min" ("" for none)
#   K8SHA_GATE_POOL_LABEL        the node label naming a worker's pool (required; base/labels.ts)
#   K8SHA_GATE_CA_PEM | _CA_FILE         cluster CA certificate (PEM text or a file)
#   K8SHA_GATE_CERT_PEM | _CERT_FILE     admin client certificate
#   K8SHA_GATE_KEY_PEM | _KEY_FILE       admin client key
#   K8SHA_GATE_TIMEOUT_SECONDS   overall bound                       (1200)
#   K8SHA_GATE_INTERVAL_SECONDS  seconds between polls (integer >= 1) (10)
#   K8SHA_GATE_REQUEST_SECONDS   bound of one HTTP request           (10)
#   K8SHA_CURL / K8SHA_NODE      curl and node binaries (node parses the JSON: Pulumi's Node
#                                runtime is always present where this runs, jq may not be)
# Key material arrives in the environment (Pulumi keeps it secret) and is written to a
# private temp dir for curl: it never appears on a command line.
set -euo pipefail

# The component runs this file concatenated after common.sh; run by hand it sources it.
if ! declare -F wait_until >/dev/null; then
  # shellcheck source=SCRIPTDIR/../cloud-init/lib/common.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../cloud-init/lib/common.sh"
fi
K8SHA_LOG_TAG=readiness-gate
K8SHA_CURRENT_STEP=gate
GATE_TMP="$(mktemp -d)"
trap 'rm -rf "$GATE_TMP"' EXIT

server="${K8SHA_GATE_SERVER:-}"
masters="${K8SHA_GATE_MASTERS:-}"
pools="${K8SHA_GATE_POOLS:-}"
pool_label="${K8SHA_GATE_POOL_LABEL:-}"
timeout="${K8SHA_GATE_TIMEOUT_SECONDS:-1200}"
interval="${K8SHA_GATE_INTERVAL_SECONDS:-10}"
[[ "$server" =~ ^https://[^/]+$ ]] || die "K8SHA_GATE_SERVER must be https://host:port, got '$server'"
[[ "$masters" =~ ^[0-9]+$ ]] || die "K8SHA_GATE_MASTERS must be a number, got '$masters'"
[[ -z "$pools" || "$pools" =~ ^[a-z0-9-]+=[0-9]+(,[a-z0-9-]+=[0-9]+)*$ ]] ||
  die "K8SHA_GATE_POOLS must look like 'general=2,gpu=0', got '$pools'"
[[ "$pool_label" =~ ^[a-z0-9.-]+/[a-z0-9._-]+$ ]] || die "K8SHA_GATE_POOL_LABEL must be a label key like example.io/pool, got '$pool_label'"
[[ "$timeout" =~ ^[0-9]+$ && "$interval" =~ ^[1-9][0-9]*$ ]] ||
  die "K8SHA_GATE_TIMEOUT_SECONDS and K8SHA_GATE_INTERVAL_SECONDS must be whole seconds"
# wait_until's back-off becomes a fixed poll interval.
K8SHA_RETRY_BASE="$interval"
K8SHA_RETRY_CAP="$interval"

# material NAME : path of a PEM given as NAME_FILE, or written from NAME_PEM (mode 0600).
material() {
  local file_var="K8SHA_GATE_${1}_FILE" pem_var="K8SHA_GATE_${1}_PEM"
  if [[ -n "${!file_var:-}" ]]; then
    [[ -r "${!file_var}" ]] || die "$file_var=${!file_var} is not readable"
    printf '%s\n' "${!file_var}"
  elif [[ -n "${!pem_var:-}" ]]; then
    (umask 077 && printf '%s\n' "${!pem_var}" >"$GATE_TMP/$1.pem")
    printf '%s\n' "$GATE_TMP/$1.pem"
  else
    die "set $pem_var or $file_var"
  fi
}
ca="$(material CA)"
cert="$(material CERT)"
key="$(material KEY)"

GATE_STATUS="no answer yet"

# api_get PATH : GET into $GATE_TMP/body, HTTP status into GATE_HTTP_CODE. TLS trust errors are
# fatal at once (waiting cannot fix a wrong CA); anything else is reported and polled again.
api_get() {
  local rc=0
  GATE_HTTP_CODE="$("${K8SHA_CURL:-curl}" --silent --show-error \
    --max-time "${K8SHA_GATE_REQUEST_SECONDS:-10}" --cacert "$ca" --cert "$cert" --key "$key" \
    --output "$GATE_TMP/body" --write-out '%{http_code}' "$server$1" 2>"$GATE_TMP/curl-err")" || rc=$?
  case "$rc" in
    0) return 0 ;;
    60 | 51)
      die "TLS: the API server at $server is not trusted by the given cluster CA (curl exit $rc): $(head -c 300 "$GATE_TMP/curl-err")"
      ;;
    58 | 77 | 83)
      die "TLS: cannot use the given CA/client certificate or key (curl exit $rc): $(head -c 300 "$GATE_TMP/curl-err")"
      ;;
    *)
      GATE_STATUS="$server$1 unreachable (curl exit $rc): $(head -c 300 "$GATE_TMP/curl-err")"
      return 1
      ;;
  esac
}

api_ready() {
  api_get /readyz || return 1
  if [[ "$GATE_HTTP_CODE" == 200 ]]; then return 0; fi
  GATE_STATUS="/readyz answered HTTP $GATE_HTTP_CODE: $(head -c 300 "$GATE_TMP/body")"
  echo "progress: API not ready yet ($GATE_STATUS)"
  return 1
}

# Prints "<summary>" then "missing: ..." lines; exits 0 when every group has enough Ready nodes.
read -r -d '' NODES_EVAL <<'JS' || true
const fs = require("fs");
const [file, masters, poolSpec, poolLabel] = process.argv.slice(1);
let list;
try { list = JSON.parse(fs.readFileSync(file, "utf8")); }
catch (e) { console.log("cannot parse the node list: " + e.message); process.exit(2); }
const items = Array.isArray(list.items) ? list.items : [];
const labels = (n) => (n.metadata && n.metadata.labels) || {};
const ready = (n) => ((n.status && n.status.conditions) || []).some((c) => c.type === "Ready" && c.status === "True");
const groups = [{ name: "control-plane", want: Number(masters),
  match: (n) => "node-role.kubernetes.io/control-plane" in labels(n) }];
for (const spec of poolSpec.split(",").filter(Boolean)) {
  const [pool, min] = spec.split("=");
  groups.push({ name: "pool " + pool, want: Number(min), match: (n) => labels(n)[poolLabel] === pool });
}
const summary = [], missing = [];
for (const g of groups) {
  const members = items.filter(g.match), ok = members.filter(ready);
  summary.push(g.name + " " + ok.length + "/" + g.want + " Ready");
  if (ok.length >= g.want) continue;
  const notReady = members.filter((n) => !ready(n)).map((n) => n.metadata.name);
  let line = g.name + ": " + ok.length + "/" + g.want + " Ready";
  if (notReady.length) line += "; not Ready: " + notReady.join(", ");
  if (members.length < g.want) line += "; " + (g.want - members.length) + " not registered yet";
  missing.push(line);
}
console.log(summary.join("; "));
for (const m of missing) console.log("missing: " + m);
process.exit(missing.length ? 3 : 0);
JS

nodes_ready() {
  local report rc=0
  api_get /api/v1/nodes || return 1
  if [[ "$GATE_HTTP_CODE" != 200 ]]; then
    GATE_STATUS="/api/v1/nodes answered HTTP $GATE_HTTP_CODE: $(head -c 300 "$GATE_TMP/body")"
    echo "progress: $GATE_STATUS"
    return 1
  fi
  report="$("${K8SHA_NODE:-node}" -e "$NODES_EVAL" "$GATE_TMP/body" "$masters" "$pools" "$pool_label")" || rc=$?
  echo "progress: ${report%%$'\n'*}"
  GATE_STATUS="$report"
  return "$rc"
}

start="$(date +%s)"
log "waiting up to ${timeout}s for $server: $masters control-plane node(s), pools '${pools:-none}'"
wait_until "$timeout" "$server/readyz" api_ready ||
  die "readiness gate timed out after ${timeout}s: the API never became ready. Last: $GATE_STATUS"
remaining=$((timeout - ($(date +%s) - start)))
((remaining > 0)) || remaining=0
wait_until "$remaining" "Ready nodes" nodes_ready ||
  die "readiness gate timed out after ${timeout}s. Not ready: $(printf '%s' "$GATE_STATUS" | tr '\n' ' ')"
echo "readiness gate passed: $(printf '%s' "${GATE_STATUS%%$'\n'*}")"
