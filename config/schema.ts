/**
 * The schema of the cluster spec: every key of every section, and how each top-level key travels
 * in a stack file. Each list is written as an object typed from the spec (config/types.ts), so
 * the compiler refuses a key the spec does not have and a spec key the list forgets; the readers,
 * the stack decoder, the docs test and the wrapper's schema test all take their keys from here.
 */
import type { AwsAddon } from "../base/addons";
import type {
  AddonConfig,
  AddonsConfig,
  ApiConfig,
  BackupConfig,
  ClusterInput,
  ClusterSpec,
  CniConfig,
  EbsCsiDriverConfig,
  EtcdConfig,
  EtcdVolumeConfig,
  ExistingVpcConfig,
  LeaderElectionConfig,
  MastersConfig,
  MonitoringConfig,
  NetworkConfig,
  ReadinessGateConfig,
  RollingConfig,
  Taint,
  WorkerPoolConfig,
} from "./types";

/** Every key of T exactly once (optional keys included). */
type KeySet<T> = { readonly [K in keyof Required<T>]: true };

function keysOf<T>(set: KeySet<T>): readonly (keyof T & string)[] {
  return Object.keys(set) as (keyof T & string)[];
}

/** True only when A and B have the same keys: the caller's form and the resolved form never drift. */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const inputMatchesSpec: SameKeys<ClusterInput, ClusterSpec> = true;
void inputMatchesSpec;
/** The `addons` section has one key per AWS add-on, no more, no fewer. */
const addonsMatchAwsAddons: SameKeys<AddonsConfig, Record<AwsAddon, unknown>> = true;
void addonsMatchAwsAddons;

/** The keys of each section, by the name of the section's key path. */
export const SECTION_KEYS = {
  cluster: keysOf<ClusterSpec>({
    clusterName: true,
    region: true,
    availabilityZones: true,
    availabilityZoneCount: true,
    kubernetesVersion: true,
    imageId: true,
    extraInstanceTypes: true,
    network: true,
    api: true,
    masters: true,
    etcd: true,
    workerPools: true,
    leaderElection: true,
    backup: true,
    cni: true,
    readinessGate: true,
    rolling: true,
    monitoring: true,
    addons: true,
    tags: true,
  }),
  network: keysOf<NetworkConfig>({
    vpcCidr: true,
    natGateways: true,
    existingVpc: true,
    podCidr: true,
    serviceCidr: true,
  }),
  existingVpc: keysOf<ExistingVpcConfig>({
    vpcId: true,
    vpcCidr: true,
    publicSubnetIds: true,
    privateSubnetIds: true,
    privateSubnetCidrs: true,
  }),
  api: keysOf<ApiConfig>({ exposure: true, allowedCidrs: true, deletionProtection: true }),
  masters: keysOf<MastersConfig>({ count: true, allowNonHa: true, instanceType: true, rootVolumeGiB: true }),
  etcd: keysOf<EtcdConfig>({
    topology: true,
    members: true,
    version: true,
    releaseSha256: true,
    instanceType: true,
    rootVolumeGiB: true,
    volume: true,
    heartbeatIntervalMs: true,
    electionTimeoutMs: true,
    quotaBackendGiB: true,
  }),
  etcdVolume: keysOf<EtcdVolumeConfig>({ type: true, sizeGiB: true, iops: true, throughputMiBps: true }),
  workerPool: keysOf<WorkerPoolConfig>({
    name: true,
    instanceTypes: true,
    minSize: true,
    maxSize: true,
    desiredCapacity: true,
    spotPercentage: true,
    onDemandBaseCapacity: true,
    rootVolumeGiB: true,
    labels: true,
    taints: true,
    zonal: true,
  }),
  taint: keysOf<Taint>({ key: true, value: true, effect: true }),
  leaderElection: keysOf<LeaderElectionConfig>({
    leaseDurationSeconds: true,
    renewDeadlineSeconds: true,
    retryPeriodSeconds: true,
  }),
  backup: keysOf<BackupConfig>({
    intervalMinutes: true,
    keepAllDays: true,
    keepHourlyDays: true,
    keepDailyDays: true,
  }),
  cni: keysOf<CniConfig>({ provider: true, version: true }),
  readinessGate: keysOf<ReadinessGateConfig>({ enabled: true, timeoutMinutes: true }),
  rolling: keysOf<RollingConfig>({ enabled: true, timeoutMinutes: true, backupMaxAgeMinutes: true }),
  monitoring: keysOf<MonitoringConfig>({ enabled: true, emailSubscriptions: true, httpsSubscriptions: true }),
  addons: keysOf<AddonsConfig>({
    cloudControllerManager: true,
    ebsCsiDriver: true,
    clusterAutoscaler: true,
    nodeTerminationHandler: true,
  }),
  /** An add-on's own section: `addons.cloudControllerManager`, `addons.clusterAutoscaler`, ... */
  addon: keysOf<AddonConfig>({ enabled: true, version: true }),
  /** `addons.ebsCsiDriver`, which has a StorageClass switch besides. */
  ebsCsiDriver: keysOf<EbsCsiDriverConfig>({ enabled: true, version: true, defaultStorageClass: true }),
} as const;

/** How Pulumi hands a stack value over: plain strings, numbers as decimal text, the rest as JSON. */
export type StackEncoding = "string" | "number" | "json";

/**
 * Every key a stack file may set under the project's namespace, with its encoding. The region
 * is not one of them: it is the AWS provider's own `aws:region`.
 */
export const STACK_KEY_ENCODING: { readonly [K in Exclude<keyof ClusterSpec, "region">]: StackEncoding } = {
  clusterName: "string",
  availabilityZones: "json",
  availabilityZoneCount: "number",
  kubernetesVersion: "string",
  imageId: "string",
  extraInstanceTypes: "json",
  network: "json",
  api: "json",
  masters: "json",
  etcd: "json",
  workerPools: "json",
  leaderElection: "json",
  backup: "json",
  cni: "json",
  readinessGate: "json",
  rolling: "json",
  monitoring: "json",
  addons: "json",
  tags: "json",
};
