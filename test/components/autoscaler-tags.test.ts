/**
 * cluster-autoscaler tags in the real program (index.ts) for the dev and prod stacks, under
 * Pulumi mocks: a worker ASG carries exactly the discovery tags and the node template of its
 * pool (labels, the pool label, taints as `<value>:<effect>`), on the ASG only; a master ASG,
 * and anything a master launches, carries none, so the autoscaler can never resize a master.
 * Tag formats: kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md.
 */
import { POOL_LABEL } from "../../base/labels";
import { TAG_ROLE } from "../../base/tags";
import { autoscalerTags } from "../../components/nodes/workerPool";
import { parseConfig } from "../../config/stack";
import {
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";

const ASG = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const PREFIX = "k8s.io/cluster-autoscaler/";
const results: Record<string, SynthResult> = {};

beforeAll(async () => {
  results.dev = await synthesize("dev");
  results.prod = await synthesize("prod");
});

type Tag = { key: string; value: string; propagateAtLaunch: boolean };
const tagsOf = (asg: RegisteredResource) => asg.inputs.tags as Tag[];
const roleOf = (asg: RegisteredResource) => tagsOf(asg).find((t) => t.key === TAG_ROLE)?.value;
const poolOf = (asg: RegisteredResource) => tagsOf(asg).find((t) => t.key === POOL_LABEL)?.value;

/** Every tag key of a launch template: its own and those it puts on instances, volumes, interfaces. */
function templateTagKeys(lt: RegisteredResource): string[] {
  const specs = (lt.inputs.tagSpecifications ?? []) as { tags?: Record<string, string> }[];
  return [
    ...Object.keys((lt.inputs.tags ?? {}) as Record<string, string>),
    ...specs.flatMap((s) => Object.keys(s.tags ?? {})),
  ];
}

describe.each(["dev", "prod"])("%s", (stack) => {
  test("no master ASG, and nothing a master launches, carries a cluster-autoscaler tag", () => {
    const masters = ofType(results[stack], ASG).filter((a) => roleOf(a) === "master");
    expect(masters).toHaveLength(3);
    for (const asg of masters) {
      expect({ asg: asg.name, tags: tagsOf(asg).filter((t) => t.key.startsWith(PREFIX)) }).toEqual({
        asg: asg.name,
        tags: [],
      });
    }
    const masterTemplates = ofType(results[stack], LT).filter((lt) =>
      masters.some((m) => m.parent === lt.parent),
    );
    expect(masterTemplates).toHaveLength(3);
    for (const lt of masterTemplates)
      expect(templateTagKeys(lt).filter((k) => k.startsWith(PREFIX))).toEqual([]);
  });

  test("each worker ASG has exactly its pool's discovery and node-template tags, none propagated", () => {
    const spec = parseConfig(readStackConfig(stack));
    const workers = ofType(results[stack], ASG).filter((a) => roleOf(a) === "worker");
    expect(workers.map(poolOf).sort()).toEqual(spec.workerPools.map((p) => p.name).sort());
    for (const pool of spec.workerPools) {
      const asg = workers.find((a) => poolOf(a) === pool.name) as RegisteredResource;
      const expected: Record<string, string> = {
        [`${PREFIX}enabled`]: "true",
        [`${PREFIX}${stack}`]: "owned",
        [`${PREFIX}node-template/label/${POOL_LABEL}`]: pool.name,
      };
      for (const [k, v] of Object.entries(pool.labels)) expected[`${PREFIX}node-template/label/${k}`] = v;
      for (const t of pool.taints)
        expected[`${PREFIX}node-template/taint/${t.key}`] = `${t.value}:${t.effect}`;
      const found = tagsOf(asg).filter((t) => t.key.startsWith(PREFIX));
      expect(Object.fromEntries(found.map((t) => [t.key, t.value]))).toEqual(expected);
      expect(found.every((t) => t.propagateAtLaunch === false)).toBe(true);
    }
    // prod's system pool is the case with a label and a taint of its own.
    if (stack === "prod") expect(spec.workerPools.some((p) => p.taints.length > 0)).toBe(true);
  });

  test("worker launch templates carry no autoscaler tags (they are the ASG's alone)", () => {
    const workerParents = new Set(
      ofType(results[stack], ASG)
        .filter((a) => roleOf(a) === "worker")
        .map((a) => a.parent),
    );
    const templates = ofType(results[stack], LT).filter((lt) => workerParents.has(lt.parent));
    expect(templates.length).toBeGreaterThan(0);
    for (const lt of templates) expect(templateTagKeys(lt).filter((k) => k.startsWith(PREFIX))).toEqual([]);
  });
});

test("node-template taints read back as key, value and effect, an empty value included", () => {
  const tags = autoscalerTags("c", { "example.com/a": "b" }, [
    { key: "example.com/gpu", value: "", effect: "NoExecute" },
    { key: "dedicated", value: "db", effect: "PreferNoSchedule" },
  ]);
  // `<taint-value>:<taint-effect>`, split at the first colon (a taint value, like a label value,
  // cannot contain one: config/k8s-names.ts).
  const parse = (v: string) => ({ value: v.slice(0, v.indexOf(":")), effect: v.slice(v.indexOf(":") + 1) });
  expect(parse(tags[`${PREFIX}node-template/taint/example.com/gpu`])).toEqual({
    value: "",
    effect: "NoExecute",
  });
  expect(parse(tags[`${PREFIX}node-template/taint/dedicated`])).toEqual({
    value: "db",
    effect: "PreferNoSchedule",
  });
  expect(tags[`${PREFIX}node-template/label/example.com/a`]).toBe("b");
  expect(Object.keys(tags)).toHaveLength(5);
});
