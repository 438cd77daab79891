/**
 * The masters' permission to complete and heartbeat the workers' termination hook
 * (CompleteWorkerTermination in components/iam/policies.ts), judged by the test evaluator:
 * allowed on this cluster's worker ASGs only, never for the worker role.
 */
import { isAllowed } from "../support/iam-evaluate";
import { master, scope, worker } from "../support/iamFixtures";

const asg = (name: string) =>
  `arn:aws:autoscaling:${scope.region}:${scope.accountId}:autoScalingGroup:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0:autoScalingGroupName/${name}`;
/** The ASG's tags as Auto Scaling presents them to IAM. */
const groupTags = (cluster: string, role: string) => ({
  "autoscaling:ResourceTag/k8sha.io/cluster": cluster,
  "autoscaling:ResourceTag/k8sha.io/role": role,
});
const ACTIONS = ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"];

describe.each(ACTIONS)("%s", (action) => {
  const can = (doc: typeof master, resource: string, context: Record<string, string>) =>
    isAllowed([doc], { action, resource, context });

  test("a master may, on a worker ASG of its cluster", () => {
    expect(can(master, asg("demo-general-asg"), groupTags("demo", "worker"))).toBe(true);
  });

  test("not on a master ASG, another cluster's worker ASG, or an untagged one", () => {
    expect(can(master, asg("demo-master-0-asg"), groupTags("demo", "master"))).toBe(false);
    expect(can(master, asg("other-general-asg"), groupTags("other", "worker"))).toBe(false);
    expect(can(master, asg("loose-asg"), {})).toBe(false);
    // The EC2 instance tags are not the group's: they do not count.
    expect(
      can(master, asg("demo-general-asg"), {
        "aws:ResourceTag/k8sha.io/cluster": "demo",
        "aws:ResourceTag/k8sha.io/role": "worker",
      }),
    ).toBe(false);
  });

  test("the worker role may not, even on its own ASG", () => {
    expect(can(worker, asg("demo-general-asg"), groupTags("demo", "worker"))).toBe(false);
  });
});

test("a master may list the ASGs (no resource-level permissions); the worker role may not", () => {
  const describe = { action: "autoscaling:DescribeAutoScalingGroups", resource: "*" };
  expect(isAllowed([master], describe)).toBe(true);
  expect(isAllowed([worker], describe)).toBe(false);
  // Nothing else of Auto Scaling: no capacity or instance changes.
  for (const action of ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"])
    expect(
      isAllowed([master], {
        action,
        resource: asg("demo-general-asg"),
        context: groupTags("demo", "worker"),
      }),
    ).toBe(false);
});
