import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrSubnet, formatCidr, mustParseCidr } from "../base/cidr";
import { clusterOwnershipTag } from "../base/tags";
import { NETWORK_DEFAULTS } from "../config/defaults";

/** A VPC and subnets that already exist; the network component only tags the subnets. */
export interface ExistingVpcArgs {
  /** Id of the existing VPC. */
  vpcId: pulumi.Input<string>;
  /** Its CIDR (plain: security-group rules are written from it). */
  vpcCidr: string;
  /** One per availability zone, in the order of `availabilityZones`. */
  publicSubnetIds: pulumi.Input<string>[];
  /** One per availability zone, in the order of `availabilityZones`. */
  privateSubnetIds: pulumi.Input<string>[];
  /** The private subnets' IPv4 CIDRs, same order (plain: the masters' stable addresses are carved from them). */
  privateSubnetCidrs: string[];
}

export interface NetworkArgs {
  /** Cluster name; used in names and in the `kubernetes.io/cluster/<name>` tag key, so it is plain. */
  clusterName: string;
  /** The zones to spread over, one public and one private subnet each (2 to 6 zones, or 1 for non-HA). */
  availabilityZones: pulumi.Input<string>[];
  /** VPC CIDR, /16 to /20. Private subnets get 1/16 of it each, public subnets 1/256. */
  vpcCidr?: string;
  /** One NAT gateway in total ("single") or one per zone ("perAz", default). */
  natGateways?: "single" | "perAz";
  /** Use an existing VPC instead of creating one. */
  existingVpc?: ExistingVpcArgs;
  /** Tags added to every resource. */
  tags?: Record<string, string>;
}

/** Subnet layout of a VPC: private `/(p+4)` subnets from the bottom, public `/(p+8)` from the middle. */
export function subnetLayout(vpcCidr: string, zoneCount: number): { public: string[]; private: string[] } {
  const vpc = mustParseCidr(vpcCidr);
  const zones = Array.from({ length: zoneCount }, (_, i) => i);
  return {
    private: zones.map((i) => formatCidr(cidrSubnet(vpc, 4, i))),
    public: zones.map((i) => formatCidr(cidrSubnet(vpc, 8, 128 + i))),
  };
}

/**
 * The cluster's network: a VPC with one public and one private subnet per zone, an internet
 * gateway, NAT per zone (or one), routes, and the subnet tags Kubernetes load-balancer
 * controllers look for. Or, with `existingVpc`, the same outputs for subnets you already have.
 */
export class Network extends pulumi.ComponentResource {
  /** VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** VPC CIDR (used for security-group rules). */
  public readonly vpcCidr: string;
  /** Public subnet ids, one per zone, in zone order. */
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /** Private subnet ids, one per zone, in zone order (masters and workers live here). */
  public readonly privateSubnetIds: pulumi.Output<string>[];
  /** Private subnet CIDRs, in zone order (plain: the masters' stable addresses come from them). */
  public readonly privateSubnetCidrs: string[];
  /** The zones, in the order of the subnet lists. */
  public readonly availabilityZones: pulumi.Output<string>[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:network:Network", name, {}, opts);
    const zones = args.availabilityZones.map((z) => pulumi.output(z));
    this.availabilityZones = zones;
    const ownership = clusterOwnershipTag(args.clusterName, args.existingVpc ? "shared" : "owned");
    const tags = (extra: Record<string, pulumi.Input<string>>): Record<string, pulumi.Input<string>> => ({
      ...args.tags,
      ...ownership,
      ...extra,
    });

    if (args.existingVpc) {
      const byo = args.existingVpc;
      this.vpcId = pulumi.output(byo.vpcId);
      this.vpcCidr = byo.vpcCidr;
      this.publicSubnetIds = byo.publicSubnetIds.map((id) => pulumi.output(id));
      this.privateSubnetIds = byo.privateSubnetIds.map((id) => pulumi.output(id));
      this.privateSubnetCidrs = byo.privateSubnetCidrs;
      // Existing subnets still need the tags cloud-controller-manager uses to pick subnets for LBs.
      const subnetTags: [pulumi.Input<string>[], string][] = [
        [byo.publicSubnetIds, "kubernetes.io/role/elb"],
        [byo.privateSubnetIds, "kubernetes.io/role/internal-elb"],
      ];
      for (const [ids, roleTag] of subnetTags) {
        ids.forEach((id, i) => {
          const kind = roleTag.endsWith("internal-elb") ? "private" : "public";
          for (const [key, value] of Object.entries({ ...ownership, [roleTag]: "1" })) {
            new aws.ec2.Tag(
              `${name}-${kind}-${i}-${key.replace(/[^a-zA-Z0-9-]/g, "-")}`,
              { resourceId: id, key, value },
              { parent: this },
            );
          }
        });
      }
      this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
      return;
    }

    const vpcCidr = args.vpcCidr ?? NETWORK_DEFAULTS.vpcCidr;
    this.vpcCidr = vpcCidr;
    const layout = subnetLayout(vpcCidr, zones.length);
    this.privateSubnetCidrs = layout.private;
    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags({ Name: `${args.clusterName}-vpc` }),
      },
      { parent: this },
    );
    this.vpcId = vpc.id;

    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpc.id, tags: tags({ Name: `${args.clusterName}-igw` }) },
      { parent: this },
    );
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tags({ Name: `${args.clusterName}-public` }),
      },
      { parent: this },
    );

    const publicSubnets = zones.map(
      (zone, i) =>
        new aws.ec2.Subnet(
          `${name}-public-${i}`,
          {
            vpcId: vpc.id,
            availabilityZone: zone,
            cidrBlock: layout.public[i],
            mapPublicIpOnLaunch: false,
            tags: tags({
              Name: pulumi.interpolate`${args.clusterName}-public-${zone}`,
              "kubernetes.io/role/elb": "1",
            }),
          },
          { parent: this },
        ),
    );
    publicSubnets.forEach((subnet, i) => {
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        { subnetId: subnet.id, routeTableId: publicRoutes.id },
        { parent: this },
      );
    });

    const natCount = (args.natGateways ?? NETWORK_DEFAULTS.natGateways) === "perAz" ? zones.length : 1;
    const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i}`,
        { domain: "vpc", tags: tags({ Name: `${args.clusterName}-nat-${i}` }) },
        { parent: this, dependsOn: [igw] },
      );
      return new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { allocationId: eip.id, subnetId: subnet.id, tags: tags({ Name: `${args.clusterName}-nat-${i}` }) },
        { parent: this },
      );
    });

    const privateSubnets = zones.map((zone, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          availabilityZone: zone,
          cidrBlock: layout.private[i],
          tags: tags({
            Name: pulumi.interpolate`${args.clusterName}-private-${zone}`,
            "kubernetes.io/role/internal-elb": "1",
          }),
        },
        { parent: this },
      );
      // Each zone's private subnet leaves through its own zone's NAT (or the single shared one).
      const routes = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
          tags: tags({ Name: `${args.clusterName}-private-${i}` }),
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${i}`,
        { subnetId: subnet.id, routeTableId: routes.id },
        { parent: this },
      );
      return { subnet, routes };
    });

    // S3 through a gateway endpoint: free, and etcd backups do not depend on NAT.
    const region = aws.getRegionOutput({}, { parent: this }).region;
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateSubnets.map((p) => p.routes.id),
        tags: tags({ Name: `${args.clusterName}-s3` }),
      },
      { parent: this },
    );

    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((p) => p.subnet.id);
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
