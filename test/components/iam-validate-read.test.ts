/**
 * What `k8sha-validate --on-master` reads with the master's role (components/iam/validateStatements.ts),
 * through the offline IAM evaluator: the target group's health (ELBv2 Describe has no resource-level
 * permissions) and this cluster's alarms only; nothing that changes an alarm or a target; workers get none of it.
 */
import { alarmNamePrefix } from "../../base/alarmNames";
import { isAllowed } from "../support/iam-evaluate";
import { master, worker } from "../support/iamFixtures";

const alarm = (name: string, region = "eu-west-1", account = "123456789012") =>
  `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
const tg = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/demo-api/0123456789abcdef";

test("a master reads this cluster's alarms, and no other alarm (not even of a cluster named demo-other)", () => {
  const read = (resource: string) => isAllowed([master], { action: "cloudwatch:DescribeAlarms", resource });
  expect(read(alarm(`${alarmNamePrefix("demo")}etcd-no-leader-0`))).toBe(true);
  expect(read(alarm(`${alarmNamePrefix("demo-other")}etcd-no-leader-0`))).toBe(false);
  expect(read(alarm("billing-alarm"))).toBe(false);
  expect(read(alarm(`${alarmNamePrefix("demo")}x`, "us-east-1"))).toBe(false);
  expect(read(alarm(`${alarmNamePrefix("demo")}x`, "eu-west-1", "210987654321"))).toBe(false);
});

test("a master reads the target group's health, and changes neither alarms nor targets", () => {
  expect(isAllowed([master], { action: "elasticloadbalancing:DescribeTargetHealth", resource: tg })).toBe(
    true,
  );
  for (const action of [
    "cloudwatch:SetAlarmState",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
  ])
    expect([action, isAllowed([master], { action, resource: alarm(`${alarmNamePrefix("demo")}x`) })]).toEqual(
      [action, false],
    );
  for (const action of ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"])
    expect([action, isAllowed([master], { action, resource: tg })]).toEqual([action, false]);
});

test("workers read neither", () => {
  expect(isAllowed([worker], { action: "elasticloadbalancing:DescribeTargetHealth", resource: tg })).toBe(
    false,
  );
  expect(
    isAllowed([worker], {
      action: "cloudwatch:DescribeAlarms",
      resource: alarm(`${alarmNamePrefix("demo")}x`),
    }),
  ).toBe(false);
});
