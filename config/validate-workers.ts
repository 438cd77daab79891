/** workerPools: a list of autoscaling pools, each with sizes (per zone when `zonal`), spot share, labels and taints. */
import { POOL_LABEL } from "../base/labels";
import { DEFAULT_WORKER_POOL_NAME, WORKER_POOL_DEFAULTS } from "./defaults";
import { instanceTypeProblem } from "./instance-types";
import {
  isKubeletSettableLabel,
  isLabelValue,
  isQualifiedName,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from "./k8s-names";
import { DNS_LABEL, POOL_MAX_SIZE, POOL_NAME_MAX, ROOT_VOLUME_GIB } from "./limits";
import { mapEntryPath, Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { Taint, TaintEffect, WorkerPoolConfig } from "./types";

const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const NAME_RULE = `a DNS label of 1-${POOL_NAME_MAX} characters (it joins the cluster name in ASG and IAM names)`;

/** The pool used when `workerPools` is omitted. */
export function defaultWorkerPool(): WorkerPoolConfig {
  const d = WORKER_POOL_DEFAULTS;
  return {
    name: DEFAULT_WORKER_POOL_NAME,
    ...d,
    instanceTypes: [...d.instanceTypes],
    labels: {},
    taints: [],
  };
}

function readLabels(pool: Section, poolName: string): Record<string, string> {
  const labels = pool.stringMap("labels");
  for (const [key, value] of Object.entries(labels)) {
    const path = mapEntryPath(pool.keyPath("labels"), key);
    if (!isQualifiedName(key)) pool.problems.add(path, key, `label key must be ${QUALIFIED_NAME_RULE}`);
    else if (key === POOL_LABEL && value !== poolName) {
      // The pool sets it itself; another value would be overwritten without a word.
      pool.problems.add(
        path,
        value,
        `"${poolName}", the pool's name (every node of the pool carries ${POOL_LABEL}=<pool name>), or leave ${POOL_LABEL} out`,
      );
    } else if (!isKubeletSettableLabel(key)) {
      pool.problems.add(
        path,
        key,
        "the kubelet may not set kubernetes.io/k8s.io labels except under node.kubernetes.io/ or kubelet.kubernetes.io/ (NodeRestriction)",
      );
    }
    if (!isLabelValue(value)) pool.problems.add(path, value, `label value must be ${LABEL_VALUE_RULE}`);
  }
  return labels;
}

function readTaints(pool: Section): Taint[] {
  const items = pool.list("taints") ?? [];
  const seen = new Set<string>();
  return items.map((item, i) => {
    const t = Section.open(pool.problems, `${pool.keyPath("taints")}[${i}]`, item, SECTION_KEYS.taint);
    const key = t.requiredString("key", QUALIFIED_NAME_RULE) ?? "";
    if (key && !isQualifiedName(key)) t.reject("key", QUALIFIED_NAME_RULE);
    else if (key && seen.has(key)) {
      // Kubernetes allows one key with several effects, but cluster-autoscaler's node template
      // is one ASG tag per taint key (k8s.io/cluster-autoscaler/node-template/taint/<key>).
      t.reject(
        "key",
        "a key no other taint of this pool uses (the autoscaler's node-template tag holds one taint per key)",
      );
    }
    seen.add(key);
    const value = t.string("value", "");
    if (!isLabelValue(value)) t.reject("value", LABEL_VALUE_RULE);
    const effect = t.requiredString("effect", TAINT_EFFECTS.join(", "));
    const known = TAINT_EFFECTS.find((e) => e === effect);
    if (effect !== undefined && !known) t.reject("effect", `must be one of ${TAINT_EFFECTS.join(", ")}`);
    return { key, value, effect: known ?? "NoSchedule" };
  });
}

function readSizes(pool: Section) {
  const d = WORKER_POOL_DEFAULTS;
  const minSize = pool.number("minSize", d.minSize);
  const maxSize = pool.number("maxSize", d.maxSize);
  const desiredCapacity = pool.number("desiredCapacity", d.desiredCapacity);
  if (minSize < 0) pool.reject("minSize", "0 or more");
  if (maxSize > POOL_MAX_SIZE) pool.reject("maxSize", `at most ${POOL_MAX_SIZE}`);
  if (minSize > maxSize) {
    // One problem naming both keys: which of the two is wrong only the author knows, and a
    // desiredCapacity complaint on top would blame a key that may be fine.
    pool.reject(
      "minSize",
      `must not exceed ${pool.keyPath("maxSize")} (${maxSize}); a pool needs minSize <= desiredCapacity <= maxSize, so raise maxSize or lower minSize`,
    );
  } else if (desiredCapacity < minSize || desiredCapacity > maxSize) {
    pool.reject(
      "desiredCapacity",
      `between ${pool.keyPath("minSize")} (${minSize}) and ${pool.keyPath("maxSize")} (${maxSize})`,
    );
  }
  const spotPercentage = pool.number("spotPercentage", d.spotPercentage);
  if (spotPercentage < 0 || spotPercentage > 100)
    pool.reject("spotPercentage", "0-100 (percent of capacity above the on-demand base)");
  const onDemandBaseCapacity = pool.number("onDemandBaseCapacity", d.onDemandBaseCapacity);
  if (onDemandBaseCapacity < 0 || onDemandBaseCapacity > maxSize) {
    pool.reject("onDemandBaseCapacity", `0-maxSize (${maxSize})`);
  }
  const rootVolumeGiB = pool.number("rootVolumeGiB", d.rootVolumeGiB);
  if (rootVolumeGiB < ROOT_VOLUME_GIB.min || rootVolumeGiB > ROOT_VOLUME_GIB.max) {
    pool.reject("rootVolumeGiB", `${ROOT_VOLUME_GIB.min}-${ROOT_VOLUME_GIB.max} GiB`);
  }
  return { minSize, maxSize, desiredCapacity, spotPercentage, onDemandBaseCapacity, rootVolumeGiB };
}

function readPool(
  root: Section,
  item: unknown,
  i: number,
  names: Set<string>,
  extraInstanceTypes: ReadonlySet<string>,
): WorkerPoolConfig {
  const pool = Section.open(
    root.problems,
    `${root.keyPath("workerPools")}[${i}]`,
    item,
    SECTION_KEYS.workerPool,
  );
  const name = pool.requiredString("name", NAME_RULE) ?? "";
  if (name && (name.length > POOL_NAME_MAX || !DNS_LABEL.test(name))) pool.reject("name", NAME_RULE);
  else if (names.has(name)) pool.reject("name", "pool names must be unique");
  names.add(name);
  const instanceTypes = pool.stringList("instanceTypes", WORKER_POOL_DEFAULTS.instanceTypes);
  if (instanceTypes.length === 0) {
    pool.reject("instanceTypes", "at least one instance type (several give spot more capacity pools)");
  }
  instanceTypes.forEach((type, j) => {
    const problem = instanceTypeProblem(type, extraInstanceTypes);
    if (problem) pool.problems.add(`${pool.keyPath("instanceTypes")}[${j}]`, type, problem);
  });
  return {
    name,
    instanceTypes,
    ...readSizes(pool),
    labels: readLabels(pool, name),
    taints: readTaints(pool),
    zonal: pool.boolean("zonal", WORKER_POOL_DEFAULTS.zonal),
  };
}

export function readWorkerPools(root: Section, extraInstanceTypes: ReadonlySet<string>): WorkerPoolConfig[] {
  const items = root.list("workerPools");
  if (items === undefined) return root.has("workerPools") ? [] : [defaultWorkerPool()];
  if (items.length === 0) {
    root.reject("workerPools", "at least one pool (omit the key for the default pool)");
  }
  const names = new Set<string>();
  return items.map((item, i) => readPool(root, item, i, names, extraInstanceTypes));
}
