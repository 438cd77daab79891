/** masters.*: how many control-plane nodes, and on what. */
import { MASTER_DEFAULTS } from "./defaults";
import { INSTANCE_TYPE_PATTERN, instanceTypeProblem } from "./instance-types";
import { HA_MASTER_COUNTS, ROOT_VOLUME_GIB } from "./limits";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { MastersConfig } from "./types";
import type { Placement } from "./validate-cluster";

/** Why a master count is refused, or undefined when it is fine. */
function countProblem(count: number, allowNonHa: boolean): string | undefined {
  const ha = HA_MASTER_COUNTS.join(", ");
  if ((HA_MASTER_COUNTS as readonly number[]).includes(count)) return undefined;
  if (count === 1) {
    return allowNonHa
      ? undefined
      : `must be ${ha}; 1 master is not highly available (losing it loses the control plane), set masters.allowNonHa=true to accept that`;
  }
  if (count % 2 === 0) {
    return `must be odd: ${ha} (or 1 with masters.allowNonHa=true); etcd needs a majority (n/2+1) for quorum, so an even count tolerates no more failures than the odd count below it and adds one more member that can fail`;
  }
  return `must be ${ha} (or 1 with masters.allowNonHa=true); every etcd write waits for a majority, so more than 7 members only slows it`;
}

export function readMasters(
  root: Section,
  placement: Placement,
  extraInstanceTypes: ReadonlySet<string>,
): MastersConfig {
  const m = root.section("masters", SECTION_KEYS.masters);
  const allowNonHa = m.boolean("allowNonHa", MASTER_DEFAULTS.allowNonHa);
  const count = m.number("count", MASTER_DEFAULTS.count);
  const problem = countProblem(count, allowNonHa);
  if (problem) m.reject("count", problem);
  else if (count > placement.availabilityZoneCount) {
    m.reject(
      "count",
      `at most the number of availability zones (${placement.availabilityZoneCount}): one master per zone, so losing a zone loses one member`,
    );
  }
  const instanceType = m.string("instanceType", MASTER_DEFAULTS.instanceType);
  const typeProblem = instanceTypeProblem(instanceType, extraInstanceTypes);
  if (typeProblem) m.reject("instanceType", typeProblem);
  const rootVolumeGiB = m.number("rootVolumeGiB", MASTER_DEFAULTS.rootVolumeGiB);
  if (rootVolumeGiB < ROOT_VOLUME_GIB.min || rootVolumeGiB > ROOT_VOLUME_GIB.max) {
    m.reject("rootVolumeGiB", `${ROOT_VOLUME_GIB.min}-${ROOT_VOLUME_GIB.max} GiB`);
  }
  return { count, allowNonHa, instanceType, rootVolumeGiB };
}

/** `extraInstanceTypes`: names the provider's list lacks; they must still look like a type name. */
export function readExtraInstanceTypes(root: Section): string[] {
  const types = root.stringList("extraInstanceTypes", []);
  types.forEach((type, i) => {
    if (!INSTANCE_TYPE_PATTERN.test(type)) {
      root.problems.add(
        `${root.keyPath("extraInstanceTypes")}[${i}]`,
        type,
        "an EC2 instance type name: family, a dot, a size (e.g. m9i.large)",
      );
    }
  });
  return types;
}
