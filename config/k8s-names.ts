/** Kubernetes name rules for node labels and taints (apimachinery validation, restated). */

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const QUALIFIED_NAME_RULE =
  "a Kubernetes qualified name: optional DNS-subdomain prefix (<= 253 chars) and '/', then 1-63 chars of [A-Za-z0-9-_.] starting and ending alphanumeric";
export const LABEL_VALUE_RULE = "empty or 1-63 chars of [A-Za-z0-9-_.] starting and ending alphanumeric";

export function isQualifiedName(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  const prefix = parts.length === 2 ? parts[0] : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME_PART.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME_PART.test(value));
}

/**
 * The kubelet refuses to start with `--node-labels` in the kubernetes.io / k8s.io namespaces
 * unless they are under node.kubernetes.io/ or kubelet.kubernetes.io/ (NodeRestriction).
 * Catching that here beats a node that never registers.
 */
export function isKubeletSettableLabel(key: string): boolean {
  const prefix = key.includes("/") ? key.split("/")[0] : "";
  const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  return !restricted || prefix === "node.kubernetes.io" || prefix === "kubelet.kubernetes.io";
}
