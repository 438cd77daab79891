/**
 * The AWS cloud-controller-manager's permissions: the node controllers (instance metadata,
 * zones, topology) and the service controller for `type: LoadBalancer` (NLB and classic ELB).
 * Routes are off (`--configure-cloud-routes=false`), so no route or source/dest-check action.
 *
 * Sources: kubernetes/cloud-provider-aws docs/prerequisites.md (the documented control-plane
 * policy, all on "*"), and its code, which is what this list follows: the EC2, ELB and ELBv2
 * interfaces in pkg/providers/v1/iface/types.go and pkg/providers/v1/aws.go. Left out of the
 * documented policy on purpose:
 * - every volume action (CreateVolume, AttachVolume, ...): the out-of-tree provider has no
 *   volume code at all; its EC2 interface has no volume method (only test fakes keep stubs);
 * - ec2:CreateRoute/DeleteRoute/ModifyInstanceAttribute: only pkg/providers/v1/aws_routes.go
 *   calls them, i.e. cloud routes, which are off;
 * - kms:DescribeKey: a KMS client is built but nothing calls it; autoscaling:Describe*: no
 *   autoscaling client exists; iam:CreateServiceLinkedRole: the ELB service-linked role already
 *   exists once the cluster's own API load balancer was created.
 * Tag scoping follows kops pkg/model/iam/iam_builder.go (AddCCMPermissions: cluster-tagged
 * mutations, creates with the cluster request tag, security groups created in any VPC), with the
 * `kubernetes.io/cluster/<name>` tag the provider writes (pkg/providers/v1/tags.go buildTags) in
 * place of kops' KubernetesCluster.
 */
import { clusterOwnershipTag, TAG_CLUSTER } from "../../../base/tags";
import { ec2Arn, type PolicyDocument, type PolicyStatement } from "../policyDocument";
import { type AddonPolicyScope, regionalArn, tagConditions } from "./scope";

/** The tag the provider puts on every load balancer, target group and listener it creates (pkg/providers/v1/aws.go). */
export const CCM_SERVICE_TAG = "kubernetes.io/service-name";

export interface CloudControllerManagerPolicyArgs extends AddonPolicyScope {
  /** The cluster's VPC: the only one the provider may create security groups in. */
  vpcId: string;
}

/** Read-only calls; EC2 and ELB Describe* have no resource-level permissions, so "*". */
export const CCM_DESCRIBE_ACTIONS = [
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceTopology",
  // Subnet discovery for internet-facing load balancers reads the route tables.
  "ec2:DescribeRouteTables",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DescribeLoadBalancerPolicies",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth",
] as const;

/** What the service controller does to load balancers it created (classic ELB first, then NLB). */
export const CCM_LOAD_BALANCER_ACTIONS = [
  "elasticloadbalancing:AddTags",
  "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
  "elasticloadbalancing:AttachLoadBalancerToSubnets",
  "elasticloadbalancing:ConfigureHealthCheck",
  "elasticloadbalancing:CreateLoadBalancerListeners",
  "elasticloadbalancing:CreateLoadBalancerPolicy",
  "elasticloadbalancing:DeleteLoadBalancer",
  "elasticloadbalancing:DeleteLoadBalancerListeners",
  "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
  "elasticloadbalancing:DetachLoadBalancerFromSubnets",
  "elasticloadbalancing:ModifyLoadBalancerAttributes",
  "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
  "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
  "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
  "elasticloadbalancing:DeleteListener",
  "elasticloadbalancing:DeleteTargetGroup",
  "elasticloadbalancing:DeregisterTargets",
  "elasticloadbalancing:ModifyListener",
  "elasticloadbalancing:ModifyTargetGroup",
  "elasticloadbalancing:ModifyTargetGroupAttributes",
  "elasticloadbalancing:RegisterTargets",
  "elasticloadbalancing:SetSecurityGroups",
] as const;

const LOAD_BALANCER_CREATES = ["CreateLoadBalancer", "CreateTargetGroup", "CreateListener"] as const;

export function cloudControllerManagerPolicy(args: CloudControllerManagerPolicyArgs): PolicyDocument {
  const owned = clusterOwnershipTag(args.clusterName);
  const securityGroups = ec2Arn(args, "security-group/*");
  // Classic `loadbalancer/<name>` and NLB `loadbalancer/net/<name>/<id>`, their target groups and listeners.
  const loadBalancing = ["loadbalancer/*", "targetgroup/*", "listener/*"].map((r) =>
    regionalArn(args, "elasticloadbalancing", r),
  );
  // Every load balancer, target group and listener the provider creates names its Service;
  // the cluster's own API load balancer (same ownership tag) names none, so it stays out of reach.
  const ownLoadBalancer = {
    StringEquals: tagConditions("aws:ResourceTag", owned),
    Null: { [`aws:ResourceTag/${CCM_SERVICE_TAG}`]: "false" },
  };
  const statements: PolicyStatement[] = [
    {
      Sid: "DescribeNodesAndLoadBalancers",
      Effect: "Allow",
      Action: [...CCM_DESCRIBE_ACTIONS],
      Resource: "*",
    },
    {
      // Created with the ownership tag in the same call (TagSpecifications, aws.go ensureSecurityGroup).
      Sid: "CreateClusterSecurityGroups",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup"],
      Resource: [securityGroups],
      Condition: { StringEquals: tagConditions("aws:RequestTag", owned) },
    },
    {
      // The VPC side of CreateSecurityGroup takes no request tag (kops says the same).
      Sid: "CreateSecurityGroupsInClusterVpc",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup"],
      Resource: [ec2Arn(args, `vpc/${args.vpcId}`)],
    },
    {
      // Tags only as part of creating a group with the ownership tag; never an existing resource.
      Sid: "TagSecurityGroupsOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [securityGroups],
      Condition: {
        StringEquals: {
          "ec2:CreateAction": "CreateSecurityGroup",
          ...tagConditions("aws:RequestTag", owned),
        },
      },
    },
    {
      // Its own load balancer groups and the nodes' groups (the worker group carries the
      // ownership tag, as the provider requires to pick an instance's group).
      Sid: "ManageClusterSecurityGroupRules",
      Effect: "Allow",
      Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
      Resource: [securityGroups],
      Condition: { StringEquals: tagConditions("aws:ResourceTag", owned) },
    },
    {
      // Only groups it created: the project's own groups carry `k8sha.io/cluster`, the provider's never do.
      Sid: "DeleteOwnSecurityGroups",
      Effect: "Allow",
      Action: ["ec2:DeleteSecurityGroup"],
      Resource: [securityGroups],
      Condition: {
        StringEquals: tagConditions("aws:ResourceTag", owned),
        Null: { [`aws:ResourceTag/${TAG_CLUSTER}`]: "true" },
      },
    },
    {
      Sid: "CreateServiceLoadBalancers",
      Effect: "Allow",
      Action: LOAD_BALANCER_CREATES.map((a) => `elasticloadbalancing:${a}`),
      Resource: loadBalancing,
      Condition: {
        StringEquals: tagConditions("aws:RequestTag", owned),
        Null: { [`aws:RequestTag/${CCM_SERVICE_TAG}`]: "false" },
      },
    },
    {
      // Tags given to a create are authorised as AddTags with elasticloadbalancing:CreateAction
      // (Elastic Load Balancing user guide, "API permissions to tag resources during creation").
      Sid: "TagServiceLoadBalancersOnCreate",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags"],
      Resource: loadBalancing,
      Condition: {
        StringEquals: {
          "elasticloadbalancing:CreateAction": [...LOAD_BALANCER_CREATES],
          ...tagConditions("aws:RequestTag", owned),
        },
      },
    },
    {
      Sid: "ManageServiceLoadBalancers",
      Effect: "Allow",
      Action: [...CCM_LOAD_BALANCER_ACTIONS],
      Resource: loadBalancing,
      Condition: ownLoadBalancer,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
