import * as crypto from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { API_PORT } from "../base/ports";
import { API_HEALTH_CHECK, API_LB_DEFAULTS } from "./tuning";

export interface ApiLoadBalancerArgs {
  /** Cluster name (plain: it is part of the AWS names). */
  clusterName: string;
  /** VPC of the NLB, its security group and its target group (`Network.vpcId`). */
  vpcId: pulumi.Input<string>;
  /** VPC CIDR: always allowed in, so nodes and in-VPC tools reach the API. */
  vpcCidr: string;
  /** "public": internet-facing in `subnetIds` (the public subnets); "internal": VPC-only (private subnets). */
  exposure: "public" | "internal";
  /** One subnet per zone the load balancer serves. */
  subnetIds: pulumi.Input<string>[];
  /** CIDRs allowed to reach 6443 besides the VPC. */
  allowedCidrs: string[];
  /** AWS refuses to delete the NLB while true (`api.deletionProtection`; prod sets it). */
  deletionProtection: boolean;
  /** Tags added to every resource. */
  tags: Record<string, string>;
}

/** What the API target group is; each of these forces a new target group when it changes. */
export const API_TARGET_GROUP = { port: API_PORT, protocol: "TCP", targetType: "instance" } as const;

/**
 * The target group's name. A target group cannot be replaced delete-first (its listener holds
 * it, and DeleteTargetGroup refuses while a listener uses it), so a replacement is
 * create-before-delete and needs a new name. The name therefore follows the settings that force
 * a replacement: the settings the cluster was built with keep the original `<cluster>-api-tg`
 * (existing stacks keep their target group), any other gets `<cluster>-tg-<hash>`.
 */
export function targetGroupName(
  clusterName: string,
  settings: { port: number; protocol: string; targetType: string } = API_TARGET_GROUP,
): string {
  const { port, protocol, targetType } = settings;
  if (port === API_PORT && protocol === "TCP" && targetType === "instance")
    return awsName(clusterName, "api-tg");
  const hash = crypto
    .createHash("sha256")
    .update(`${port}/${protocol}/${targetType}`)
    .digest("hex")
    .slice(0, 6);
  return awsName(clusterName, `tg-${hash}`);
}

/**
 * An AWS name of at most `max` characters (32 for load balancers and target groups). Long
 * cluster names are cut and get a short hash so two clusters cannot collide; names never
 * start with "internal-", which AWS reserves for internal load balancers' DNS names.
 */
export function awsName(base: string, suffix: string, max = 32): string {
  let name = `${base}-${suffix}`;
  if (name.length > max) {
    const hash = crypto.createHash("sha256").update(base).digest("hex").slice(0, 4);
    const room = max - suffix.length - hash.length - 2;
    name = `${base.slice(0, room).replace(/-+$/, "")}-${hash}-${suffix}`;
  }
  return name.startsWith("internal-") ? `k8s${name}`.slice(0, max) : name;
}

/**
 * The Network Load Balancer in front of the API servers: TCP 6443 passed through (TLS ends
 * at kube-apiserver), cross-zone on so any zone's listener reaches every master, HTTPS
 * `/readyz` health checks, and client-IP preservation OFF: with it on, a master whose own
 * connection to the NLB is routed back to itself drops the packets (the NLB hairpin
 * problem, as Cluster API does). Masters therefore see the NLB's address, and their
 * security group admits the NLB by its security group.
 */
export class ApiLoadBalancer extends pulumi.ComponentResource {
  /** DNS name of the NLB (the control-plane endpoint host). */
  public readonly dnsName: pulumi.Output<string>;
  /** Route 53 zone id of the NLB, for alias records. */
  public readonly zoneId: pulumi.Output<string>;
  /** `https://<dnsName>:6443`. */
  public readonly endpoint: pulumi.Output<string>;
  /** Target group the master ASGs register with. */
  public readonly targetGroupArn: pulumi.Output<string>;
  /** Security group of the NLB; masters admit 6443 from it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** The NLB's CloudWatch dimension value (`net/<name>/<id>`). */
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  /** The target group's CloudWatch dimension value (`targetgroup/<name>/<id>`). */
  public readonly targetGroupArnSuffix: pulumi.Output<string>;

  constructor(name: string, args: ApiLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:lb:ApiLoadBalancer", name, {}, opts);
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `Kubernetes API load balancer of ${args.clusterName}`,
        tags: { ...args.tags, Name: `${args.clusterName}-api-lb` },
      },
      { parent: this },
    );
    const sources = [...new Set([args.vpcCidr, ...args.allowedCidrs])];
    sources.forEach((cidr, i) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-${i}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: API_PORT,
          toPort: API_PORT,
          cidrIpv4: cidr,
          description:
            cidr === args.vpcCidr ? "Kubernetes API from the VPC" : "Kubernetes API from an allowed CIDR",
          tags: args.tags,
        },
        { parent: this },
      );
    });
    // Forwarded traffic and health checks leave the NLB towards the masters' private IPs.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-api`,
      {
        securityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: API_PORT,
        toPort: API_PORT,
        cidrIpv4: args.vpcCidr,
        description: "Kubernetes API and /readyz checks to the masters",
        tags: args.tags,
      },
      { parent: this },
    );

    const lb = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        name: awsName(args.clusterName, "api"),
        loadBalancerType: "network",
        internal: args.exposure === "internal",
        subnets: args.subnetIds,
        securityGroups: [sg.id],
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: args.deletionProtection,
        tags: args.tags,
      },
      // The name stays fixed: it is part of the DNS name in every kubeconfig and in the API
      // server certificate's SANs. A replacement (e.g. a changed exposure) must therefore free
      // the name first; with deletion protection on, AWS refuses that delete and nothing changes.
      { parent: this, deleteBeforeReplace: true },
    );

    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        name: targetGroupName(args.clusterName),
        vpcId: args.vpcId,
        ...API_TARGET_GROUP,
        preserveClientIp: "false",
        deregistrationDelay: API_LB_DEFAULTS.deregistrationDelaySeconds,
        // Long-lived watches are cut at the end of the delay instead of hanging on a dead master.
        connectionTermination: true,
        healthCheck: {
          enabled: true,
          protocol: "HTTPS",
          port: String(API_HEALTH_CHECK.port),
          path: API_HEALTH_CHECK.path,
          matcher: "200",
          interval: API_HEALTH_CHECK.intervalSeconds,
          timeout: API_LB_DEFAULTS.healthCheckTimeoutSeconds,
          healthyThreshold: API_HEALTH_CHECK.healthyThreshold,
          unhealthyThreshold: API_HEALTH_CHECK.unhealthyThreshold,
        },
        tags: args.tags,
      },
      { parent: this },
    );

    new aws.lb.Listener(
      `${name}-api`,
      {
        loadBalancerArn: lb.arn,
        port: API_PORT,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags: args.tags,
      },
      { parent: this },
    );

    this.dnsName = lb.dnsName;
    this.zoneId = lb.zoneId;
    this.endpoint = pulumi.interpolate`https://${lb.dnsName}:${API_PORT}`;
    this.targetGroupArn = targetGroup.arn;
    this.securityGroupId = sg.id;
    this.loadBalancerArnSuffix = lb.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.registerOutputs({
      dnsName: this.dnsName,
      endpoint: this.endpoint,
      targetGroupArn: this.targetGroupArn,
      securityGroupId: this.securityGroupId,
      loadBalancerArnSuffix: this.loadBalancerArnSuffix,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
    });
  }
}
