/**
 * The AWS cloud-controller-manager opens a LoadBalancer Service's ports on the ONE security group
 * of each instance that carries `kubernetes.io/cluster/<name>`; with none or several it refuses
 * (kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, findSecurityGroupForInstance: "Multiple
 * tagged security groups found for instance"). In the real program under mocks, every launch
 * template of masters and workers names security groups of which exactly one carries that tag.
 */
import { clusterOwnershipTag } from "../../base/tags";
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const results: Record<string, SynthResult> = {};

beforeAll(async () => {
  results.dev = await synthesize("dev");
  results.prod = await synthesize("prod");
});

function taggedGroupsOf(result: SynthResult, lt: RegisteredResource, clusterName: string): string[] {
  const key = Object.keys(clusterOwnershipTag(clusterName))[0];
  // The mock runtime gives every resource the id `<name>-id` (synth/mockRuntime.ts).
  const byId = new Map(ofType(result, SG).map((sg) => [`${sg.name}-id`, sg]));
  const ids = (lt.inputs.vpcSecurityGroupIds ?? []) as string[];
  expect(ids.length).toBeGreaterThan(0);
  return ids.filter((id) => {
    const sg = byId.get(id);
    if (!sg) throw new Error(`launch template ${lt.name} names unknown security group ${id}`);
    return Object.hasOwn((sg.inputs.tags ?? {}) as Record<string, string>, key);
  });
}

describe.each(["dev", "prod"])("%s", (stack) => {
  test("each node's launch template has exactly one security group with the cluster tag", () => {
    const templates = ofType(results[stack], LT);
    expect(templates.length).toBeGreaterThanOrEqual(4);
    for (const lt of templates) {
      expect({ template: lt.name, tagged: taggedGroupsOf(results[stack], lt, stack).length }).toEqual({
        template: lt.name,
        tagged: 1,
      });
    }
  });
});
