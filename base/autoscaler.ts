/**
 * cluster-autoscaler's tags on the worker ASGs: what the worker pools set, what the add-on's
 * auto-discovery flag names, what its IAM policy conditions match, and what the configuration
 * counts against the ASG tag limit all come from here.
 */

/** cluster-autoscaler's auto-discovery and node-template tag prefix. */
export const AUTOSCALER_TAG = "k8s.io/cluster-autoscaler";

/** The two auto-discovery tag keys (`--node-group-auto-discovery=asg:tag=<a>,<b>`). */
export function autoscalerDiscoveryTagKeys(clusterName: string): [string, string] {
  return [`${AUTOSCALER_TAG}/enabled`, `${AUTOSCALER_TAG}/${clusterName}`];
}

/**
 * cluster-autoscaler tags: auto-discovery (`<prefix>/enabled`, `<prefix>/<cluster>`), plus the
 * node template (`<prefix>/node-template/label/<key>` = value, `.../taint/<key>` =
 * `<value>:<effect>`) so it can scale a pool up from zero: kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md "Auto-Discovery Setup". The template's zone
 * label is the ASG's first zone (cloudprovider/aws/aws_manager.go `getAsgTemplate`), which is
 * why a pool whose pods need one zone is `zonal`.
 */
export function autoscalerTags(
  clusterName: string,
  labels: Record<string, string>,
  taints: readonly { key: string; value: string; effect: string }[],
): Record<string, string> {
  const [enabled, owned] = autoscalerDiscoveryTagKeys(clusterName);
  const tags: Record<string, string> = { [enabled]: "true", [owned]: "owned" };
  for (const [key, value] of Object.entries(labels))
    tags[`${AUTOSCALER_TAG}/node-template/label/${key}`] = value;
  for (const t of taints) tags[`${AUTOSCALER_TAG}/node-template/taint/${t.key}`] = `${t.value}:${t.effect}`;
  return tags;
}
