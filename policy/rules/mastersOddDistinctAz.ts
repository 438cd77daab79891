import { distinctZoneFindings, EXTERNAL_MEMBER_COUNTS, etcdMembers, type Finding } from "../etcdMembers";
import { isMasterAsg } from "../masters";
import type { StackPolicy } from "../types";

/**
 * etcd needs an odd member count for quorum, and one member per zone to survive a zone loss.
 * Stacked, the members are the masters. External, they are the etcd-node groups, which must be
 * 3, 5 or 7 as config/validate-etcd.ts allows; the masters then stay one per zone and odd, because
 * config/validate-masters.ts builds only an odd `masters.count` in either topology, so an even
 * count in the graph means the graph is not what the program builds.
 */
export const mastersOddDistinctAz: StackPolicy = {
  kind: "stack",
  name: "masters-odd-count-distinct-azs",
  description:
    "Control-plane autoscaling groups: an odd number of them, each pinned to one availability zone, no two in the same zone. " +
    "With external etcd (autoscaling groups with role tag etcd), the etcd-node groups too: 3, 5 or 7 of them, each pinned to one zone, no two in one zone.",
  check(resources) {
    const masters = resources.filter(isMasterAsg);
    const { topology, members: etcdNodes } = etcdMembers(resources);
    const out: Finding[] = [];
    if (masters.length === 0) {
      out.push({ urn: "", message: "no control-plane autoscaling group found" });
    } else if (masters.length % 2 === 0) {
      out.push({
        urn: "",
        message:
          topology === "stacked"
            ? `${masters.length} control-plane autoscaling groups: etcd needs an odd count (3, 5, 7)`
            : `${masters.length} control-plane autoscaling groups: masters.count is odd (3, 5, 7, or 1 without HA) in either etcd topology`,
      });
    }
    out.push(...distinctZoneFindings(masters, resources, "masters").findings);
    if (topology === "external") {
      if (!EXTERNAL_MEMBER_COUNTS.includes(etcdNodes.length)) {
        out.push({
          urn: "",
          message: `${etcdNodes.length} etcd-node autoscaling groups: external etcd needs ${EXTERNAL_MEMBER_COUNTS.join(", ")} (an odd quorum of at least three)`,
        });
      }
      out.push(...distinctZoneFindings(etcdNodes, resources, "etcd nodes").findings);
    }
    return out;
  },
};
