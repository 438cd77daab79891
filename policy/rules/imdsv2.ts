import { asNumber, asRecord } from "../props";
import type { ResourcePolicy } from "../types";

export const LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate";
/**
 * One hop: the host itself (kubelet, the boot, hostNetwork add-ons). A second hop would let any
 * pod behind the container bridge reach IMDS and take the node's instance role.
 */
export const MAX_IMDS_HOP_LIMIT = 1;

export const imdsv2Required: ResourcePolicy = {
  kind: "resource",
  name: "imdsv2-required",
  description: `Every launch template requires IMDSv2 tokens with a hop limit of at most ${MAX_IMDS_HOP_LIMIT}.`,
  check(r) {
    if (r.type !== LAUNCH_TEMPLATE_TYPE) return [];
    const md = asRecord(r.props.metadataOptions);
    const out: string[] = [];
    if (md.httpTokens !== "required") {
      out.push(`metadataOptions.httpTokens is ${JSON.stringify(md.httpTokens)}, must be "required" (IMDSv2)`);
    }
    const hops = asNumber(md.httpPutResponseHopLimit);
    if (hops === undefined || hops > MAX_IMDS_HOP_LIMIT) {
      out.push(
        `metadataOptions.httpPutResponseHopLimit is ${hops ?? "unset"}, must be 1..${MAX_IMDS_HOP_LIMIT}`,
      );
    }
    return out;
  },
};
