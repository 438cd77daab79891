/**
 * resolveClusterSpec: any caller's input (a decoded stack file, Cluster component args, the
 * multi-language wrapper's args) in, a validated, fully defaulted ClusterSpec out, or one
 * ConfigError listing every problem by key, value and what is allowed. Pure: no Pulumi runtime.
 *
 * Validation runs once per spec: a resolved spec is frozen and remembered, so handing it on
 * (program.ts -> Cluster) does not validate it again.
 */
import { DEFAULT_KUBERNETES_VERSION } from "./defaults";
import { Problems } from "./errors";
import { isPlainObject, Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { ClusterSpec } from "./types";
import { readCni, readReadinessGate } from "./validate-addons";
import { readAddons } from "./validate-aws-addons";
import {
  readClusterName,
  readImageId,
  readKubernetesVersion,
  readPlacement,
  readRegion,
} from "./validate-cluster";
import { readEtcd } from "./validate-etcd";
import { readExtraInstanceTypes, readMasters } from "./validate-masters";
import { readMonitoring } from "./validate-monitoring";
import { checkEtcdNodeSubnets, readApi, readNetwork } from "./validate-network";
import { readBackup, readLeaderElection, readRolling } from "./validate-operations";
import { readTags } from "./validate-tags";
import { checkWorkerGroupTags } from "./validate-worker-tags";
import { readWorkerPools } from "./validate-workers";

/** The project's config namespace (the `name` in Pulumi.yaml); every key path starts with it. */
export const CONFIG_NAMESPACE = "k8s-ha";
const ROOT_PATH = `${CONFIG_NAMESPACE}:`;

const resolvedSpecs = new WeakSet<object>();

/** True for a spec this module produced (and froze), which needs no second validation. */
export function isResolvedSpec(value: unknown): value is ClusterSpec {
  return typeof value === "object" && value !== null && resolvedSpecs.has(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates and defaults `input`. `problems` lets a caller that found problems of its own
 * first (the stack decoder's unknown keys) report them in the same error.
 */
export function resolveClusterSpec(input: unknown, problems = new Problems()): ClusterSpec {
  if (isResolvedSpec(input)) return input;
  const data: Record<string, unknown> = isPlainObject(input) ? input : {};
  if (!isPlainObject(input)) problems.add(ROOT_PATH, input, "must be an object with the cluster's settings");
  const { region: givenRegion, ...rest } = data;
  const root = Section.open(problems, ROOT_PATH, rest, SECTION_KEYS.cluster);
  const clusterName = readClusterName(root);
  const region = readRegion(problems, typeof givenRegion === "string" ? givenRegion : undefined);
  const placement = readPlacement(root, clusterName, region);
  const extraInstanceTypes = readExtraInstanceTypes(root);
  const extra = new Set(extraInstanceTypes);
  const backup = readBackup(root);
  const kubernetesVersion = readKubernetesVersion(root, DEFAULT_KUBERNETES_VERSION);
  const masters = readMasters(root, placement, extra);
  const spec: ClusterSpec = {
    ...placement,
    kubernetesVersion,
    ...(root.has("imageId") ? { imageId: readImageId(root) } : {}),
    extraInstanceTypes,
    network: readNetwork(root, placement),
    api: readApi(root),
    masters,
    etcd: readEtcd(root, {
      masters,
      availabilityZoneCount: placement.availabilityZoneCount,
      kubernetesVersion,
      extraInstanceTypes: extra,
    }),
    workerPools: readWorkerPools(root, extra),
    leaderElection: readLeaderElection(root),
    backup,
    cni: readCni(root),
    readinessGate: readReadinessGate(root),
    rolling: readRolling(root, backup),
    monitoring: readMonitoring(root),
    addons: readAddons(root, kubernetesVersion),
    tags: readTags(root),
  };
  // The etcd nodes' subnets need the topology, which is read after the network.
  checkEtcdNodeSubnets(problems, root.keyPath("network"), spec.network, spec.etcd);
  // Worker ASG tags combine the pools and the stack's tags, so they are judged once both are read.
  checkWorkerGroupTags(
    problems,
    { poolsPath: root.keyPath("workerPools"), tagsPath: root.keyPath("tags") },
    clusterName,
    spec.tags,
    spec.workerPools,
  );
  problems.throwIfAny();
  resolvedSpecs.add(deepFreeze(spec));
  return spec;
}
