/** Cluster identity and placement: name, region, zones, Kubernetes version. */
import { KUBEADM_API_VERSION } from "../base/kubeadm";
import { DEFAULT_AVAILABILITY_ZONE_COUNT, SUPPORTED_KUBERNETES_MINORS } from "./defaults";
import type { Problems } from "./errors";
import { CLUSTER_NAME_MAX, DNS_LABEL, ZONE_COUNT } from "./limits";
import type { Section } from "./reader";

export interface Placement {
  clusterName: string;
  region: string;
  availabilityZones?: string[];
  availabilityZoneCount: number;
}

/** Standard, GovCloud, ISO and sovereign partitions: `eu-west-1`, `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1`. */
const REGION_PATTERN = /^[a-z]{2,4}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const VERSION_PATTERN = /^1\.(\d+)\.(\d+)$/;

const NAME_RULE = `a DNS label of 1-${CLUSTER_NAME_MAX} characters matching ^[a-z]([-a-z0-9]*[a-z0-9])?$ (it prefixes NLB and target-group names, which AWS caps at 32 characters)`;

export function readClusterName(root: Section): string {
  const name = root.requiredString("clusterName", NAME_RULE);
  if (name === undefined) return "";
  if (name.length > CLUSTER_NAME_MAX || !DNS_LABEL.test(name)) root.reject("clusterName", NAME_RULE);
  return name;
}

export function readRegion(problems: Problems, region: string | undefined): string {
  if (region === undefined || !REGION_PATTERN.test(region)) {
    problems.add(
      "aws:region",
      region,
      "an AWS region name such as eu-west-1 (set it with `pulumi config set aws:region`)",
    );
  }
  return region ?? "";
}

/** Either an explicit zone list or a count of zones looked up at deploy time, never both. */
export function readPlacement(root: Section, clusterName: string, region: string): Placement {
  const zoneRange = `${ZONE_COUNT.min}-${ZONE_COUNT.max}`;
  if (root.has("availabilityZones")) {
    const zones = root.stringList("availabilityZones", []);
    // A resolved spec carries both (the count is the list's length), so a copy of one resolves again.
    if (root.has("availabilityZoneCount") && root.raw("availabilityZoneCount") !== zones.length) {
      root.reject(
        "availabilityZoneCount",
        `the number of availabilityZones (${zones.length}), or leave it out`,
      );
    }
    if (zones.length < ZONE_COUNT.min || zones.length > ZONE_COUNT.max) {
      root.reject("availabilityZones", `a list of ${zoneRange} zones (one master per zone)`);
    }
    zones.forEach((zone, i) => {
      const key = `${root.keyPath("availabilityZones")}[${i}]`;
      if (!zone.startsWith(region) || !/^[a-z0-9-]+$/.test(zone) || zone === region) {
        root.problems.add(key, zone, `a zone of region ${region || "(aws:region)"}, e.g. ${region}a`);
      } else if (zones.indexOf(zone) !== i) {
        root.problems.add(key, zone, "zones must be unique (one master per distinct zone)");
      }
    });
    return { clusterName, region, availabilityZones: zones, availabilityZoneCount: zones.length };
  }
  const count = root.number("availabilityZoneCount", DEFAULT_AVAILABILITY_ZONE_COUNT);
  if (count < ZONE_COUNT.min || count > ZONE_COUNT.max) {
    root.reject("availabilityZoneCount", `a whole number ${zoneRange} (one master per zone)`);
  }
  return { clusterName, region, availabilityZoneCount: count };
}

/** EC2 image ids: `ami-` and 8 or 17 hex digits. */
const IMAGE_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** An explicit AMI id, or undefined (the first deploy's newest Ubuntu 24.04 is then kept). */
export function readImageId(root: Section): string | undefined {
  if (!root.has("imageId")) return undefined;
  const id = root.string("imageId", "");
  if (!IMAGE_ID_PATTERN.test(id)) {
    root.reject("imageId", "an EC2 image id, ami- and 8 or 17 hex digits (an Ubuntu 24.04 LTS amd64 image)");
  }
  return id;
}

export function readKubernetesVersion(root: Section, fallback: string): string {
  const version = root.string("kubernetesVersion", fallback);
  const match = VERSION_PATTERN.exec(version);
  const minor = match ? Number(match[1]) : Number.NaN;
  if (!(minor >= SUPPORTED_KUBERNETES_MINORS.min && minor <= SUPPORTED_KUBERNETES_MINORS.max)) {
    root.reject(
      "kubernetesVersion",
      `1.MINOR.PATCH with MINOR ${SUPPORTED_KUBERNETES_MINORS.min}-${SUPPORTED_KUBERNETES_MINORS.max}, e.g. "${fallback}" (kubeadm config ${KUBEADM_API_VERSION} needs >= 1.${SUPPORTED_KUBERNETES_MINORS.min})`,
    );
  }
  return version;
}
