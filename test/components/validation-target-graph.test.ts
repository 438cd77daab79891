/**
 * What `k8sha-validate` checks a cluster against, in the real program (index.ts) under Pulumi
 * mocks with each stack's config: the stack output and the SSM parameter a master reads carry
 * the same `KEY=value` lines, naming exactly the graph's master ASGs (master 0 first), the API
 * target group, the backup location and the alarms' prefix (none when monitoring is off), and
 * each pool's minimum of Ready Nodes (minSize per ASG, one ASG per zone when zonal). The keys are
 * exactly those scripts/k8sha-validate.sh accepts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alarmNamePrefix } from "../../base/alarmNames";
import { validationParameterName } from "../../base/ssmPaths";
import { VALIDATION_TARGET_KEYS } from "../../components/validationTarget";
import { ofType, PROJECT_ROOT, type SynthResult, synthesize } from "../../synth/mockRuntime";
import { only } from "../support/graph";

const results: Record<string, SynthResult> = {};
/** Monitoring off and the dev pool made zonal: one more synthesis for both. */
let variant: SynthResult;

beforeAll(async () => {
  results.dev = await synthesize("dev");
  results.prod = await synthesize("prod");
  variant = await synthesize("dev", {
    monitoring: { enabled: false },
    workerPools: [{ name: "general", instanceTypes: ["t3.medium"], minSize: 2, maxSize: 4, zonal: true }],
  });
}, 240_000);

function target(r: SynthResult): Record<string, string> {
  const name = validationParameterName(String(r.outputs.clusterName));
  const p = only(
    ofType(r, "aws:ssm/parameter:Parameter").filter((x) => x.inputs.name === name),
    `the ${name} parameter`,
  );
  expect(p.inputs.type).toBe("String");
  expect(p.inputs.insecureValue).toBe(r.outputs.validationTarget);
  const lines = String(p.inputs.insecureValue).trimEnd().split("\n");
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

const masterAsgs = (r: SynthResult) =>
  ofType(r, "aws:autoscaling/group:Group")
    .filter((g) => /-cp-\d+-asg$/.test(g.name))
    .sort((a, b) => Number(/-(\d+)-asg$/.exec(a.name)?.[1]) - Number(/-(\d+)-asg$/.exec(b.name)?.[1]))
    .map((g) => String(g.inputs.name));

describe.each(["dev", "prod"])("the %s stack", (stack) => {
  test("names the graph's ASGs, target group, backups, alarms and pools", () => {
    const r = results[stack] as SynthResult;
    const t = target(r);
    const cluster = String(r.outputs.clusterName);
    expect(Object.keys(t)).toEqual([...VALIDATION_TARGET_KEYS]);
    expect(t.CLUSTER).toBe(cluster);
    expect(t.MASTERS).toBe(String(masterAsgs(r).length));
    expect(t.MASTER_ASGS).toBe(masterAsgs(r).join(","));
    expect(t.MASTER_ASGS?.split(",")).toEqual(r.outputs.masterAsgNames);
    const tg = only(ofType(r, "aws:lb/targetGroup:TargetGroup"), "the API target group");
    expect(t.TARGET_GROUP_ARN).toBe(tg.state.arn);
    expect(`s3://${t.BACKUP_BUCKET}/${t.BACKUP_PREFIX}`).toBe(r.outputs.backupLocation);
    expect(Number(t.BACKUP_MAX_AGE_MINUTES)).toBeGreaterThan(0);
    expect(t.ALARM_PREFIX).toBe(alarmNamePrefix(cluster));
    // Every alarm of the graph is found by the prefix.
    for (const alarm of ofType(r, "aws:cloudwatch/metricAlarm:MetricAlarm"))
      expect(String(alarm.inputs.name).startsWith(t.ALARM_PREFIX ?? "?")).toBe(true);
    expect(t.POOL_LABEL).toBe("k8sha.io/pool");
    const poolAsgs = ofType(r, "aws:autoscaling/group:Group")
      .filter((g) => !/-cp-\d+-asg$/.test(g.name))
      .map((g) => String(g.state.name));
    expect(poolAsgs.length).toBeGreaterThan(0);
    expect(t.POOL_ASGS?.split(",").sort()).toEqual(poolAsgs.sort());
    const pools = r.outputs.workerAsgNames as Record<string, string>;
    expect(
      Object.values(pools)
        .flatMap((v) => v.split(","))
        .sort(),
    ).toEqual(poolAsgs.sort());
  });
});

test("each pool's minimum: dev general 1; prod general 3 and system 3", () => {
  expect(target(results.dev as SynthResult).POOLS).toBe("general=1");
  expect(target(results.prod as SynthResult).POOLS).toBe("general=3,system=3");
});

test("a zonal pool must have minSize Ready Nodes in each zone's ASG", () => {
  const t = target(variant);
  expect(t.POOL_ASGS?.split(",")).toHaveLength(3);
  expect(t.POOLS).toBe("general=6");
});

test("monitoring off: no alarm prefix, so validate checks no alarms", () => {
  expect(target(variant).ALARM_PREFIX).toBe("");
  expect(ofType(variant, "aws:cloudwatch/metricAlarm:MetricAlarm")).toEqual([]);
});

test("the keys are exactly those the script accepts", () => {
  const script = readFileSync(join(PROJECT_ROOT, "scripts/k8sha-validate.sh"), "utf8");
  const accepted = /case "\$key" in\n([\s\S]*?)\) ;;/.exec(script)?.[1] ?? "";
  expect(
    accepted
      .split(/[|\\\s]+/)
      .filter(Boolean)
      .sort(),
  ).toEqual([...VALIDATION_TARGET_KEYS].sort());
});
