/** Good path: the real stack files parse to the intended typed values; omitted keys take the defaults. */
import { defaultAddonVersions } from "../../config/addon-versions";
import * as D from "../../config/defaults";
import { ConfigError } from "../../config/errors";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import { readStackConfig } from "../../synth/mockRuntime";

const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const defaultEtcd = {
  topology: "stacked" as const,
  members: 3,
  volume: { ...D.ETCD_DEFAULTS.volume },
  heartbeatIntervalMs: D.ETCD_DEFAULTS.heartbeatIntervalMs,
  electionTimeoutMs: D.ETCD_DEFAULTS.electionTimeoutMs,
  quotaBackendGiB: D.ETCD_DEFAULTS.quotaBackendGiB,
};
/** Every add-on on at the versions for `kubernetesVersion`, the CSI StorageClass the default. */
function defaultAddons(kubernetesVersion: string): ClusterSpec["addons"] {
  const v = defaultAddonVersions(kubernetesVersion);
  const on = (version: string) => ({ enabled: D.ADDON_DEFAULTS.enabled, version });
  return {
    cloudControllerManager: on(v.cloudControllerManager),
    ebsCsiDriver: {
      ...on(v.ebsCsiDriver),
      defaultStorageClass: D.ADDON_DEFAULTS.ebsCsiDriver.defaultStorageClass,
    },
    clusterAutoscaler: on(v.clusterAutoscaler),
    nodeTerminationHandler: on(v.nodeTerminationHandler),
  };
}

test("dev stack parses to the intended values", () => {
  const expected: ClusterSpec = {
    clusterName: "dev",
    region: "eu-west-1",
    availabilityZones: zones,
    availabilityZoneCount: 3,
    kubernetesVersion: D.DEFAULT_KUBERNETES_VERSION,
    extraInstanceTypes: [],
    network: {
      vpcCidr: "10.10.0.0/16",
      natGateways: "single",
      podCidr: "10.244.0.0/16",
      serviceCidr: "10.96.0.0/12",
    },
    api: { exposure: "public", allowedCidrs: ["0.0.0.0/0"], deletionProtection: false },
    masters: { count: 3, allowNonHa: false, instanceType: "t3.medium", rootVolumeGiB: 50 },
    etcd: defaultEtcd,
    workerPools: [
      {
        name: "general",
        instanceTypes: ["t3.medium", "t3a.medium"],
        minSize: 1,
        desiredCapacity: 2,
        maxSize: 3,
        onDemandBaseCapacity: 1,
        spotPercentage: 50,
        rootVolumeGiB: 50,
        labels: {},
        taints: [],
        zonal: false,
      },
    ],
    leaderElection: { ...D.LEADER_ELECTION_DEFAULTS },
    backup: { ...D.BACKUP_DEFAULTS },
    cni: { provider: "calico", version: D.CNI_VERSIONS.calico },
    readinessGate: { enabled: true, timeoutMinutes: 20 },
    // Two backup intervals (15 min by default) of snapshot age at most before a master rolls.
    rolling: {
      enabled: true,
      timeoutMinutes: 20,
      backupMaxAgeMinutes: 2 * D.BACKUP_DEFAULTS.intervalMinutes,
    },
    addons: defaultAddons(D.DEFAULT_KUBERNETES_VERSION),
    monitoring: { enabled: true, emailSubscriptions: [], httpsSubscriptions: [] },
    tags: {},
  };
  expect(parseConfig(readStackConfig("dev"))).toEqual(expected);
});

test("prod stack parses to the intended values", () => {
  const cfg = parseConfig(readStackConfig("prod"));
  expect(cfg).toMatchObject({
    clusterName: "prod",
    availabilityZones: zones,
    kubernetesVersion: "1.34.2",
    network: {
      vpcCidr: "10.64.0.0/16",
      natGateways: "perAz",
      podCidr: "10.128.0.0/11",
      serviceCidr: "10.96.0.0/12",
    },
    api: { exposure: "internal", allowedCidrs: ["172.16.0.0/12"], deletionProtection: true },
    masters: { count: 3, allowNonHa: false, instanceType: "m6i.xlarge", rootVolumeGiB: 100 },
    etcd: {
      topology: "stacked",
      members: 3,
      volume: { type: "gp3", sizeGiB: 50, iops: 6000, throughputMiBps: 250 },
      heartbeatIntervalMs: D.ETCD_DEFAULTS.heartbeatIntervalMs,
      quotaBackendGiB: 8,
    },
    readinessGate: { enabled: false, timeoutMinutes: D.READINESS_GATE_DEFAULTS.timeoutMinutes },
    addons: defaultAddons("1.34.2"),
    monitoring: { enabled: true, emailSubscriptions: [], httpsSubscriptions: [] },
    tags: { "cost-center": "4711", environment: "production", owner: "platform-team" },
  });
  const [general, system] = cfg.workerPools;
  expect(cfg.workerPools).toHaveLength(2);
  expect(general).toMatchObject({
    name: "general",
    onDemandBaseCapacity: 3,
    spotPercentage: 70,
    maxSize: 1000,
  });
  expect(general.instanceTypes.length).toBeGreaterThan(1);
  expect(system).toMatchObject({
    name: "system",
    spotPercentage: 0,
    labels: { "k8sha.io/pool": "system" },
    taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }],
  });
});

test("prod sizing: the private subnets hold 5,000 nodes and the pod range 150,000 pods", () => {
  const cfg = parseConfig(readStackConfig("prod"));
  const prefix = (cidr: string) => Number(cidr.split("/")[1]);
  // Private subnets are vpc/+4 (components/network.ts subnetLayout); AWS reserves 5 addresses each.
  const nodeAddresses = cfg.availabilityZoneCount * (2 ** (32 - prefix(cfg.network.vpcCidr) - 4) - 5);
  expect(nodeAddresses).toBeGreaterThanOrEqual(5000);
  const podAddresses = 2 ** (32 - prefix(cfg.network.podCidr));
  expect(podAddresses).toBeGreaterThanOrEqual(150000);
  // Each node takes a /24 of the pod range: room for 5,000 nodes.
  expect(2 ** (24 - prefix(cfg.network.podCidr))).toBeGreaterThanOrEqual(5000);
});

test("a minimal stack gets every default", () => {
  const cfg = parseConfig({ "aws:region": "us-east-1", "k8s-ha:clusterName": "mini", "aws:profile": "x" });
  expect(cfg).toEqual({
    clusterName: "mini",
    region: "us-east-1",
    availabilityZoneCount: D.DEFAULT_AVAILABILITY_ZONE_COUNT,
    kubernetesVersion: D.DEFAULT_KUBERNETES_VERSION,
    extraInstanceTypes: [],
    network: { ...D.NETWORK_DEFAULTS },
    api: {
      exposure: D.API_DEFAULTS.exposure,
      allowedCidrs: [...D.API_DEFAULTS.allowedCidrs],
      deletionProtection: D.API_DEFAULTS.deletionProtection,
    },
    masters: { ...D.MASTER_DEFAULTS },
    etcd: defaultEtcd,
    workerPools: [
      {
        name: D.DEFAULT_WORKER_POOL_NAME,
        ...D.WORKER_POOL_DEFAULTS,
        instanceTypes: [...D.WORKER_POOL_DEFAULTS.instanceTypes],
        labels: {},
        taints: [],
      },
    ],
    leaderElection: { ...D.LEADER_ELECTION_DEFAULTS },
    backup: { ...D.BACKUP_DEFAULTS },
    cni: { provider: D.CNI_DEFAULTS.provider, version: D.CNI_VERSIONS[D.CNI_DEFAULTS.provider] },
    readinessGate: { ...D.READINESS_GATE_DEFAULTS },
    rolling: {
      enabled: D.ROLLING_DEFAULTS.enabled,
      timeoutMinutes: D.ROLLING_DEFAULTS.timeoutMinutes,
      backupMaxAgeMinutes: D.ROLLING_DEFAULTS.backupMaxAgeIntervals * D.BACKUP_DEFAULTS.intervalMinutes,
    },
    addons: defaultAddons(D.DEFAULT_KUBERNETES_VERSION),
    monitoring: { enabled: true, emailSubscriptions: [], httpsSubscriptions: [] },
    tags: {},
  });
  expect(cfg.availabilityZones).toBeUndefined();
});

test("one master is accepted only with allowNonHa, and the CNI version follows the provider", () => {
  const cfg = parseConfig({
    "aws:region": "eu-west-1",
    "k8s-ha:clusterName": "solo",
    "k8s-ha:availabilityZoneCount": "1",
    "k8s-ha:masters": JSON.stringify({ count: 1, allowNonHa: true }),
    "k8s-ha:cni": JSON.stringify({ provider: "cilium" }),
  });
  expect(cfg.masters.count).toBe(1);
  expect(cfg.cni).toEqual({ provider: "cilium", version: D.CNI_VERSIONS.cilium });
});

test("every problem is reported at once, one line each", () => {
  const values = {
    ...readStackConfig("dev"),
    "k8s-ha:clusterName": "Bad_Name",
    "k8s-ha:masters": JSON.stringify({ count: 4 }),
    "k8s-ha:cni": JSON.stringify({ provider: "weave" }),
  };
  expect(() => parseConfig(values)).toThrow(ConfigError);
  try {
    parseConfig(values);
  } catch (e) {
    const error = e as ConfigError;
    expect(error.problems.map((p) => p.key)).toEqual([
      "k8s-ha:clusterName",
      "k8s-ha:masters.count",
      "k8s-ha:cni.provider",
    ]);
    expect(error.message.split("\n")).toHaveLength(4);
  }
});
