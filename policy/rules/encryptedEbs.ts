import { asArray, asRecord, asString, isTrue } from "../props";
import type { ResourcePolicy } from "../types";
import { LAUNCH_TEMPLATE_TYPE } from "./imdsv2";

export const encryptedEbs: ResourcePolicy = {
  kind: "resource",
  name: "ebs-encrypted",
  description: "Every EBS volume and every launch-template block device is encrypted.",
  check(r) {
    if (r.type === "aws:ebs/volume:Volume") {
      return isTrue(r.props.encrypted) ? [] : [`EBS volume ${r.name} is not encrypted`];
    }
    if (r.type !== LAUNCH_TEMPLATE_TYPE) return [];
    const mappings = asArray(r.props.blockDeviceMappings).map(asRecord);
    return mappings
      .filter((m) => Object.keys(asRecord(m.ebs)).length > 0 && !isTrue(asRecord(m.ebs).encrypted))
      .map((m) => `block device ${asString(m.deviceName) ?? "(unnamed)"} is not encrypted`);
  },
};
