import { asgZones, isMasterAsg } from "../masters";
import type { StackPolicy } from "../types";

/** etcd needs an odd member count for quorum, and one master per zone to survive a zone loss. */
export const mastersOddDistinctAz: StackPolicy = {
  kind: "stack",
  name: "masters-odd-count-distinct-azs",
  description:
    "Control-plane autoscaling groups: an odd number of them, each pinned to one availability zone, no two in the same zone.",
  check(resources) {
    const masters = resources.filter(isMasterAsg);
    const out: { urn: string; message: string }[] = [];
    if (masters.length === 0) {
      return [{ urn: "", message: "no control-plane autoscaling group found" }];
    }
    if (masters.length % 2 === 0) {
      out.push({
        urn: "",
        message: `${masters.length} control-plane autoscaling groups: etcd needs an odd count (3, 5, 7)`,
      });
    }
    const byZone = new Map<string, string[]>();
    for (const m of masters) {
      const zones = asgZones(m, resources);
      if (zones.length !== 1) {
        out.push({
          urn: m.urn,
          message: `${m.name} must be pinned to exactly one availability zone, found ${zones.length} (${zones.join(", ")})`,
        });
        continue;
      }
      byZone.set(zones[0], [...(byZone.get(zones[0]) ?? []), m.name]);
    }
    for (const [zone, names] of byZone) {
      if (names.length > 1) {
        out.push({ urn: "", message: `masters ${names.join(", ")} share availability zone ${zone}` });
      }
    }
    return out;
  },
};
