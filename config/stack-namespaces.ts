/**
 * Which stack-config namespaces are almost certainly a mistyped `k8s-ha`. Pulumi hands the
 * program every namespace (`aws:`, `pulumi:`, `command:`, any provider a user configures), so
 * foreign ones must pass; but `k8sha:masters` or `K8s_HA:masters` would otherwise be skipped
 * silently and the defaults would apply.
 */
import { editDistance } from "./edit-distance";

/** Lowercase, without the separators people swap (`-`, `_`, `.`, spaces). */
function squash(namespace: string): string {
  return namespace.toLowerCase().replace(/[-_. ]/g, "");
}

/**
 * True for a namespace that is not exactly `project` but is within two edits of it, equal to it
 * once case and separators are ignored, or starts with it that way (`k8s-ha-aws:`, the package
 * name). Real provider namespaces (aws, pulumi, command, tls, random, kubernetes, eks, ...) are
 * all at least three edits away.
 */
export function isMistypedNamespace(namespace: string, project: string): boolean {
  if (namespace === project) return false;
  const squashed = squash(namespace);
  const target = squash(project);
  return squashed.startsWith(target) || editDistance(namespace.toLowerCase(), project) <= 2;
}
