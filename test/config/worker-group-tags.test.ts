/**
 * The worker ASGs' tags against AWS's limits (key <= 128, value <= 256 characters, 50 tags per
 * Auto Scaling group: config/limits.ts `ASG_TAG_LIMITS`), refused before any resource. The tags
 * config/ counts are the ones the program really puts on every worker ASG, zonal or not (the
 * synthesized dev stack under Pulumi mocks), so the count cannot drift from the components.
 */
import { POOL_LABEL } from "../../base/labels";
import { TAG_ROLE } from "../../base/tags";
import { ConfigError, Problems } from "../../config/errors";
import { ASG_TAG_LIMITS } from "../../config/limits";
import { parseConfig } from "../../config/stack";
import {
  checkWorkerGroupTags,
  NODE_TEMPLATE_KEY_MAX,
  workerGroupTags,
} from "../../config/validate-worker-tags";
import { applyOverrides, ofType, type RegisteredResource, synthesize } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem } from "../support/configRefusal";

const ASG = "aws:autoscaling/group:Group";
const PREFIX = "k8s.io/cluster-autoscaler/node-template/";

/** A qualified-name label key of exactly `length` characters (a long DNS prefix, a short name). */
function labelKey(length: number): string {
  const name = "tier";
  const suffix = `.example.com/${name}`;
  return `${"a".repeat(length - suffix.length)}${suffix}`;
}

const pool = (extra: Record<string, unknown>) => ({
  name: "general",
  instanceTypes: ["t3.medium"],
  ...extra,
});
/** `n` user tags, `labels` labels, `taints` taints: the ASG then has (n + 5) + 2 + (labels + 1) + taints tags. */
function sized(n: number, labels: number, taints: number, zonal = false) {
  return {
    tags: Object.fromEntries(Array.from({ length: n }, (_, i) => [`team-${i}`, "x"])),
    workerPools: [
      pool({
        zonal,
        labels: Object.fromEntries(Array.from({ length: labels }, (_, i) => [`example.com/l${i}`, "v"])),
        taints: Array.from({ length: taints }, (_, i) => ({
          key: `example.com/t${i}`,
          value: "",
          effect: "NoSchedule",
        })),
      }),
    ],
  };
}

describe("the tags config/ counts are the tags the program puts on each worker ASG", () => {
  const overrides = {
    tags: { team: "platform", "cost-center": "4711" },
    workerPools: [
      pool({
        name: "zonal",
        zonal: true,
        labels: { "example.com/tier": "db" },
        taints: [{ key: "example.com/dedicated", value: "db", effect: "NoSchedule" }],
      }),
      pool({ name: "flat", labels: { "example.com/a": "b", "example.com/c": "d" } }),
    ],
  };
  let asgs: RegisteredResource[];
  beforeAll(async () => {
    const result = await synthesize("dev", overrides);
    asgs = ofType(result, ASG);
  });

  test.each(["zonal", "flat"])("pool %s: every ASG's tag list, propagated and ASG-only", (name) => {
    const spec = parseConfig(applyOverrides(devConfig, overrides));
    const config = spec.workerPools.find((p) => p.name === name);
    if (config === undefined) throw new Error(`no pool ${name}`);
    const expected = workerGroupTags(spec.clusterName, spec.tags, config);
    type Tag = { key: string; value: string; propagateAtLaunch: boolean };
    const groups = asgs.filter((a) =>
      (a.inputs.tags as Tag[]).some((t) => t.key === POOL_LABEL && t.value === name),
    );
    expect(groups).toHaveLength(name === "zonal" ? 3 : 1);
    for (const group of groups) {
      const tags = group.inputs.tags as Tag[];
      expect(tags.find((t) => t.key === TAG_ROLE)?.value).toBe("worker");
      const byPropagation = (propagate: boolean) =>
        Object.fromEntries(
          tags.filter((t) => t.propagateAtLaunch === propagate).map((t) => [t.key, t.value]),
        );
      expect(byPropagation(true)).toEqual(expected.nodeTags);
      expect(byPropagation(false)).toEqual(expected.autoscalerTags);
      // No key twice: the count is the length of the list AWS receives.
      expect(tags).toHaveLength(
        Object.keys(expected.nodeTags).length + Object.keys(expected.autoscalerTags).length,
      );
    }
  });
});

describe("node-template tag keys: a label or taint key of more than 82 characters is refused", () => {
  test("the longest key AWS accepts is 128 minus the node-template prefix", () => {
    expect(NODE_TEMPLATE_KEY_MAX).toBe(ASG_TAG_LIMITS.keyMax - `${PREFIX}label/`.length);
    expect(NODE_TEMPLATE_KEY_MAX).toBe(82);
  });

  test("a label key of 82 characters is accepted, 83 refused by key, value and limit", () => {
    const ok = labelKey(82);
    expect(() =>
      parseConfig(applyOverrides(devConfig, { workerPools: [pool({ labels: { [ok]: "db" } })] })),
    ).not.toThrow();
    const long = labelKey(83);
    expectSingleProblem(
      { workerPools: [pool({ labels: { [long]: "db" } })] },
      new RegExp(
        `k8s-ha:workerPools\\[0\\]\\.labels\\["${long}"\\]: "${long}" is invalid: a label key of at most 82 characters: the cluster-autoscaler tag "${PREFIX}label/${long}" is 129 characters and AWS allows tag keys of at most 128`,
      ),
    );
  });

  test("a taint key of 83 characters is refused on the taint's key, in a zonal pool too", () => {
    const long = labelKey(83);
    expectSingleProblem(
      { workerPools: [pool({ zonal: true, taints: [{ key: long, value: "db", effect: "NoSchedule" }] })] },
      new RegExp(
        `k8s-ha:workerPools\\[0\\]\\.taints\\[0\\]\\.key: "${long}" is invalid: a taint key of at most 82 characters: the cluster-autoscaler tag "${PREFIX}taint/${long}" is 129`,
      ),
    );
  });

  test("values over 256 characters are refused on the label and on the taint value", () => {
    // Label and taint values are already held to 63 characters; this rule guards the tag itself.
    const problems = new Problems();
    const longValue = "v".repeat(ASG_TAG_LIMITS.valueMax + 1);
    checkWorkerGroupTags(problems, { poolsPath: "k8s-ha:workerPools", tagsPath: "k8s-ha:tags" }, "docs", {}, [
      {
        name: "general",
        labels: { "example.com/a": longValue, "example.com/b": "v".repeat(ASG_TAG_LIMITS.valueMax) },
        taints: [
          {
            key: "example.com/t",
            value: "v".repeat(ASG_TAG_LIMITS.valueMax - ":NoSchedule".length + 1),
            effect: "NoSchedule",
          },
        ],
      },
    ]);
    let error: unknown;
    try {
      problems.throwIfAny();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const found = (error as ConfigError).problems.map((p) => [p.key, p.allowed.replace(/;.*/, "")]);
    expect(found).toEqual([
      [
        'k8s-ha:workerPools[0].labels["example.com/a"]',
        "a label value of at most 256 characters (its node-template tag's value)",
      ],
      [
        "k8s-ha:workerPools[0].taints[0].value",
        'a taint value whose node-template tag value "<value>:NoSchedule" has at most 256 characters (it has 257)',
      ],
    ]);
  });
});

describe("tags per worker ASG: at most 50 (project, stack tags, discovery, node template)", () => {
  test.each([false, true])(
    "exactly 50 is accepted, 51 refused naming the pool and the count (zonal %s)",
    (zonal) => {
      // (20 + 5) node tags + 2 discovery + (20 + 1) labels + 2 taints = 50.
      expect(() => parseConfig(applyOverrides(devConfig, sized(20, 20, 2, zonal)))).not.toThrow();
      expectSingleProblem(
        sized(20, 20, 3, zonal),
        /k8s-ha:workerPools\[0\]: "general" is invalid: its ASG would carry 51 tags: 25 node tags \(the project's and k8s-ha:tags\), 2 cluster-autoscaler discovery tags, 21 node-template labels \(k8sha\.io\/pool included\) and 3 node-template taints; AWS allows 50 tags per Auto Scaling group, so drop 1 labels, taints or tags/,
      );
    },
  );

  test("the stack's tags count on every pool: one problem per pool over the limit", () => {
    const overrides = sized(40, 4, 0);
    const both = {
      ...overrides,
      workerPools: [...overrides.workerPools, { ...overrides.workerPools[0], name: "other" }],
    };
    let error: unknown;
    try {
      parseConfig(applyOverrides(devConfig, both));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    // (40 + 5) + 2 + (4 + 1) = 52 on each pool.
    expect(
      (error as ConfigError).problems.map((p) => [p.key, p.value, /would carry 52 tags/.test(p.allowed)]),
    ).toEqual([
      ["k8s-ha:workerPools[0]", '"general"', true],
      ["k8s-ha:workerPools[1]", '"other"', true],
    ]);
  });
});
