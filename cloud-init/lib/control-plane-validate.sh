# shellcheck shell=bash
# `k8sha-control-plane validate`: what `k8sha-validate` (scripts/k8sha-validate.sh) asks a master
# about the cluster, beyond the preflight's etcd and control-plane checks: the API server's
# /readyz through the admin kubeconfig, and each worker pool's Ready Nodes against its minimum.
# Sourced after control-plane-ops.sh (cpo_ok, cpo_fail, cpo_nodes) and stale-nodes.sh (node_kubectl).

# cpo_validate_api : the API server answers /readyz (every readiness check of kube-apiserver).
cpo_validate_api() {
  local out
  if out="$(retry node_kubectl get --raw /readyz 2>&1)"; then cpo_ok api-readyz "${out//$'\n'/ }"; else
    cpo_fail api-readyz "$(tail -n 1 <<<"$out")"
  fi
}

# cpo_validate_pools LABEL POOLS : for each NAME=MIN of the comma-separated POOLS, at least MIN
# Ready Nodes labelled LABEL=NAME.
cpo_validate_pools() {
  local label="$1" pool name min list ready total _n _ips state _kubelet
  local -a pools
  IFS=, read -r -a pools <<<"$2"
  for pool in "${pools[@]}"; do
    name="${pool%%=*}" min="${pool#*=}"
    if ! list="$(cpo_nodes "$label=$name")"; then
      cpo_fail "pool/$name" "cannot list the Nodes labelled $label=$name"
      continue
    fi
    ready=0 total=0
    while IFS=$'\t' read -r _n _ips state _kubelet; do
      [[ -n "$_n" ]] || continue
      total=$((total + 1))
      if [[ "$state" == True ]]; then ready=$((ready + 1)); fi
    done <<<"$list"
    if ((ready >= min)); then cpo_ok "pool/$name" "$ready of $total Nodes Ready (minimum $min)"; else
      cpo_fail "pool/$name" "$ready of $total Nodes Ready, minimum $min"
    fi
  done
}
