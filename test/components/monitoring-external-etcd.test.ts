/**
 * The alarms of the external etcd topology (components/monitoring/alarmSpecs.ts with `etcdNodes`):
 * the etcd alarms move to the etcd nodes' zones with the etcd member count's quorum, the etcd
 * nodes get group, certificate (Role=etcd) and boot-failure alarms, and the masters keep their
 * control-plane alarms. Without `etcdNodes` (stacked) the specs are exactly what they were.
 */
import { bootFailureDimensions } from "../../base/healthMetrics";
import { type AlarmSpecInput, alarmSpecs } from "../../components/monitoring/alarmSpecs";

const masters: AlarmSpecInput = {
  clusterName: "ext",
  masterCount: 3,
  masterZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  masterAsgNames: ["ext-master-0", "ext-master-1", "ext-master-2"],
  loadBalancerArnSuffix: "net/ext/1",
  targetGroupArnSuffix: "targetgroup/ext/2",
  backupIntervalMinutes: 60,
};
const etcdZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e"];
const external: AlarmSpecInput = {
  ...masters,
  etcdNodes: { zones: etcdZones, asgNames: etcdZones.map((_, i) => `ext-etcd-${i}`) },
};
const ofKind = (specs: ReturnType<typeof alarmSpecs>, kind: string) => specs.filter((s) => s.kind === kind);
const zoneOf = (s: ReturnType<typeof alarmSpecs>[number]) => s.dimensions.AvailabilityZone;

test("etcd alarms watch the five etcd nodes' zones, with quorum 3; control-plane alarms the three masters'", () => {
  const specs = alarmSpecs(external);
  for (const kind of ["etcd-no-leader", "etcd-members", "etcd-wal-fsync", "etcd-db-size"])
    expect(ofKind(specs, kind).map(zoneOf)).toEqual(etcdZones);
  expect(ofKind(specs, "etcd-members").map((s) => s.threshold)).toEqual([3, 3, 3, 3, 3]);
  for (const kind of ["apiserver-not-ready", "scheduler-unhealthy", "certificate-expiry"])
    expect(ofKind(specs, kind).map(zoneOf)).toEqual(masters.masterZones);
});

test("each etcd node's group, certificates and boots have an alarm", () => {
  const specs = alarmSpecs(external);
  expect(ofKind(specs, "etcd-node-asg-empty").map((s) => s.dimensions.AutoScalingGroupName)).toEqual(
    external.etcdNodes?.asgNames,
  );
  const certs = ofKind(specs, "etcd-node-certificate-expiry");
  expect(certs.map((s) => s.dimensions)).toEqual(
    etcdZones.map((zone) => ({ ClusterName: "ext", AvailabilityZone: zone, Role: "etcd" })),
  );
  expect(ofKind(specs, "boot-failed").map((s) => s.dimensions)).toContainEqual(
    bootFailureDimensions("ext", "etcd"),
  );
  expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
});

test("stacked: no etcd-node alarm and no etcd boot-failure alarm; etcd alarms in the masters' zones", () => {
  const specs = alarmSpecs(masters);
  expect(specs.filter((s) => s.kind.startsWith("etcd-node"))).toEqual([]);
  expect(ofKind(specs, "boot-failed").map((s) => s.dimensions)).not.toContainEqual(
    bootFailureDimensions("ext", "etcd"),
  );
  expect(ofKind(specs, "etcd-members").map(zoneOf)).toEqual(masters.masterZones);
  expect(ofKind(specs, "etcd-members").map((s) => s.threshold)).toEqual([2, 2, 2]);
});
