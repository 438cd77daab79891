/** The boot-failure alarms per role: the stacked roles by default, the etcd nodes' only when asked for. */
import { BOOT_FAILURE_ROLES } from "../../base/healthMetrics";
import { bootFailureAlarms } from "../../components/monitoring/alarmSpecs";

test("by default one alarm for masters and one for workers, as before the etcd role existed", () => {
  const alarms = bootFailureAlarms("demo");
  expect(alarms.map((a) => [a.id, a.dimensions])).toEqual([
    ["boot-failed-0", { ClusterName: "demo", Role: "master" }],
    ["boot-failed-1", { ClusterName: "demo", Role: "worker" }],
  ]);
});

test("every boot role, etcd nodes included, gets its own alarm pointing at its own log folder", () => {
  const alarms = bootFailureAlarms("demo", BOOT_FAILURE_ROLES);
  const etcd = alarms.find((a) => a.dimensions.Role === "etcd");
  expect(alarms).toHaveLength(3);
  expect(etcd?.id).toBe("boot-failed-2");
  expect(etcd?.description).toContain("demo/boot-logs/etcd/<instance-id>.log");
});
