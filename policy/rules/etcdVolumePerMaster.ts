import { asgZones, isEtcdVolume, isMasterAsg } from "../masters";
import { asString } from "../props";
import type { StackPolicy } from "../types";

/**
 * Exactly one etcd volume per master, in the master's zone: an EBS volume can only attach in
 * its own zone, and a second candidate volume in a zone is how kops masters grabbed each
 * other's data (kops #14560, #4350).
 */
export const etcdVolumePerMaster: StackPolicy = {
  kind: "stack",
  name: "etcd-volume-per-master",
  description: "One etcd EBS volume per control-plane node, created in that node's availability zone.",
  check(resources) {
    const out: { urn: string; message: string }[] = [];
    const masterZones = resources
      .filter(isMasterAsg)
      .map((m) => asgZones(m, resources))
      .filter((zones) => zones.length === 1)
      .map((zones) => zones[0]);
    const volumes = resources.filter(isEtcdVolume);
    const volumesByZone = new Map<string, string[]>();
    for (const v of volumes) {
      const zone = asString(v.props.availabilityZone);
      if (!zone) {
        out.push({ urn: v.urn, message: `etcd volume ${v.name} has no availability zone` });
        continue;
      }
      volumesByZone.set(zone, [...(volumesByZone.get(zone) ?? []), v.name]);
    }
    if (volumes.length !== masterZones.length) {
      out.push({
        urn: "",
        message: `${volumes.length} etcd volumes for ${masterZones.length} masters: need exactly one each`,
      });
    }
    for (const zone of new Set(masterZones)) {
      const here = volumesByZone.get(zone) ?? [];
      const mastersHere = masterZones.filter((z) => z === zone).length;
      if (here.length !== mastersHere) {
        out.push({
          urn: "",
          message: `zone ${zone}: ${mastersHere} master(s) but ${here.length} etcd volume(s) (${here.join(", ")})`,
        });
      }
    }
    for (const [zone, names] of volumesByZone) {
      if (!masterZones.includes(zone)) {
        out.push({ urn: "", message: `etcd volume(s) ${names.join(", ")} in ${zone}, where no master runs` });
      }
    }
    return out;
  },
};
