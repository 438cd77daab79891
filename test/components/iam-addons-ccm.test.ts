/**
 * The cloud-controller-manager's permission document (components/iam/addonPolicies), judged by
 * the test evaluator: load balancers, target groups and security groups of this cluster's
 * Services only, never the API load balancer or another cluster's, and no volume action at all.
 */
import { baseTags, clusterOwnershipTag } from "../../base/tags";
import { CCM_SERVICE_TAG, cloudControllerManagerPolicy } from "../../components/iam/addonPolicies";
import type { PolicyDocument } from "../../components/iam/policyDocument";
import { grantsAction, isAllowed, type Request } from "../support/iam-evaluate";
import { addonScope, clusterVpcId, scope, tagContext } from "../support/iamFixtures";

const ccm = cloudControllerManagerPolicy({ ...addonScope, vpcId: clusterVpcId });
const can = (doc: PolicyDocument, request: Request) => isAllowed([doc], request);
const resourceTags = (tags: Record<string, string>) => tagContext("aws:ResourceTag", tags);
const requestTags = (tags: Record<string, string>) => tagContext("aws:RequestTag", tags);

describe("cloud-controller-manager", () => {
  const elb = (resource: string) =>
    `arn:aws:elasticloadbalancing:${scope.region}:${scope.accountId}:${resource}`;
  const nlb = elb("loadbalancer/net/a0123456789abcdef/0123456789abcdef");
  const classic = elb("loadbalancer/a0123456789abcdef");
  const targetGroup = elb("targetgroup/k8s-default-web-0123456789/0123456789abcdef");
  /** What the provider writes on every load balancer, target group and listener (buildTags + service name). */
  const serviceTags = (cluster: string) => ({
    ...clusterOwnershipTag(cluster),
    [CCM_SERVICE_TAG]: "default/web",
  });
  const securityGroup = `arn:aws:ec2:${scope.region}:${scope.accountId}:security-group/sg-0123`;
  const vpc = (id: string) => `arn:aws:ec2:${scope.region}:${scope.accountId}:vpc/${id}`;

  test.each([
    ["NLB", nlb],
    ["classic ELB", classic],
  ])("creates and deletes a %s of this cluster's Services only", (_kind, lb) => {
    const create = (tags: Record<string, string>) =>
      can(ccm, {
        action: "elasticloadbalancing:CreateLoadBalancer",
        resource: lb,
        context: requestTags(tags),
      }) &&
      can(ccm, {
        action: "elasticloadbalancing:AddTags",
        resource: lb,
        context: { ...requestTags(tags), "elasticloadbalancing:CreateAction": "CreateLoadBalancer" },
      });
    expect(create(serviceTags("demo"))).toBe(true);
    expect(create(serviceTags("other"))).toBe(false);
    expect(create(clusterOwnershipTag("demo"))).toBe(false);
    const remove = (tags: Record<string, string>) =>
      can(ccm, {
        action: "elasticloadbalancing:DeleteLoadBalancer",
        resource: lb,
        context: resourceTags(tags),
      });
    expect(remove(serviceTags("demo"))).toBe(true);
    expect(remove(serviceTags("other"))).toBe(false);
    // The cluster's own API load balancer carries the ownership tag but names no Service.
    expect(remove(baseTags("demo"))).toBe(false);
  });

  test("manages target groups of this cluster's Services only", () => {
    for (const action of ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeleteTargetGroup"]) {
      expect(can(ccm, { action, resource: targetGroup, context: resourceTags(serviceTags("demo")) })).toBe(
        true,
      );
      expect(can(ccm, { action, resource: targetGroup, context: resourceTags(serviceTags("other")) })).toBe(
        false,
      );
      expect(can(ccm, { action, resource: targetGroup, context: resourceTags(baseTags("demo")) })).toBe(
        false,
      );
    }
  });

  test("creates security groups tagged for this cluster in its VPC, deletes only those", () => {
    const create = (tags: Record<string, string>, vpcId: string) =>
      can(ccm, { action: "ec2:CreateSecurityGroup", resource: securityGroup, context: requestTags(tags) }) &&
      can(ccm, { action: "ec2:CreateSecurityGroup", resource: vpc(vpcId) }) &&
      can(ccm, {
        action: "ec2:CreateTags",
        resource: securityGroup,
        context: { ...requestTags(tags), "ec2:CreateAction": "CreateSecurityGroup" },
      });
    expect(create(clusterOwnershipTag("demo"), clusterVpcId)).toBe(true);
    expect(create(clusterOwnershipTag("other"), clusterVpcId)).toBe(false);
    expect(create(clusterOwnershipTag("demo"), "vpc-0other")).toBe(false);
    const remove = (tags: Record<string, string>) =>
      can(ccm, { action: "ec2:DeleteSecurityGroup", resource: securityGroup, context: resourceTags(tags) });
    expect(remove(clusterOwnershipTag("demo"))).toBe(true);
    expect(remove(clusterOwnershipTag("other"))).toBe(false);
    // The project's own groups (workers, masters, API load balancer) carry the base tags.
    expect(remove(baseTags("demo", { Name: "demo-workers" }))).toBe(false);
    // Tags on an existing group: never.
    expect(
      can(ccm, {
        action: "ec2:CreateTags",
        resource: securityGroup,
        context: { ...resourceTags(baseTags("demo")), ...requestTags(clusterOwnershipTag("demo")) },
      }),
    ).toBe(false);
  });

  test("has no EC2 volume or snapshot action at all", () => {
    const volumeActions = [
      "ec2:AttachVolume",
      "ec2:DetachVolume",
      "ec2:CreateVolume",
      "ec2:DeleteVolume",
      "ec2:ModifyVolume",
      "ec2:DescribeVolumes",
      "ec2:CreateSnapshot",
      "ec2:DeleteSnapshot",
    ];
    for (const statement of ccm.Statement)
      for (const action of volumeActions)
        expect({ sid: statement.Sid, action, grants: grantsAction({ ...statement }, action) }).toEqual({
          sid: statement.Sid,
          action,
          grants: false,
        });
    expect(ccm.Statement.flatMap((s) => s.Action).filter((a) => /volume|snapshot/i.test(a))).toEqual([]);
  });
});
