/**
 * parseConfig: stack config strings in, a validated, fully defaulted ClusterConfig out,
 * or one ConfigError listing every problem. Pure (no Pulumi runtime), so tests call it directly.
 */
import { DEFAULT_KUBERNETES_VERSION } from "./defaults";
import { Problems } from "./errors";
import { Section } from "./reader";
import type { ClusterConfig } from "./types";
import { readCni, readReadinessGate } from "./validate-addons";
import { readClusterName, readKubernetesVersion, readPlacement, readRegion } from "./validate-cluster";
import { readEtcd } from "./validate-etcd";
import { readMasters } from "./validate-masters";
import { readApi, readNetwork } from "./validate-network";
import { readBackup, readLeaderElection } from "./validate-operations";
import { readTags } from "./validate-tags";
import { readWorkerPools } from "./validate-workers";

/** The project's config namespace (the `name` in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "k8s-ha";

/**
 * Every top-level key and how Pulumi hands it over: plain strings stay strings, numbers
 * arrive as decimal strings, lists and objects as JSON text.
 */
const TOP_LEVEL_KEYS = {
  clusterName: "string",
  availabilityZones: "json",
  availabilityZoneCount: "number",
  kubernetesVersion: "string",
  network: "json",
  api: "json",
  masters: "json",
  etcd: "json",
  workerPools: "json",
  leaderElection: "json",
  backup: "json",
  cni: "json",
  readinessGate: "json",
  tags: "json",
} as const;
type TopLevelKey = keyof typeof TOP_LEVEL_KEYS;

function isTopLevelKey(key: string): key is TopLevelKey {
  return Object.hasOwn(TOP_LEVEL_KEYS, key);
}

/** Decodes one raw string; undecodable JSON is kept as the string so the reader reports its type. */
function decode(kind: (typeof TOP_LEVEL_KEYS)[TopLevelKey], raw: string): unknown {
  if (kind === "string") return raw;
  if (kind === "number") return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Turns `k8s-ha:*` strings into decoded values, rejecting keys this project does not have. */
function decodeTopLevel(values: Record<string, string>, problems: Problems): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const decoded: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(values)) {
    if (!fullKey.startsWith(prefix)) continue; // aws:*, pulumi:* and other namespaces are not ours
    const key = fullKey.slice(prefix.length);
    if (isTopLevelKey(key)) decoded[key] = decode(TOP_LEVEL_KEYS[key], raw);
    else
      problems.add(
        fullKey,
        raw,
        `unknown key "${key}"; allowed keys: ${Object.keys(TOP_LEVEL_KEYS).join(", ")}`,
      );
  }
  return decoded;
}

/** Validates and defaults a stack's config (`project:key` -> string, as Pulumi passes it). */
export function parseConfig(values: Record<string, string>): ClusterConfig {
  const problems = new Problems();
  const root = Section.root(problems, `${CONFIG_NAMESPACE}:`, decodeTopLevel(values, problems));
  const clusterName = readClusterName(root);
  const region = readRegion(problems, values["aws:region"]);
  const placement = readPlacement(root, clusterName, region);
  const config: ClusterConfig = {
    ...placement,
    kubernetesVersion: readKubernetesVersion(root, DEFAULT_KUBERNETES_VERSION),
    network: readNetwork(root, placement),
    api: readApi(root),
    masters: readMasters(root, placement),
    etcd: readEtcd(root),
    workerPools: readWorkerPools(root),
    leaderElection: readLeaderElection(root),
    backup: readBackup(root),
    cni: readCni(root),
    readinessGate: readReadinessGate(root),
    tags: readTags(root),
  };
  problems.throwIfAny();
  return config;
}
