/**
 * The node-spec fingerprint: a short hash of everything a launch template gives its instance
 * except the Kubernetes version. Each master's template tags its instance with it
 * (`TAG_NODE_SPEC`) next to the version (`TAG_KUBERNETES_VERSION`), so the roll gate can tell the
 * two kinds of change apart: a different fingerprint means the instance must be replaced, a
 * different version alone means it can be upgraded in place (scripts/roll-master.sh).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { type HardenedLaunchTemplateArgs, hardenedLaunchTemplateArgs } from "./launchTemplate";

/**
 * Stands in for the Kubernetes version when the user-data is rendered for the fingerprint. It
 * must parse as 1.MINOR.PATCH (the renderer derives kubeadm settings from the minor) and is no
 * real release, so it cannot be mistaken for one.
 */
export const NODE_SPEC_VERSION_PLACEHOLDER = "1.0.0";

/** Hex digits kept of the sha256: 64 bits, far beyond any chance collision among a cluster's templates. */
export const NODE_SPEC_LENGTH = 16;

/**
 * The image part of the fingerprint when the template keeps its first image (`keepImageId`):
 * the template's image then never changes, so a newer lookup result must not change the
 * fingerprint either (it would roll every master on each Canonical release).
 */
export const KEPT_IMAGE = "kept-at-creation";

/**
 * Template fields that are not given to the instance (tags are metadata; the roll gate reads
 * the tag this fingerprint becomes) or not the instance's (the template's own default version).
 */
const NOT_THE_INSTANCE = new Set(["tags", "tagSpecifications", "updateDefaultVersion"]);

/** JSON with object keys sorted at every level, so equal values always hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  // Scalars only here (objects and arrays were handled above); undefined entries were dropped.
  return value === undefined ? "null" : JSON.stringify(value);
}

/**
 * The fingerprint of resolved launch-template args (`aws.ec2.LaunchTemplateArgs` with every
 * input resolved): `NODE_SPEC_LENGTH` hex digits of the sha256 of their canonical JSON, the
 * fields of `NOT_THE_INSTANCE` left out.
 */
export function nodeSpecFingerprint(resolvedTemplate: Record<string, unknown>): string {
  const given = Object.fromEntries(
    Object.entries(resolvedTemplate).filter(([k]) => !NOT_THE_INSTANCE.has(k)),
  );
  return createHash("sha256").update(canonicalJson(given)).digest("hex").slice(0, NODE_SPEC_LENGTH);
}

/**
 * The fingerprint of the hardened template `args` would build: image id, instance type,
 * instance profile, security groups, user-data, root volume (size, type, device, EBS key),
 * IMDS options, monitoring. `args.userDataBase64` must be rendered with
 * `NODE_SPEC_VERSION_PLACEHOLDER` as the version, so a version-only change leaves it alone.
 * Unknown in a preview until every part is known.
 */
export function nodeSpecOutput(
  args: Omit<HardenedLaunchTemplateArgs, "tags" | "rootVolumeTags" | "instanceTags">,
  keepImageId?: boolean,
): pulumi.Output<string> {
  const template = hardenedLaunchTemplateArgs({
    ...args,
    imageId: keepImageId ? KEPT_IMAGE : args.imageId,
    tags: {},
  });
  return pulumi
    .output(template)
    .apply((resolved) => nodeSpecFingerprint(resolved as Record<string, unknown>));
}
