import { TAG_ETCD_MEMBER } from "../../base/tags";
import { etcdMembers, type Finding } from "../etcdMembers";
import { asgZones, isEtcdVolume, isMasterEtcdVolume } from "../masters";
import { asString, tagValue } from "../props";
import type { GraphResource, StackPolicy } from "../types";

/**
 * Exactly one etcd volume per etcd member, in the member's zone: an EBS volume can only attach in
 * its own zone, and a second candidate volume in a zone is how kops masters grabbed each
 * other's data. The members are the masters (stacked) or the etcd nodes
 * (external, see policy/etcdMembers.ts); with external etcd a master's etcd volume is data no
 * member uses, so it is refused too.
 */
export const etcdVolumePerMaster: StackPolicy = {
  kind: "stack",
  name: "etcd-volume-per-master",
  description:
    "One etcd EBS volume per etcd member, created in that member's availability zone: per control-plane node with stacked etcd; " +
    "per etcd node with external etcd (autoscaling groups with role tag etcd), where masters have no etcd volume.",
  check(resources) {
    const out: Finding[] = [];
    const { topology, members, noun } = etcdMembers(resources);
    let volumes = resources.filter(isEtcdVolume);
    if (topology === "external") {
      for (const v of volumes.filter(isMasterEtcdVolume)) {
        out.push({
          urn: v.urn,
          message: `etcd volume ${v.name} belongs to a master: with external etcd the masters keep no etcd data`,
        });
      }
      volumes = volumes.filter((v) => !isMasterEtcdVolume(v));
    }
    const pinned = members
      .map((m): [GraphResource, string[]] => [m, asgZones(m, resources)])
      .filter(([, zones]) => zones.length === 1)
      .map(([m, zones]): [GraphResource, string] => [m, zones[0]]);
    const memberZones = pinned.map(([, zone]) => zone);
    const volumesByZone = new Map<string, string[]>();
    for (const v of volumes) {
      const zone = asString(v.props.availabilityZone);
      if (!zone) {
        out.push({ urn: v.urn, message: `etcd volume ${v.name} has no availability zone` });
        continue;
      }
      volumesByZone.set(zone, [...(volumesByZone.get(zone) ?? []), v.name]);
    }
    if (volumes.length !== memberZones.length) {
      out.push({
        urn: "",
        message: `${volumes.length} etcd volumes for ${memberZones.length} ${noun}s: need exactly one each`,
      });
    }
    for (const zone of new Set(memberZones)) {
      const here = volumesByZone.get(zone) ?? [];
      const membersHere = memberZones.filter((z) => z === zone).length;
      if (here.length !== membersHere) {
        out.push({
          urn: "",
          message: `zone ${zone}: ${membersHere} ${noun}(s) but ${here.length} etcd volume(s) (${here.join(", ")})`,
        });
      }
    }
    for (const [zone, names] of volumesByZone) {
      if (!memberZones.includes(zone)) {
        out.push({
          urn: "",
          message: `etcd volume(s) ${names.join(", ")} in ${zone}, where no ${noun} runs`,
        });
      }
    }
    if (topology === "external") out.push(...memberTagFindings(pinned, volumes));
    return out;
  },
};

/**
 * External etcd: where an etcd node and a volume both carry the etcd-member tag, the volume of
 * member i lies in member i's zone. The node's IAM role may attach only the volume tagged with
 * its own member, so two volumes swapped between zones pass the per-zone count and still leave
 * both nodes without a volume they can attach.
 */
function memberTagFindings(pinned: [GraphResource, string][], volumes: GraphResource[]): Finding[] {
  const zoneOfMember = new Map<string, string>();
  for (const [node, zone] of pinned) {
    const member = tagValue(node.props, TAG_ETCD_MEMBER);
    if (member !== undefined) zoneOfMember.set(member, zone);
  }
  const out: Finding[] = [];
  for (const v of volumes) {
    const member = tagValue(v.props, TAG_ETCD_MEMBER);
    const zone = asString(v.props.availabilityZone);
    const expected = member === undefined ? undefined : zoneOfMember.get(member);
    if (expected !== undefined && zone !== undefined && zone !== expected) {
      out.push({
        urn: v.urn,
        message: `etcd volume ${v.name} (member ${member}) is in ${zone}, but etcd node member ${member} runs in ${expected}`,
      });
    }
  }
  return out;
}
