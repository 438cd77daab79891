/**
 * The monitoring building blocks on their own: ARN suffixes in AWS's real formats, the quorum
 * thresholds for 1, 3 and 5 masters, the launch-failure event pattern, and that every alarm spec
 * watches a metric the node side or AWS publishes under the shared names.
 */
import { BACKUP_METRICS, HEALTH_METRICS } from "../../base/healthMetrics";
import { alarmSpecs } from "../../components/monitoring/alarmSpecs";
import { launchFailurePattern } from "../../components/monitoring/launchFailures";

const input = (masterCount: number) => ({
  clusterName: "c",
  masterCount,
  masterZones: ["z-a", "z-b", "z-c", "z-d", "z-e"].slice(0, masterCount),
  clusterZones: ["z-a", "z-b", "z-c", "z-d", "z-e"],
  masterAsgNames: Array.from({ length: masterCount }, (_, i) => `c-master-${i}`),
  loadBalancerArnSuffix: "net/c-api/1",
  targetGroupArnSuffix: "targetgroup/c-api-tg/2",
  backupIntervalMinutes: 15,
});

test.each([
  [1, 1],
  [3, 2],
  [5, 3],
])("%i masters: quorum %i for the critical healthy-host and member alarms", (masters, quorum) => {
  const specs = alarmSpecs(input(masters));
  expect(specs.find((s) => s.id === "api-healthy-below-quorum")?.threshold).toBe(quorum);
  expect(specs.find((s) => s.id === "api-healthy-below-masters")?.threshold).toBe(masters);
  const members = specs.filter((s) => s.kind === "etcd-members");
  expect(members).toHaveLength(masters);
  for (const m of members) expect(m.threshold).toBe(quorum);
  expect(specs.filter((s) => s.kind === "boot-failed")).toHaveLength(5);
});

test("alarm ids are unique and every K8sHA alarm watches a shared metric name", () => {
  const specs = alarmSpecs(input(3));
  expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
  const shared = new Set<string>([...Object.values(HEALTH_METRICS), ...Object.values(BACKUP_METRICS)]);
  for (const s of specs.filter((x) => x.namespace === "K8sHA")) expect(shared.has(s.metricName)).toBe(true);
  // Every shared per-master metric but BootFailed (any node) has a per-master-zone alarm.
  const perMaster = new Set(
    specs.filter((s) => s.dimensions.AvailabilityZone === "z-a").map((s) => s.metricName),
  );
  for (const m of Object.values(HEALTH_METRICS)) expect(perMaster.has(m)).toBe(true);
});

test("the launch-failure pattern matches only the named ASGs' unsuccessful launches", () => {
  expect(JSON.parse(launchFailurePattern(["b", "a"]))).toEqual({
    source: ["aws.autoscaling"],
    "detail-type": ["EC2 Instance Launch Unsuccessful"],
    detail: { AutoScalingGroupName: ["a", "b"] },
  });
});
