/**
 * The tags of a worker pool's ASG against AWS's tag limits, before any resource: each pool's ASG
 * (each zone's, for a `zonal` pool: they carry the same tags) gets the project's node tags, the
 * stack's `tags` and the cluster-autoscaler's discovery and node-template tags, one per label
 * and taint. A long label or taint key makes a node-template key AWS refuses, and enough labels,
 * taints and tags together make more tags than a group may carry; AWS would only say so in
 * `pulumi up`, after other resources exist.
 */
import { AUTOSCALER_TAG, autoscalerTags } from "../base/autoscaler";
import { POOL_LABEL } from "../base/labels";
import { nodeTags } from "../base/nodeTags";
import type { Problems } from "./errors";
import { ASG_TAG_LIMITS } from "./limits";
import { mapEntryPath } from "./reader";
import type { WorkerPoolConfig } from "./types";

/** The two parts of a worker ASG's tag list (components/nodes/nodeGroup.ts `groupTags`). */
export interface WorkerGroupTags {
  /** Propagated to the instances: cluster, ownership, role, pool, `Name` and the stack's `tags`. */
  nodeTags: Record<string, string>;
  /** On the ASG only: discovery and node template (base/autoscaler.ts `autoscalerTags`). */
  autoscalerTags: Record<string, string>;
}

type PoolTagInput = Pick<WorkerPoolConfig, "name" | "labels" | "taints">;

/**
 * The tags one ASG of `pool` carries: the node tags the pool gives its group (base/nodeTags.ts,
 * the same call components/nodes/workerPool.ts makes) and the autoscaler tags, with the pool
 * label added as the pool adds it (test/config/worker-group-tags.test.ts compares both with the
 * ASGs the program registers).
 */
export function workerGroupTags(
  clusterName: string,
  tags: Record<string, string>,
  pool: PoolTagInput,
): WorkerGroupTags {
  return {
    nodeTags: nodeTags({
      clusterName,
      tags,
      role: "worker",
      roleTags: { [POOL_LABEL]: pool.name },
      name: `${clusterName}-${pool.name}`,
    }),
    autoscalerTags: autoscalerTags(clusterName, { ...pool.labels, [POOL_LABEL]: pool.name }, pool.taints),
  };
}

const LABEL_TAG_PREFIX = `${AUTOSCALER_TAG}/node-template/label/`;
const TAINT_TAG_PREFIX = `${AUTOSCALER_TAG}/node-template/taint/`;
const { keyMax, valueMax, maxTags } = ASG_TAG_LIMITS;
const AWS_KEY_RULE = `AWS allows tag keys of at most ${keyMax} characters (Auto Scaling "Tag naming and usage restrictions")`;
const AWS_VALUE_RULE = `AWS allows tag values of at most ${valueMax} characters`;

/** The longest label or taint key whose node-template tag key AWS still accepts. */
export const NODE_TEMPLATE_KEY_MAX = keyMax - LABEL_TAG_PREFIX.length;

function checkNodeTemplate(problems: Problems, poolPath: string, pool: PoolTagInput): void {
  for (const [key, value] of Object.entries(pool.labels)) {
    const path = mapEntryPath(`${poolPath}.labels`, key);
    const tagKey = `${LABEL_TAG_PREFIX}${key}`;
    if (tagKey.length > keyMax) {
      problems.add(
        path,
        key,
        `a label key of at most ${NODE_TEMPLATE_KEY_MAX} characters: the cluster-autoscaler tag "${tagKey}" is ${tagKey.length} characters and ${AWS_KEY_RULE}`,
      );
    }
    if (value.length > valueMax) {
      problems.add(
        path,
        value,
        `a label value of at most ${valueMax} characters (its node-template tag's value); ${AWS_VALUE_RULE}`,
      );
    }
  }
  pool.taints.forEach((taint, j) => {
    const taintPath = `${poolPath}.taints[${j}]`;
    const tagKey = `${TAINT_TAG_PREFIX}${taint.key}`;
    if (tagKey.length > keyMax) {
      problems.add(
        `${taintPath}.key`,
        taint.key,
        `a taint key of at most ${NODE_TEMPLATE_KEY_MAX} characters: the cluster-autoscaler tag "${tagKey}" is ${tagKey.length} characters and ${AWS_KEY_RULE}`,
      );
    }
    const tagValue = `${taint.value}:${taint.effect}`;
    if (tagValue.length > valueMax) {
      problems.add(
        `${taintPath}.value`,
        taint.value,
        `a taint value whose node-template tag value "<value>:${taint.effect}" has at most ${valueMax} characters (it has ${tagValue.length}); ${AWS_VALUE_RULE}`,
      );
    }
  });
}

function checkTagCount(
  problems: Problems,
  poolPath: string,
  tagsPath: string,
  pool: PoolTagInput,
  group: WorkerGroupTags,
): void {
  const nodeCount = Object.keys(group.nodeTags).length;
  const autoscalerKeys = Object.keys(group.autoscalerTags);
  const total = nodeCount + autoscalerKeys.length;
  if (total <= maxTags) return;
  const labels = autoscalerKeys.filter((k) => k.startsWith(LABEL_TAG_PREFIX)).length;
  const taints = autoscalerKeys.filter((k) => k.startsWith(TAINT_TAG_PREFIX)).length;
  const discovery = autoscalerKeys.length - labels - taints;
  problems.add(
    poolPath,
    pool.name,
    `its ASG would carry ${total} tags: ${nodeCount} node tags (the project's and ${tagsPath}), ${discovery} cluster-autoscaler discovery tags, ${labels} node-template labels (${POOL_LABEL} included) and ${taints} node-template taints; AWS allows ${maxTags} tags per Auto Scaling group, so drop ${total - maxTags} labels, taints or tags`,
  );
}

/**
 * Records a problem for every node-template tag key or value AWS would refuse, and for every
 * pool whose ASG would carry more than `ASG_TAG_LIMITS.maxTags` tags. `poolsPath` is the key
 * path of `workerPools` and `tagsPath` that of `tags`, for the messages.
 */
export function checkWorkerGroupTags(
  problems: Problems,
  paths: { poolsPath: string; tagsPath: string },
  clusterName: string,
  tags: Record<string, string>,
  pools: readonly PoolTagInput[],
): void {
  pools.forEach((pool, i) => {
    const poolPath = `${paths.poolsPath}[${i}]`;
    checkNodeTemplate(problems, poolPath, pool);
    checkTagCount(problems, poolPath, paths.tagsPath, pool, workerGroupTags(clusterName, tags, pool));
  });
}
