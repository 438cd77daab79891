/**
 * Instance types are checked against the AWS provider's own list, offline: a typo is refused
 * with the closest real type, and a type newer than the provider passes only when listed in
 * extraInstanceTypes.
 */
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { parseConfig } from "../../config/stack";
import { applyOverrides, type ConfigOverrides } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem, type RefusalCase } from "../support/configRefusal";

const masters = (instanceType: string) => ({ masters: { count: 3, instanceType } });
const pool = (instanceTypes: string[], extra: ConfigOverrides = {}): ConfigOverrides => ({
  workerPools: [{ name: "general", instanceTypes, minSize: 1, desiredCapacity: 2, maxSize: 3 }],
  ...extra,
});

const cases: RefusalCase[] = [
  [
    "a misspelt master type",
    masters("t3.meduim"),
    /k8s-ha:masters\.instanceType: "t3\.meduim" is invalid: did you mean t3\.medium\? not an EC2 instance type known to the AWS provider/,
  ],
  [
    "a misspelt second pool type",
    pool(["m6i.large", "m6i.xlarg"]),
    /k8s-ha:workerPools\[0\]\.instanceTypes\[1\]: "m6i\.xlarg" is invalid: did you mean m6i\.xlarge\?/,
  ],
  [
    "a name that is no type at all",
    masters("large"),
    /k8s-ha:masters\.instanceType: "large" is invalid: not an instance type name; .*extraInstanceTypes/,
  ],
  [
    "a type the provider does not list (the opt-out is named)",
    pool(["m99z.large"]),
    /"m99z\.large" is invalid: .*a type newer than that package goes in extraInstanceTypes/,
  ],
  [
    "a malformed extra type",
    { extraInstanceTypes: ["M9I LARGE"] },
    /k8s-ha:extraInstanceTypes\[0\]: "M9I LARGE" is invalid: an EC2 instance type name/,
  ],
];

test.each(cases)("refuses %s", (_name, overrides, expected) => expectSingleProblem(overrides, expected));

test("the provider's list is the one checked against, and the real stacks' types are on it", () => {
  const known = new Set<string>(Object.values(InstanceType));
  expect(known.has("t3.medium")).toBe(true);
  expect(known.size).toBeGreaterThan(500);
  expect(() => parseConfig(devConfig)).not.toThrow();
});

test("a type newer than the provider is accepted once listed in extraInstanceTypes", () => {
  const spec = parseConfig(
    applyOverrides(devConfig, {
      ...pool(["m99z.large", "t3.medium"]),
      masters: { count: 3, instanceType: "m99z.xlarge" },
      extraInstanceTypes: ["m99z.large", "m99z.xlarge"],
    }),
  );
  expect(spec.masters.instanceType).toBe("m99z.xlarge");
  expect(spec.workerPools[0].instanceTypes).toEqual(["m99z.large", "t3.medium"]);
  expect(spec.extraInstanceTypes).toEqual(["m99z.large", "m99z.xlarge"]);
});
