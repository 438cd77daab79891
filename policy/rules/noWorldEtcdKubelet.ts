import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, KUBELET_PORT } from "../../base/ports";
import { asArray, asNumber, asRecord, asString } from "../props";
import type { ResourcePolicy } from "../types";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
/** etcd client/peer and the kubelet API: either one open to the internet hands over the cluster. */
export const PROTECTED_PORTS = [
  { from: ETCD_CLIENT_PORT, to: ETCD_PEER_PORT, what: "etcd" },
  { from: KUBELET_PORT, to: KUBELET_PORT, what: "kubelet" },
] as const;

interface IngressShape {
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  cidrs: string[];
}

function exposed(rule: IngressShape): string[] {
  if (!rule.cidrs.some((c) => WORLD.has(c))) return [];
  const allPorts = rule.protocol === "-1" || rule.protocol === "all";
  return PROTECTED_PORTS.filter((p) => {
    if (allPorts) return true;
    if (rule.protocol !== "tcp" && rule.protocol !== "6") return false;
    const from = rule.fromPort ?? 0;
    const to = rule.toPort ?? 65535;
    return from <= p.to && to >= p.from;
  }).map((p) => `${p.what} ${p.from === p.to ? p.from : `${p.from}-${p.to}`}`);
}

function strings(...values: unknown[]): string[] {
  return values
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((s): s is string => typeof s === "string");
}

/** Normalises the three ways the AWS provider expresses an ingress rule. */
function ingressRules(type: string, props: Record<string, unknown>): IngressShape[] {
  const shape = (p: Record<string, unknown>, cidrs: string[]): IngressShape => ({
    protocol: String(p.ipProtocol ?? p.protocol ?? "").toLowerCase(),
    fromPort: asNumber(p.fromPort),
    toPort: asNumber(p.toPort),
    cidrs,
  });
  switch (type) {
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [shape(props, strings(props.cidrIpv4, props.cidrIpv6))];
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      return asString(props.type) === "ingress"
        ? [shape(props, strings(props.cidrBlocks, props.ipv6CidrBlocks))]
        : [];
    case "aws:ec2/securityGroup:SecurityGroup":
      return asArray(props.ingress)
        .map(asRecord)
        .map((p) => shape(p, strings(p.cidrBlocks, p.ipv6CidrBlocks)));
    default:
      return [];
  }
}

export const noWorldEtcdKubelet: ResourcePolicy = {
  kind: "resource",
  name: "no-world-etcd-kubelet",
  description:
    "No security-group ingress opens etcd (2379-2380) or the kubelet (10250) to 0.0.0.0/0 or ::/0.",
  check(r) {
    return ingressRules(r.type, r.props).flatMap((rule) =>
      exposed(rule).map(
        (what) => `${r.name} opens ${what} to ${rule.cidrs.filter((c) => WORLD.has(c)).join(", ")}`,
      ),
    );
  },
};
