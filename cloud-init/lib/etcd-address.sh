# shellcheck shell=bash
# An etcd member's stable private address (base/masterAddress.ts): a master's (stacked) or a
# dedicated etcd node's (external); its etcd member's peer and
# client address for the life of the cluster, in an explicit subnet CIDR reservation. A
# replacement instance takes it over as a secondary private IP of its primary interface, so its
# member comes back at the same peer URL without asking the cluster. Sourced after common.sh,
# imds.sh, etcd-member.sh (ipv4_in_cidr) and template.sh.
#
# Inputs (node.env): STABLE_IP, CLUSTER_NAME, MASTER_INDEX (a master) or NODE_ROLE_TAG and
#   ETCD_MEMBER (an etcd node), NETPLAN_TEMPLATE (the drop-in, rendered by
#   cloud-init/network-config.ts; the interface is its one placeholder), TAG_CLUSTER, TAG_ROLE,
#   TAG_ETCD_MEMBER.
# Environment (optional): AWS (aws), K8SHA_NETPLAN_FILE (/etc/netplan/60-k8sha-stable-address.yaml),
#   K8SHA_ADDRESS_WAIT_SECONDS (300)

K8SHA_NETPLAN_FILE="${K8SHA_NETPLAN_FILE:-/etc/netplan/60-k8sha-stable-address.yaml}"

# interface_with_mac MAC : the name of the local interface that has MAC.
interface_with_mac() {
  local line name
  while IFS= read -r line; do
    if [[ "$line" == *"link/ether $1 "* ]]; then
      name="${line#*: }"
      name="${name%%: *}"
      printf '%s\n' "${name%@*}"
      return 0
    fi
  done < <(ip -o link show)
  return 1
}

# stable_address_holders IP SUBNET_ID : one line per interface that holds IP in the subnet:
#   ENI_ID<TAB>CLUSTER_TAG<TAB>ROLE_TAG<TAB>ETCD_MEMBER_TAG   (None for a missing tag).
stable_address_holders() {
  "${AWS:-aws}" ec2 describe-network-interfaces --output text \
    --filters "Name=addresses.private-ip-address,Values=$1" "Name=subnet-id,Values=$2" \
    --query "NetworkInterfaces[].[NetworkInterfaceId, TagSet[?Key=='${TAG_CLUSTER:?TAG_CLUSTER must be set}']|[0].Value, TagSet[?Key=='${TAG_ROLE:?TAG_ROLE must be set}']|[0].Value, TagSet[?Key=='${TAG_ETCD_MEMBER:?TAG_ETCD_MEMBER must be set}']|[0].Value]"
}

# claim_stable_address ENI SUBNET_ID : make STABLE_IP a secondary address of ENI. Only taken
# from nobody or from this member's predecessor (the same cluster, role and etcd member): the
# etcd volume claim has already proven that instance gone, and no IAM condition can name the
# address, so a foreign holder (an address in use when the reservation was made, in a
# bring-your-own VPC) is refused here instead of stolen.
claim_stable_address() {
  local eni="$1" subnet="$2" holders id cluster role member
  local own_role="${NODE_ROLE_TAG:-master}" own_member="${ETCD_MEMBER:-${MASTER_INDEX:-}}"
  holders="$(retry stable_address_holders "$STABLE_IP" "$subnet")" ||
    die "cannot ask EC2 which interface holds $STABLE_IP"
  while IFS=$'\t' read -r id cluster role member; do
    [[ -n "$id" ]] || continue
    if [[ "$id" == "$eni" ]]; then
      log "stable address $STABLE_IP is already on this instance's interface $eni"
      return 0
    fi
    if [[ "$cluster" != "$CLUSTER_NAME" || "$role" != "$own_role" || "$member" != "$own_member" ]]; then
      die "stable address $STABLE_IP is held by $id (cluster=$cluster role=$role member=$member)," \
        "which is not $own_role $own_member of $CLUSTER_NAME; free it or choose other subnets (docs/control-plane.md)"
    fi
    log "stable address $STABLE_IP is still on $id, the interface of this member's predecessor: moving it"
  done <<<"$holders"
  retry "${AWS:-aws}" ec2 assign-private-ip-addresses --network-interface-id "$eni" \
    --private-ip-addresses "$STABLE_IP" --allow-reassignment >/dev/null ||
    die "cannot assign $STABLE_IP to $eni"
  log "assigned $STABLE_IP to $eni"
}

# imds_lists_address MAC : IMDS lists STABLE_IP among the interface's addresses (EC2 routes it here).
imds_lists_address() {
  local ips
  ips="$(imds_get_once "network/interfaces/macs/$1/local-ipv4s")" || return 1
  grep -qxF "$STABLE_IP" <<<"$ips"
}

# persist_stable_address IFACE : the netplan drop-in that adds the address to the interface
# (merged with cloud-init's 50-cloud-init.yaml by interface name), so every boot and every
# networkd reconfigure keeps it; and the address itself, now (a /32, see network-config.ts).
persist_stable_address() {
  local iface="$1"
  # 0600 (fill_template): netplan warns about (and may refuse) files others can read.
  fill_template "${NETPLAN_TEMPLATE:?NETPLAN_TEMPLATE must be set}" "$K8SHA_NETPLAN_FILE" INTERFACE="$iface"
  # Generate networkd's files (no apply: that would bounce the link under a running boot).
  retry netplan generate || die "netplan generate failed for $K8SHA_NETPLAN_FILE"
  ip -4 addr replace "$STABLE_IP/32" dev "$iface" || die "cannot add $STABLE_IP to $iface"
}

# address_on_interface IFACE : the kernel has STABLE_IP on IFACE.
address_on_interface() {
  ip -o -4 addr show dev "$1" | grep -qF " $STABLE_IP/32 "
}

# ensure_stable_address : claim, persist and wait for this master's stable address. Every boot
# runs it (idempotent): after a reboot it only confirms what netplan restored.
ensure_stable_address() {
  local mac eni subnet iface
  [[ -n "${STABLE_IP:-}" ]] || die "node.env has no STABLE_IP"
  ipv4_in_cidr "$STABLE_IP" "$SUBNET_CIDR" ||
    die "stable address $STABLE_IP is outside this instance's subnet $SUBNET_CIDR"
  mac="$(imds_mac)" || die "cannot read the MAC address from IMDS"
  eni="$(imds_get "network/interfaces/macs/$mac/interface-id")" || die "cannot read the interface id from IMDS"
  subnet="$(imds_get "network/interfaces/macs/$mac/subnet-id")" || die "cannot read the subnet id from IMDS"
  iface="$(interface_with_mac "$mac")" || die "no local interface has MAC $mac"
  claim_stable_address "$eni" "$subnet"
  wait_until "${K8SHA_ADDRESS_WAIT_SECONDS:-300}" "IMDS to list $STABLE_IP on $eni" imds_lists_address "$mac" ||
    die "EC2 never listed $STABLE_IP on $eni"
  persist_stable_address "$iface"
  wait_until 60 "$STABLE_IP on $iface" address_on_interface "$iface" || die "$STABLE_IP never appeared on $iface"
  log "stable address $STABLE_IP is on $iface ($eni)"
}
