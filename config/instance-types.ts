/**
 * EC2 instance type names are checked against the list the AWS provider package ships
 * (`@pulumi/aws` types/enums/ec2 InstanceType), offline: `t3.meduim` then fails in
 * `pulumi preview` with a suggestion instead of at the first launch. A type AWS released after
 * that package version is accepted only when the stack lists it in `extraInstanceTypes`, so an
 * old provider never blocks a new type and a typo never passes unnoticed.
 */
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { closestMatch } from "./edit-distance";

/** Shape of a type name: family (generation, attributes), a dot, a size. */
export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(InstanceType));

/** How far a suggestion may be from what was typed (`t3.meduim` is 1 swap from `t3.medium`). */
const SUGGESTION_DISTANCE = 3;

/** Why `type` is refused, or undefined when it is a known or explicitly allowed type. */
export function instanceTypeProblem(type: string, extra: ReadonlySet<string>): string | undefined {
  if (KNOWN_TYPES.has(type) || extra.has(type)) return undefined;
  const shape = INSTANCE_TYPE_PATTERN.test(type) ? "" : "not an instance type name; ";
  const suggestion = closestMatch(type.toLowerCase(), KNOWN_TYPES, SUGGESTION_DISTANCE);
  const hint = suggestion ? `did you mean ${suggestion}? ` : "";
  return `${shape}${hint}not an EC2 instance type known to the AWS provider (@pulumi/aws, e.g. m6i.large); a type newer than that package goes in extraInstanceTypes`;
}
