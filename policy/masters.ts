/**
 * How the policies recognise control-plane autoscaling groups, dedicated etcd-node autoscaling
 * groups (external topology) and etcd volumes, and find the zone an autoscaling group runs in.
 * Tag keys come from base/tags.ts and role values from base/nodeTags.ts so the policies follow
 * the program; names are a fallback for graphs built by other tools.
 */
import type { NodeRoleTag } from "../base/nodeTags";
import { TAG_ETCD_MEMBER, TAG_ROLE } from "../base/tags";
import { asArray, asString, ofType, tagValue } from "./props";
import type { GraphResource } from "./types";

export const ASG_TYPE = "aws:autoscaling/group:Group";
export const VOLUME_TYPE = "aws:ebs/volume:Volume";
export const SUBNET_TYPE = "aws:ec2/subnet:Subnet";

const CONTROL_PLANE_ROLES = new Set(["master", "control-plane", "controlplane"]);
/** The role value `NodeRoleTag` gives a dedicated etcd member. */
const ETCD_NODE_ROLE: NodeRoleTag = "etcd";
const CONTROL_PLANE_NAME = /master|control-?plane/i;

export function isMasterAsg(r: GraphResource): boolean {
  if (r.type !== ASG_TYPE) return false;
  const role = tagValue(r.props, TAG_ROLE);
  if (role !== undefined) return CONTROL_PLANE_ROLES.has(role);
  if (tagValue(r.props, "k8s.io/role/control-plane") !== undefined) return true;
  return CONTROL_PLANE_NAME.test(r.name);
}

/**
 * A dedicated etcd member's autoscaling group (external topology): role tag `etcd`. Without a
 * role tag only a name that says etcd and is no master's counts, so a group of another tool named
 * e.g. `etcd-master-0` stays a master; a group whose role tag says anything else is never etcd.
 */
export function isEtcdNodeAsg(r: GraphResource): boolean {
  if (r.type !== ASG_TYPE) return false;
  const role = tagValue(r.props, TAG_ROLE);
  if (role !== undefined) return role === ETCD_NODE_ROLE;
  return !isMasterAsg(r) && /etcd/i.test(r.name);
}

export function isEtcdVolume(r: GraphResource): boolean {
  if (r.type !== VOLUME_TYPE) return false;
  if (tagValue(r.props, TAG_ETCD_MEMBER) !== undefined) return true;
  if (/etcd/i.test(tagValue(r.props, TAG_ROLE) ?? "")) return true;
  return /etcd/i.test(r.name);
}

/**
 * An etcd volume created for a master (the stacked topology's data volume): its role tag says
 * control plane, or, untagged, its name does.
 */
export function isMasterEtcdVolume(r: GraphResource): boolean {
  if (!isEtcdVolume(r)) return false;
  const role = tagValue(r.props, TAG_ROLE);
  if (role !== undefined) return CONTROL_PLANE_ROLES.has(role);
  return CONTROL_PLANE_NAME.test(r.name);
}

/**
 * The zones an autoscaling group may launch in: its `availabilityZones`, else the zones of
 * the subnets it depends on (subnet ids are unknown in a preview of a new stack, the
 * dependency on the subnet resource is not).
 */
export function asgZones(asg: GraphResource, all: GraphResource[]): string[] {
  const explicit = asArray(asg.props.availabilityZones)
    .map(asString)
    .filter((z): z is string => z !== undefined);
  if (explicit.length > 0) return [...new Set(explicit)].sort();
  const deps = new Set(asg.dependencies);
  const zones = ofType(all, SUBNET_TYPE)
    .filter((s) => deps.has(s.urn))
    .map((s) => asString(s.props.availabilityZone))
    .filter((z): z is string => z !== undefined);
  return [...new Set(zones)].sort();
}
