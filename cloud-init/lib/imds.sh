# shellcheck shell=bash
# EC2 instance metadata (IMDSv2 only: every read carries a session token from a PUT).
# Sourced after common.sh.
#
# Environment (optional; tests serve IMDS from a loopback HTTP server):
#   IMDS_ENDPOINT   base URL                       (http://169.254.169.254)
#   IMDS_TOKEN_TTL  token lifetime in seconds      (300)
#   K8SHA_CURL      curl binary                    (curl)

# imds_token : a fresh IMDSv2 session token on stdout.
imds_token() {
  "${K8SHA_CURL:-curl}" -sSf --max-time 5 -X PUT \
    -H "X-aws-ec2-metadata-token-ttl-seconds: ${IMDS_TOKEN_TTL:-300}" \
    "${IMDS_ENDPOINT:-http://169.254.169.254}/latest/api/token"
}

# imds_get_once PATH : one token + GET of latest/meta-data/PATH, no retry.
imds_get_once() {
  local token
  token="$(imds_token)" || return 1
  "${K8SHA_CURL:-curl}" -sSf --max-time 5 -H "X-aws-ec2-metadata-token: $token" \
    "${IMDS_ENDPOINT:-http://169.254.169.254}/latest/meta-data/$1"
}

# imds_get PATH : metadata value on stdout, retried with back-off (IMDS can lag at early boot).
imds_get() {
  local value
  value="$(retry imds_get_once "$1")" || { log "IMDS read failed: $1"; return 1; }
  [[ -n "$value" ]] || { log "IMDS returned an empty value for $1"; return 1; }
  printf '%s\n' "$value"
}

imds_instance_id() { imds_get instance-id; }
imds_zone() { imds_get placement/availability-zone; }
imds_private_ip() { imds_get local-ipv4; }
# The EC2 private DNS name: the node name kubeadm registers. IMDS `local-hostname` is the
# instance's private DNS name of the subnet's hostname type: ip-10-0-1-5.<region>.compute.internal
# (IP name) or i-0123456789abcdef0.<region>.compute.internal (resource name). The AWS cloud
# controller finds a Node's instance by its provider ID first (kubernetes/cloud-provider-aws
# pkg/providers/v1/instances_v2.go getProviderID), which every kubelet of this project sets;
# only a Node without one is looked up by name: an `i-` name is taken for the instance id
# (aws.go nodeNameToInstanceID), any other name must equal the instance's private DNS name
# (aws.go findInstanceByNodeName, EC2 filter private-dns-name). Both hostname types pass.
imds_node_name() { imds_get local-hostname; }
imds_mac() { imds_get mac; }

# imds_provider_id : aws:///<availability-zone>/<instance-id>, the kubelet's --provider-id: the
# form the AWS cloud controller parses (cloud-provider-aws pkg/providers/v1/instances.go
# KubernetesInstanceID.MapToAWSInstanceID: scheme aws, path zone/instance, id i-...).
imds_provider_id() {
  local zone id
  zone="$(imds_zone)" || return 1
  id="$(imds_instance_id)" || return 1
  printf 'aws:///%s/%s\n' "$zone" "$id"
}

# imds_subnet_cidr : the IPv4 CIDR of the primary interface's subnet (one subnet per zone).
imds_subnet_cidr() {
  local mac
  mac="$(imds_mac)" || return 1
  imds_get "network/interfaces/macs/$mac/subnet-ipv4-cidr-block"
}

# load_node_identity : export INSTANCE_ID NODE_ZONE NODE_IP NODE_NAME SUBNET_CIDR PROVIDER_ID from IMDS.
load_node_identity() {
  INSTANCE_ID="$(imds_instance_id)" || die "cannot read instance-id from IMDS"
  NODE_ZONE="$(imds_zone)" || die "cannot read the availability zone from IMDS"
  NODE_IP="$(imds_private_ip)" || die "cannot read the private IP from IMDS"
  NODE_NAME="$(imds_node_name)" || die "cannot read the local hostname from IMDS"
  SUBNET_CIDR="$(imds_subnet_cidr)" || die "cannot read the subnet CIDR from IMDS"
  PROVIDER_ID="$(imds_provider_id)" || die "cannot read the provider ID (zone, instance-id) from IMDS"
  export INSTANCE_ID NODE_ZONE NODE_IP NODE_NAME SUBNET_CIDR PROVIDER_ID
  log "identity: instance=$INSTANCE_ID zone=$NODE_ZONE ip=$NODE_IP name=$NODE_NAME subnet=$SUBNET_CIDR provider-id=$PROVIDER_ID"
}
