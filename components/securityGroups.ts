import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, KUBELET_PORT, NODE_PORT_RANGE } from "../base/ports";
import { ETCD_DEFAULTS } from "../config/defaults";
import type { CniProvider, EtcdTopology } from "../config/types";

/** The node security group a rule belongs to; `etcd` (the dedicated etcd nodes) only in the external topology. */
export type NodeSecurityGroup = "masters" | "workers" | "etcd";
/** Who a rule admits: a node role (by security group), the API load balancer, or the VPC CIDR. */
export type RuleSource = NodeSecurityGroup | "apiLoadBalancer" | "vpc";

/** One ingress rule on a node security group; for ICMP, from/to are the ICMP type and code. */
export interface NodeIngressRule {
  target: NodeSecurityGroup;
  source: RuleSource;
  protocol: "tcp" | "udp" | "icmp";
  fromPort: number;
  toPort: number;
  description: string;
}

type PortSpec = Pick<NodeIngressRule, "protocol" | "fromPort" | "toPort" | "description">;

/**
 * Node-to-node ports of each pod network. The SGs assume encapsulation on every path
 * (Calico `vxlanMode: Always`, Cilium/flannel VXLAN): pod IPs never appear un-tunnelled
 * between nodes, so no pod-CIDR rule and no source/destination-check change is needed.
 */
export function cniPorts(provider: CniProvider): PortSpec[] {
  switch (provider) {
    case "calico":
      return [
        { protocol: "udp", fromPort: 4789, toPort: 4789, description: "Calico VXLAN" },
        { protocol: "tcp", fromPort: 5473, toPort: 5473, description: "Calico Typha" },
      ];
    case "cilium":
      return [
        { protocol: "udp", fromPort: 8472, toPort: 8472, description: "Cilium VXLAN" },
        { protocol: "tcp", fromPort: 4240, toPort: 4240, description: "Cilium health checks" },
        { protocol: "icmp", fromPort: 8, toPort: 0, description: "Cilium health (ICMP echo)" },
      ];
    case "flannel":
      return [{ protocol: "udp", fromPort: 8472, toPort: 8472, description: "flannel VXLAN" }];
  }
}

/**
 * Every ingress rule of the node security groups. Only what each role needs: the API from
 * the NLB and the nodes; etcd client/peer and kubelet from masters only; controller-manager
 * (10257) and scheduler (10259) are never opened (they bind to localhost); NodePorts on
 * workers from the VPC only (cloud load balancers and in-VPC clients). Nothing from 0.0.0.0/0.
 *
 * In the external etcd topology the masters run no etcd, so their etcd rule goes, and the etcd
 * nodes' group opens the client port to masters and etcd nodes and the peer port to etcd nodes
 * only; nothing else reaches an etcd node (its metrics listen on 127.0.0.1, shell access is
 * Session Manager).
 */
export function nodeIngressRules(
  cni: CniProvider,
  topology: EtcdTopology = ETCD_DEFAULTS.topology,
): NodeIngressRule[] {
  const rules: NodeIngressRule[] = [];
  const api = { protocol: "tcp", fromPort: API_PORT, toPort: API_PORT } as const;
  rules.push({
    ...api,
    target: "masters",
    source: "apiLoadBalancer",
    description: "Kubernetes API from the NLB",
  });
  rules.push({ ...api, target: "masters", source: "masters", description: "Kubernetes API from masters" });
  rules.push({ ...api, target: "masters", source: "workers", description: "Kubernetes API from workers" });
  if (topology === "stacked") {
    rules.push({
      target: "masters",
      source: "masters",
      protocol: "tcp",
      fromPort: ETCD_CLIENT_PORT,
      toPort: ETCD_PEER_PORT,
      description: "etcd client and peer, masters only",
    });
  }
  for (const target of ["masters", "workers"] as const) {
    rules.push({
      target,
      source: "masters",
      protocol: "tcp",
      fromPort: KUBELET_PORT,
      toPort: KUBELET_PORT,
      description: "kubelet API from masters (logs, exec, metrics)",
    });
    // Path-MTU discovery: VXLAN lowers the MTU, and dropped "fragmentation needed" stalls TCP.
    rules.push({
      target,
      source: "vpc",
      protocol: "icmp",
      fromPort: 3,
      toPort: 4,
      description: "Path MTU discovery",
    });
    for (const source of ["masters", "workers"] as const) {
      for (const port of cniPorts(cni)) rules.push({ ...port, target, source });
    }
  }
  for (const protocol of ["tcp", "udp"] as const) {
    rules.push({
      target: "workers",
      source: "vpc",
      protocol,
      fromPort: NODE_PORT_RANGE.from,
      toPort: NODE_PORT_RANGE.to,
      description: `NodePort services (${protocol}) from the VPC`,
    });
  }
  if (topology === "external") rules.push(...externalEtcdRules());
  return rules;
}

/** The etcd nodes' ingress: clients are the API servers and the members themselves (etcdctl, health). */
function externalEtcdRules(): NodeIngressRule[] {
  const client = {
    target: "etcd",
    protocol: "tcp",
    fromPort: ETCD_CLIENT_PORT,
    toPort: ETCD_CLIENT_PORT,
  } as const;
  return [
    { ...client, source: "masters", description: "etcd client from masters (kube-apiserver)" },
    { ...client, source: "etcd", description: "etcd client from etcd nodes" },
    {
      target: "etcd",
      source: "etcd",
      protocol: "tcp",
      fromPort: ETCD_PEER_PORT,
      toPort: ETCD_PEER_PORT,
      description: "etcd peer, etcd nodes only",
    },
  ];
}

export interface SecurityGroupsArgs {
  /** Cluster name (plain: used in names and descriptions). */
  clusterName: string;
  /** VPC the node security groups belong to (`Network.vpcId`). */
  vpcId: pulumi.Input<string>;
  /** VPC CIDR (plain), the source of NodePort and path-MTU rules. */
  vpcCidr: string;
  /** Security group of the API load balancer (see `ApiLoadBalancer.securityGroupId`). */
  apiLoadBalancerSecurityGroupId: pulumi.Input<string>;
  /** Pod network, which decides the node-to-node ports. */
  cniProvider: CniProvider;
  /** Where etcd runs (default `stacked`): `external` adds the etcd nodes' group and moves etcd off the masters'. */
  etcdTopology?: EtcdTopology;
  /** Tags added to every resource. */
  tags: Record<string, string>;
}

/**
 * The masters' and workers' security groups, each rule its own resource (no inline rules,
 * so adding one never rewrites the others). Egress is open: nodes pull packages and images
 * from the internet and call AWS APIs (SSM, EC2, S3) through NAT and the S3 endpoint;
 * AWS public endpoints have no stable CIDRs to narrow this to.
 */
export class SecurityGroups extends pulumi.ComponentResource {
  public readonly masterSecurityGroupId: pulumi.Output<string>;
  public readonly workerSecurityGroupId: pulumi.Output<string>;
  /** The dedicated etcd nodes' group: only in the external topology. */
  public readonly etcdSecurityGroupId?: pulumi.Output<string>;

  constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:security:SecurityGroups", name, {}, opts);
    const group = (role: NodeSecurityGroup) =>
      new aws.ec2.SecurityGroup(
        `${name}-${role}`,
        {
          vpcId: args.vpcId,
          description: `Kubernetes ${role} of ${args.clusterName}`,
          tags: { ...args.tags, Name: `${args.clusterName}-${role}` },
        },
        { parent: this },
      );
    const topology = args.etcdTopology ?? ETCD_DEFAULTS.topology;
    const groups: Partial<Record<NodeSecurityGroup, aws.ec2.SecurityGroup>> = {
      masters: group("masters"),
      workers: group("workers"),
      ...(topology === "external" ? { etcd: group("etcd") } : {}),
    };
    const groupId = (role: NodeSecurityGroup): pulumi.Output<string> => {
      const found = groups[role];
      if (found === undefined)
        throw new Error(`SecurityGroups: no ${role} group in the ${topology} topology`);
      return found.id;
    };

    for (const rule of nodeIngressRules(args.cniProvider, topology)) {
      const peer =
        rule.source === "vpc"
          ? { cidrIpv4: args.vpcCidr }
          : {
              referencedSecurityGroupId:
                rule.source === "apiLoadBalancer"
                  ? args.apiLoadBalancerSecurityGroupId
                  : groupId(rule.source),
            };
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${rule.target}-from-${rule.source}-${rule.protocol}-${rule.fromPort}`,
        {
          securityGroupId: groupId(rule.target),
          ipProtocol: rule.protocol,
          fromPort: rule.fromPort,
          toPort: rule.toPort,
          description: rule.description,
          tags: args.tags,
          ...peer,
        },
        { parent: this },
      );
    }
    for (const role of Object.keys(groups) as NodeSecurityGroup[]) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${role}-egress`,
        {
          securityGroupId: groupId(role),
          ipProtocol: "-1",
          cidrIpv4: "0.0.0.0/0",
          description: "All egress: package repos, registries, AWS APIs",
          tags: args.tags,
        },
        { parent: this },
      );
    }

    this.masterSecurityGroupId = groupId("masters");
    this.workerSecurityGroupId = groupId("workers");
    this.etcdSecurityGroupId = groups.etcd?.id;
    this.registerOutputs({
      masterSecurityGroupId: this.masterSecurityGroupId,
      workerSecurityGroupId: this.workerSecurityGroupId,
      ...(this.etcdSecurityGroupId ? { etcdSecurityGroupId: this.etcdSecurityGroupId } : {}),
    });
  }
}
