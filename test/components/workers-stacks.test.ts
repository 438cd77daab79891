/**
 * Worker pools, the readiness gate and the kubeconfig output of the real program (index.ts)
 * for the dev and prod stacks, under Pulumi mocks. Expected values are read from the stack
 * files, so changing a pool in Pulumi.<stack>.yaml without the program following fails here.
 * (Both synths are shared with the kubeconfig output checks to keep the suite fast.)
 */
import { gunzipSync } from "node:zlib";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parse as parseYaml } from "yaml";
import { POOL_LABEL } from "../../base/labels";
import type { WorkerPoolConfig } from "../../config/types";
import {
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";

const ASG = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
let dev: SynthResult;
let prod: SynthResult;

beforeAll(async () => {
  dev = await synthesize("dev");
  prod = await synthesize("prod");
});

function stackPools(stack: string): WorkerPoolConfig[] {
  return JSON.parse(readStackConfig(stack)["k8s-ha:workerPools"]) as WorkerPoolConfig[];
}
function poolAsg(result: SynthResult, pool: string): RegisteredResource {
  const asg = ofType(result, ASG).find((r) => r.name === `${result.stack}-${pool}-asg`);
  if (!asg) throw new Error(`no ASG for pool ${pool} in ${result.stack}`);
  return asg;
}
function tagsOf(asg: RegisteredResource): Record<string, string> {
  const tags = asg.inputs.tags as { key: string; value: string }[];
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}
function privateSubnetIds(result: SynthResult): string[] {
  return ofType(result, "aws:ec2/subnet:Subnet")
    .filter((s) => s.name.includes("-private-"))
    .map((s) => `${s.name}-id`);
}
interface Distribution {
  onDemandBaseCapacity: number;
  onDemandPercentageAboveBaseCapacity: number;
  spotAllocationStrategy: string;
}
interface Mixed {
  instancesDistribution: Distribution;
  launchTemplate: { overrides: { instanceType: string }[] };
}

describe.each(["dev", "prod"])("%s worker pools", (stack) => {
  const result = () => (stack === "dev" ? dev : prod);

  test("one ASG per configured pool, across every private subnet, sized as the stack file says", () => {
    const pools = stackPools(stack);
    expect(ofType(result(), "k8sha:workers:WorkerPool")).toHaveLength(pools.length);
    const subnets = privateSubnetIds(result());
    expect(subnets).toHaveLength(3);
    for (const pool of pools) {
      const asg = poolAsg(result(), pool.name);
      expect([...(asg.inputs.vpcZoneIdentifiers as string[])].sort()).toEqual([...subnets].sort());
      expect(asg.inputs).toMatchObject({
        minSize: pool.minSize,
        maxSize: pool.maxSize,
        desiredCapacity: pool.desiredCapacity,
      });
      expect(asg.inputs.instanceRefresh).toMatchObject({
        strategy: "Rolling",
        preferences: { minHealthyPercentage: 90 },
      });
    }
  });

  test("spot pools use a mixed-instances policy with the stack's split; on-demand pools do not", () => {
    for (const pool of stackPools(stack)) {
      const asg = poolAsg(result(), pool.name);
      const spot = pool.spotPercentage ?? 0;
      const mixed = asg.inputs.mixedInstancesPolicy as Mixed | undefined;
      expect(asg.inputs.capacityRebalance).toBe(spot > 0);
      if (spot > 0) {
        expect(mixed?.instancesDistribution).toMatchObject({
          onDemandBaseCapacity: pool.onDemandBaseCapacity ?? 0,
          onDemandPercentageAboveBaseCapacity: 100 - spot,
          spotAllocationStrategy: "price-capacity-optimized",
        });
        expect(mixed?.launchTemplate.overrides.map((o) => o.instanceType)).toEqual(pool.instanceTypes);
        expect(pool.instanceTypes.length).toBeGreaterThan(1);
      } else if (pool.instanceTypes.length === 1) {
        expect(mixed).toBeUndefined();
        expect(asg.inputs.launchTemplate).toBeDefined();
      }
    }
  });

  test("cluster-autoscaler discovery and node-template tags for labels and taints", () => {
    for (const pool of stackPools(stack)) {
      const tags = tagsOf(poolAsg(result(), pool.name));
      expect(tags["k8s.io/cluster-autoscaler/enabled"]).toBe("true");
      expect(tags[`k8s.io/cluster-autoscaler/${stack}`]).toBe("owned");
      expect(tags["k8s.io/cluster-autoscaler/node-template/label/k8sha.io/pool"]).toBe(pool.name);
      for (const [key, value] of Object.entries(pool.labels ?? {})) {
        expect(tags[`k8s.io/cluster-autoscaler/node-template/label/${key}`]).toBe(value);
      }
      for (const t of pool.taints ?? []) {
        expect(tags[`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`]).toBe(`${t.value}:${t.effect}`);
      }
      expect(tags["k8sha.io/role"]).toBe("worker");
      expect(tags[`kubernetes.io/cluster/${stack}`]).toBe("owned");
    }
  });

  test("launch templates: IMDSv2 with hop limit 1, encrypted root, user-data <= 16 KB without secrets", () => {
    const secrets = [
      ...ofType(result(), "tls:index/privateKey:PrivateKey").map((k) => String(k.state.privateKeyPem)),
      ...ofType(result(), "random:index/randomString:RandomString").map((r) => String(r.state.result)),
    ];
    expect(secrets.length).toBeGreaterThan(2);
    for (const pool of stackPools(stack)) {
      const lt = ofType(result(), LT).find((r) => r.name === `${stack}-${pool.name}-lt`);
      expect(lt?.inputs.metadataOptions).toMatchObject({
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      });
      const disks = lt?.inputs.blockDeviceMappings as { ebs: { encrypted: string } }[];
      expect(disks.length).toBeGreaterThan(0);
      expect(disks.every((d) => d.ebs.encrypted === "true")).toBe(true);
      // EC2's 16 KB limit applies to the raw (here gzipped) user-data, before base64.
      const raw = Buffer.from(String(lt?.inputs.userData), "base64");
      expect(raw.length).toBeLessThanOrEqual(16384);
      const userData = gunzipSync(raw).toString("utf8");
      expect(userData.startsWith("#cloud-config")).toBe(true);
      expect(userData).toContain(`k8sha.io/pool=${pool.name}`);
      expect(userData).not.toMatch(/PRIVATE KEY|\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
      for (const secret of secrets) expect(userData).not.toContain(secret.trim().split("\n")[1] ?? secret);
    }
  });
});

test("dev: the readiness gate runs after the API load balancer and every ASG, key material only in env", () => {
  const [ready] = ofType(dev, "k8sha:gate:ReadinessGate");
  // The readiness gate's command (the masters' roll gates are commands too: roll-gate-graph.test.ts).
  const [gate] = ofType(dev, "command:local:Command").filter((c) => c.parent === ready?.urn);
  expect(ofType(dev, "k8sha:gate:ReadinessGate")).toHaveLength(1);
  const nlb = ofType(dev, "aws:lb/loadBalancer:LoadBalancer");
  const asgs = ofType(dev, ASG);
  expect(asgs).toHaveLength(3 + stackPools("dev").length);
  for (const r of [...nlb, ...asgs]) expect(gate.dependencies).toContain(r.urn);
  // The whole environment reaches the provider as one Pulumi secret (encrypted in state).
  const wrapped = gate.inputs.environment as Record<string, unknown>;
  expect(wrapped[specialSigKey]).toBe(specialSecretSig);
  const env = wrapped.value as Record<string, string>;
  expect(env.K8SHA_GATE_KEY_PEM).toContain("PRIVATE KEY");
  expect(env.K8SHA_GATE_MASTERS).toBe("3");
  expect(env.K8SHA_GATE_POOL_LABEL).toBe(POOL_LABEL);
  expect(env.K8SHA_GATE_POOLS).toBe(
    stackPools("dev")
      .map((p) => `${p.name}=${p.minSize}`)
      .join(","),
  );
  expect(env.K8SHA_GATE_SERVER).toBe(`https://${String(nlb[0].state.dnsName)}:6443`);
  expect(String(gate.inputs.create)).not.toContain("BEGIN");
});

test("prod: readiness gate disabled in the stack file, so no gate and no command but the roll gates", () => {
  expect(parseYaml(readStackConfig("prod")["k8s-ha:readinessGate"]).enabled).toBe(false);
  expect(ofType(prod, "k8sha:gate:ReadinessGate")).toHaveLength(0);
  const rollGates = new Set(ofType(prod, "k8sha:controlplane:RollGate").map((g) => g.urn));
  expect(rollGates.size).toBe(3);
  expect(ofType(prod, "command:local:Command").filter((c) => !rollGates.has(c.parent))).toEqual([]);
});

describe.each(["dev", "prod"])("%s kubeconfig output", (stack) => {
  test("secret YAML pointing at the NLB on 6443 with the cluster CA and the admin cert and key", () => {
    const result = stack === "dev" ? dev : prod;
    expect(result.secretOutputs).toContain("kubeconfig");
    const cfg = parseYaml(String(result.outputs.kubeconfig));
    const [nlb] = ofType(result, "aws:lb/loadBalancer:LoadBalancer");
    expect(cfg.clusters[0].cluster.server).toBe(`https://${String(nlb.state.dnsName)}:6443`);
    const pem = (name: string, type: string) =>
      String(
        result.resources.find((r) => r.name === `${stack}-pki-${name}` && r.type === type)?.state.certPem,
      );
    const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    expect(decode(cfg.clusters[0].cluster["certificate-authority-data"])).toBe(
      pem("ca", "tls:index/selfSignedCert:SelfSignedCert"),
    );
    const user = cfg.users.find((u: { name: string }) => u.name === cfg.contexts[0].context.user).user;
    expect(decode(user["client-certificate-data"])).toBe(
      pem("admin", "tls:index/locallySignedCert:LocallySignedCert"),
    );
    const adminKey = result.resources.find(
      (r) => r.name === `${stack}-pki-admin` && r.type.includes("privateKey"),
    );
    expect(decode(user["client-key-data"])).toBe(String(adminKey?.state.privateKeyPem));
  });
});
