/**
 * The monitoring building blocks on their own: ARN suffixes in AWS's real formats, the quorum
 * thresholds for 1, 3 and 5 masters, the launch-failure event pattern, and that every alarm spec
 * watches a metric the node side or AWS publishes under the shared names.
 */
import { BACKUP_METRICS, HEALTH_METRICS, METRICS_NAMESPACE } from "../../base/healthMetrics";
import { alarmSpecs } from "../../components/monitoring/alarmSpecs";
import { launchFailurePattern } from "../../components/monitoring/launchFailures";

const input = (masterCount: number) => ({
  clusterName: "c",
  masterCount,
  masterZones: ["z-a", "z-b", "z-c", "z-d", "z-e"].slice(0, masterCount),
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
  // Boot failures are per role, whatever the zones and the master count.
  expect(specs.filter((s) => s.kind === "boot-failed")).toHaveLength(2);
});

test("alarm ids are unique and every K8sHA alarm watches a shared metric name", () => {
  const specs = alarmSpecs(input(3));
  expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
  const shared = new Set<string>([...Object.values(HEALTH_METRICS), ...Object.values(BACKUP_METRICS)]);
  for (const s of specs.filter((x) => x.namespace === "K8sHA")) expect(shared.has(s.metricName)).toBe(true);
  // Every shared per-master metric but BootFailed (any node, per role) has a per-master-zone alarm.
  const perMaster = new Set(
    specs.filter((s) => s.dimensions.AvailabilityZone === "z-a").map((s) => s.metricName),
  );
  for (const m of Object.values(HEALTH_METRICS).filter((x) => x !== HEALTH_METRICS.bootFailed))
    expect([m, perMaster.has(m)]).toEqual([m, true]);
  expect(perMaster.has(HEALTH_METRICS.bootFailed)).toBe(false);
});

test("the launch-failure pattern matches only the named ASGs' unsuccessful launches", () => {
  expect(JSON.parse(launchFailurePattern(["b", "a"]))).toEqual({
    source: ["aws.autoscaling"],
    "detail-type": ["EC2 Instance Launch Unsuccessful"],
    detail: { AutoScalingGroupName: ["a", "b"] },
  });
});

test("one BootFailed alarm per role: ClusterName + Role, Sum >= 1 over 5 minutes, missing = OK", () => {
  const boot = alarmSpecs(input(3)).filter((s) => s.metricName === HEALTH_METRICS.bootFailed);
  expect(boot.map((s) => s.dimensions)).toEqual([
    { ClusterName: "c", Role: "master" },
    { ClusterName: "c", Role: "worker" },
  ]);
  for (const s of boot) {
    const role = String(s.dimensions.Role);
    expect(s).toMatchObject({
      kind: "boot-failed",
      namespace: METRICS_NAMESPACE,
      statistic: "Sum",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
    // Never an instance id or a zone: the alarm outlives every node it watches.
    expect(Object.keys(s.dimensions).sort()).toEqual(["ClusterName", "Role"]);
    // What to do: the log tail's key and the runbook.
    expect(s.description).toContain(`c/boot-logs/${role}/<instance-id>.log`);
    expect(s.description).toContain("docs/boot-failures.md");
    expect(s.description).toContain("k8sha.io/boot-status=failed:<step>");
  }
  // Ids the graph test's `kind-<n>` convention reads back as the kind.
  expect(boot.map((s) => s.id)).toEqual(["boot-failed-0", "boot-failed-1"]);
});
