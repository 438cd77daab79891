/**
 * etcd.*: the topology and its member count, release and release digest, the data volume within current EBS
 * limits, and etcd's own timing and quota rules.
 */
import { ETCD_DEFAULTS } from "./defaults";
import {
  defaultEtcdVersion,
  etcdReleaseSha256Problem,
  etcdVersionProblem,
  pinnedEtcdReleaseSha256,
} from "./etcd-versions";
import { instanceTypeProblem } from "./instance-types";
import {
  EBS_LIMITS,
  ETCD_ELECTION_MAX_MS,
  ETCD_ELECTION_MIN_FACTOR,
  ETCD_HEARTBEAT_MS,
  ETCD_QUOTA_GIB,
  GP3_BASELINE,
  ROOT_VOLUME_GIB,
} from "./limits";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import { kubernetesMinor } from "./semver";
import type { EtcdConfig, EtcdTopology, EtcdVolumeConfig, EtcdVolumeType, MastersConfig } from "./types";

const TOPOLOGIES: readonly EtcdTopology[] = ["stacked", "external"];
const EXTERNAL_MEMBER_COUNTS: readonly number[] = [3, 5, 7];

/** What the etcd rules need from the rest of the stack. */
export interface EtcdContext {
  masters: Pick<MastersConfig, "count">;
  availabilityZoneCount: number;
  kubernetesVersion: string;
  /** `extraInstanceTypes`: instance types accepted beyond the known list. */
  extraInstanceTypes: ReadonlySet<string>;
}

const VOLUME_TYPES: readonly EtcdVolumeType[] = ["gp3", "io1", "io2"];
const REFUSED_TYPES = {
  gp2: "gp2 is refused: once its burst credits run out it drops to 3 IOPS per GiB, and etcd needs steady fsync latency (p99 < 10 ms)",
  st1: "HDD volumes cannot meet etcd's fsync latency",
  sc1: "HDD volumes cannot meet etcd's fsync latency",
  standard: "magnetic volumes cannot meet etcd's fsync latency",
};

function within(
  section: Section,
  key: string,
  value: number,
  min: number,
  max: number,
  unit: string,
  why = "",
) {
  if (value < min || value > max) section.reject(key, `${min}-${max} ${unit}${why}`);
}

function readVolume(etcd: Section): EtcdVolumeConfig {
  const v = etcd.section("volume", SECTION_KEYS.etcdVolume);
  const d = ETCD_DEFAULTS.volume;
  const type = v.oneOf("type", d.type, VOLUME_TYPES, REFUSED_TYPES);
  const limits = EBS_LIMITS[type];
  const sizeGiB = v.number("sizeGiB", d.sizeGiB);
  within(v, "sizeGiB", sizeGiB, limits.sizeGiB.min, limits.sizeGiB.max, `GiB for ${type}`);
  const iops = v.number("iops", d.iops);
  // gp3's 3,000 IOPS baseline comes with any size; only IOPS above it are bound by the ratio.
  const floor = type === "gp3" ? GP3_BASELINE.iops : 0;
  const iopsMax = Math.min(limits.iops.max, Math.max(floor, sizeGiB * limits.iopsPerGiB));
  within(
    v,
    "iops",
    iops,
    limits.iops.min,
    iopsMax,
    `IOPS for ${type} of ${sizeGiB} GiB`,
    ` (at most ${limits.iopsPerGiB} IOPS per GiB, ${limits.iops.max} in total)`,
  );
  const throughputMiBps = v.number("throughputMiBps", d.throughputMiBps);
  const tp = limits.throughputMiBps;
  if (!tp) {
    if (v.has("throughputMiBps")) v.reject("throughputMiBps", `only for gp3; remove it for ${type}`);
  } else {
    const tpMax = Math.min(tp.max, Math.max(GP3_BASELINE.throughputMiBps, iops * tp.perIops));
    within(
      v,
      "throughputMiBps",
      throughputMiBps,
      tp.min,
      tpMax,
      `MiB/s for gp3 with ${iops} IOPS`,
      ` (at most ${tp.perIops} MiB/s per IOPS, ${tp.max} in total)`,
    );
  }
  return { type, sizeGiB, iops, throughputMiBps };
}

type Placement = Pick<
  EtcdConfig,
  "topology" | "members" | "version" | "releaseSha256" | "instanceType" | "rootVolumeGiB"
>;

function readStacked(etcd: Section, context: EtcdContext): Placement {
  const why = "only with etcd.topology external; stacked runs one member per master";
  // Equal to masters.count it says what stacked means anyway (a resolved spec read again says so).
  const members = etcd.raw("members");
  if (members !== undefined && members !== context.masters.count) {
    etcd.reject("members", `${why} (masters.count, ${context.masters.count}, sets it); remove it`);
  }
  const image = `${why}, on the etcd image kubeadm picks; remove it`;
  if (etcd.has("version")) etcd.reject("version", image);
  if (etcd.has("releaseSha256")) etcd.reject("releaseSha256", image);
  const node = `${why}, on the masters; remove it`;
  if (etcd.has("instanceType")) etcd.reject("instanceType", node);
  if (etcd.has("rootVolumeGiB")) etcd.reject("rootVolumeGiB", node);
  return { topology: "stacked", members: context.masters.count };
}

function readExternal(etcd: Section, context: EtcdContext): Placement {
  const members = etcd.number("members", ETCD_DEFAULTS.externalMembers);
  if (!EXTERNAL_MEMBER_COUNTS.includes(members)) {
    etcd.reject("members", `one of ${EXTERNAL_MEMBER_COUNTS.join(", ")}: an odd quorum of at least three`);
  } else if (members > context.availabilityZoneCount) {
    etcd.reject(
      "members",
      `at most the number of availability zones (${context.availabilityZoneCount}): one member per zone, so losing a zone loses one vote`,
    );
  }
  const minor = kubernetesMinor(context.kubernetesVersion);
  const fallback = minor === undefined ? undefined : defaultEtcdVersion(minor);
  let version: string | undefined;
  // The release a digest is required for and compared against: only one that passed its range.
  let accepted: string | undefined;
  if (minor !== undefined && fallback !== undefined) {
    version = etcd.string("version", fallback);
    const problem = etcdVersionProblem(version, minor);
    if (problem) etcd.reject("version", problem);
    else accepted = version;
  } else {
    // No range to check it against (kubernetesVersion is reported on its own key), but its type is.
    const raw = etcd.raw("version");
    if (typeof raw === "string") version = raw;
    else if (raw !== undefined) etcd.reject("version", "must be a string (quote it in YAML)");
  }
  const releaseSha256 = readReleaseSha256(etcd, accepted);
  const instanceType = etcd.string("instanceType", ETCD_DEFAULTS.nodeInstanceType);
  const typeProblem = instanceTypeProblem(instanceType, context.extraInstanceTypes);
  if (typeProblem) etcd.reject("instanceType", typeProblem);
  const rootVolumeGiB = etcd.number("rootVolumeGiB", ETCD_DEFAULTS.nodeRootVolumeGiB);
  within(etcd, "rootVolumeGiB", rootVolumeGiB, ROOT_VOLUME_GIB.min, ROOT_VOLUME_GIB.max, "GiB");
  return {
    topology: "external",
    members,
    instanceType,
    rootVolumeGiB,
    ...(version === undefined ? {} : { version }),
    ...(releaseSha256 === undefined ? {} : { releaseSha256 }),
  };
}

/**
 * The digest the etcd node checks the release tarball against: the stack's own, else the one
 * pinned in config/etcd-versions.ts (the only place a default digest lives).
 */
function readReleaseSha256(etcd: Section, version: string | undefined): string | undefined {
  const given = etcd.raw("releaseSha256");
  const problem = etcdReleaseSha256Problem(given, version);
  if (problem) {
    etcd.reject("releaseSha256", problem);
    return undefined;
  }
  if (typeof given === "string") return given;
  return version === undefined ? undefined : pinnedEtcdReleaseSha256(version);
}

export function readEtcd(root: Section, context: EtcdContext): EtcdConfig {
  const etcd = root.section("etcd", SECTION_KEYS.etcd);
  const topology = etcd.oneOf("topology", ETCD_DEFAULTS.topology, TOPOLOGIES);
  const placement = topology === "external" ? readExternal(etcd, context) : readStacked(etcd, context);
  const volume = readVolume(etcd);
  const heartbeatIntervalMs = etcd.number("heartbeatIntervalMs", ETCD_DEFAULTS.heartbeatIntervalMs);
  within(
    etcd,
    "heartbeatIntervalMs",
    heartbeatIntervalMs,
    ETCD_HEARTBEAT_MS.min,
    ETCD_HEARTBEAT_MS.max,
    "ms",
  );
  const electionTimeoutMs = etcd.number("electionTimeoutMs", ETCD_DEFAULTS.electionTimeoutMs);
  const electionMin = ETCD_ELECTION_MIN_FACTOR * heartbeatIntervalMs;
  within(
    etcd,
    "electionTimeoutMs",
    electionTimeoutMs,
    electionMin,
    ETCD_ELECTION_MAX_MS,
    "ms",
    ` (etcd refuses an election timeout below ${ETCD_ELECTION_MIN_FACTOR}x the heartbeat, or above ${ETCD_ELECTION_MAX_MS})`,
  );
  const quotaBackendGiB = etcd.number("quotaBackendGiB", ETCD_DEFAULTS.quotaBackendGiB, false);
  within(
    etcd,
    "quotaBackendGiB",
    quotaBackendGiB,
    ETCD_QUOTA_GIB.min,
    ETCD_QUOTA_GIB.max,
    "GiB",
    " (etcd suggests at most 8)",
  );
  // Defragmentation writes a compacted copy beside the database, so the volume needs twice the quota.
  if (quotaBackendGiB >= ETCD_QUOTA_GIB.min && volume.sizeGiB < 2 * quotaBackendGiB) {
    etcd.reject(
      "quotaBackendGiB",
      `at most half of etcd.volume.sizeGiB (${volume.sizeGiB}): defragmentation needs room for a second copy`,
    );
  }
  return { ...placement, volume, heartbeatIntervalMs, electionTimeoutMs, quotaBackendGiB };
}
