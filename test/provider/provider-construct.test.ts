/**
 * The multi-language Cluster built the way the component provider builds it for a Python
 * program: `new Cluster(name, inputs)` with the camelCase object the Python SDK sends (only
 * plain values, optional sections omitted), under the same mocks as the stack.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isMasterAsg } from "../../policy/masters";
import type { ClusterArgs } from "../../provider/args";
import { resolveProviderArgs } from "../../provider/resolveArgs";
import { toGraphResources } from "../../synth/graph";
import { PROJECT_ROOT, type SynthResult } from "../../synth/mockRuntime";
import { synthesizeProgram } from "../../synth/program";

/** What `k8s_ha_aws.Cluster("py", cluster_name="py", region=..., ...)` puts on the wire. */
const pythonInputs: ClusterArgs = {
  clusterName: "py",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  masters: { count: 3, instanceType: "t3.medium" },
  api: { exposure: "internal" },
  workerPools: [
    { name: "general", instanceTypes: ["t3.medium"], minSize: 1, maxSize: 2, desiredCapacity: 1 },
  ],
  readinessGate: { enabled: false },
};

let result: SynthResult;
let tmp: string;

beforeAll(async () => {
  // A one-off program (plain JS, loaded by synthesizeProgram in a fresh registry) that
  // constructs the wrapper from the package entry and exports its outputs.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "provider-construct-"));
  const program = path.join(tmp, "program.js");
  fs.writeFileSync(
    program,
    `module.exports = () => {
  const { Cluster } = require(${JSON.stringify(path.join(PROJECT_ROOT, "provider", "index.ts"))});
  const c = new Cluster("py", ${JSON.stringify(pythonInputs)});
  return { masterAsgNames: c.masterAsgNames, kubeconfig: c.kubeconfig, apiEndpoint: c.apiEndpoint,
    workerAsgNames: c.workerAsgNames, urn: c.urn };
};\n`,
  );
  result = await synthesizeProgram(program, "py", {});
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("registers k8s-ha-aws:index:Cluster with the project's k8sha:cluster:Cluster as its child", () => {
  const wrappers = result.resources.filter((r) => r.type === "k8s-ha-aws:index:Cluster");
  expect(wrappers).toHaveLength(1);
  expect(wrappers[0].parent).toBe("");
  const cores = result.resources.filter((r) => r.type === "k8sha:cluster:Cluster");
  expect(cores).toHaveLength(1);
  expect(cores[0].parent).toBe(wrappers[0].urn);
  expect(result.outputs.urn).toBe(wrappers[0].urn);
});

test("one master ASG per requested master, re-exposed as masterAsgNames; outputs resolve", () => {
  const masters = toGraphResources(result).filter(isMasterAsg);
  expect(masters).toHaveLength(3);
  const names = result.outputs.masterAsgNames as string[];
  expect(names).toHaveLength(3);
  expect(Object.keys(result.outputs.workerAsgNames as Record<string, string>)).toEqual(["general"]);
  expect(result.outputs.apiEndpoint).toMatch(/^https:\/\/.+:6443$/);
  expect(result.outputs.kubeconfig).toContain("server: https://");
});

test("kubeconfig reaches the caller as a secret", () => {
  expect(result.secretOutputs).toContain("kubeconfig");
  expect(result.secretOutputs).not.toContain("masterAsgNames");
});

test("enum-like strings are validated by the stack's own validator", () => {
  expect(() => resolveProviderArgs({ ...pythonInputs, network: { natGateways: "double" } })).toThrow(
    /natGateways/,
  );
  expect(() =>
    resolveProviderArgs({
      ...pythonInputs,
      workerPools: [
        {
          name: "tainted",
          instanceTypes: ["t3.medium"],
          minSize: 1,
          maxSize: 1,
          desiredCapacity: 1,
          taints: [{ key: "k", value: "v", effect: "Sometimes" }],
        },
      ],
    }),
  ).toThrow(/effect/);
  const cfg = resolveProviderArgs(pythonInputs);
  expect(cfg.api.exposure).toBe("internal");
  expect(cfg.masters.count).toBe(3);
});

test("add-on sections and a zonal pool reach the spec; a bad add-on setting is refused by key", () => {
  const spec = resolveProviderArgs({
    ...pythonInputs,
    addons: { clusterAutoscaler: { enabled: false }, ebsCsiDriver: { defaultStorageClass: false } },
    workerPools: [{ name: "general", instanceTypes: ["t3.medium"], zonal: true }],
  });
  expect(spec.addons.clusterAutoscaler.enabled).toBe(false);
  expect(spec.addons.ebsCsiDriver).toEqual(
    expect.objectContaining({ enabled: true, defaultStorageClass: false }),
  );
  expect(spec.addons.cloudControllerManager.enabled).toBe(true);
  expect(spec.workerPools[0].zonal).toBe(true);
  expect(() =>
    resolveProviderArgs({
      ...pythonInputs,
      addons: { cloudControllerManager: { enabled: false } },
    }),
  ).toThrow(
    /addons\.ebsCsiDriver\.enabled: true \(default\) is invalid: requires .*cloudControllerManager\.enabled: true/,
  );
});

test("a secret or resource output for a plain input is refused by name", () => {
  const withOutput = { ...pythonInputs, clusterName: pulumi.output("py") } as unknown as ClusterArgs;
  expect(() => resolveProviderArgs(withOutput)).toThrow(/"clusterName" must be a plain value/);
  // At any depth: a secret subscription address is named by its path.
  const nested = {
    ...pythonInputs,
    monitoring: { emailSubscriptions: ["a@example.com", pulumi.secret("b@example.com")] },
  } as unknown as ClusterArgs;
  expect(() => resolveProviderArgs(nested)).toThrow(
    /"monitoring\.emailSubscriptions\[1\]" must be a plain value/,
  );
});

test("monitoring: omitted, it is on with no subscriptions (MONITORING_DEFAULTS)", () => {
  expect(pythonInputs.monitoring).toBeUndefined();
  expect(resolveProviderArgs(pythonInputs).monitoring).toEqual({
    enabled: true,
    emailSubscriptions: [],
    httpsSubscriptions: [],
  });
  // A partial section keeps the other defaults.
  expect(
    resolveProviderArgs({ ...pythonInputs, monitoring: { emailSubscriptions: ["oncall@example.com"] } })
      .monitoring,
  ).toEqual({ enabled: true, emailSubscriptions: ["oncall@example.com"], httpsSubscriptions: [] });
  expect(resolveProviderArgs({ ...pythonInputs, monitoring: { enabled: false } }).monitoring.enabled).toBe(
    false,
  );
});

test("monitoring: a wrong value is refused naming its key", () => {
  const refuse = (monitoring: unknown) => () =>
    resolveProviderArgs({ ...pythonInputs, monitoring } as unknown as ClusterArgs);
  expect(refuse({ emailSubscriptions: ["oncall.example.com"] })).toThrow(
    /monitoring\.emailSubscriptions\[0\]: "oncall\.example\.com" is invalid: an email address/,
  );
  expect(refuse({ httpsSubscriptions: ["http://hooks.example.com/a"] })).toThrow(
    /monitoring\.httpsSubscriptions\[0\]: "http:\/\/hooks\.example\.com\/a" is invalid: an https:\/\/ URL/,
  );
  expect(refuse({ enabled: false, emailSubscriptions: ["oncall@example.com"] })).toThrow(
    /monitoring\.enabled: false is invalid: true when subscriptions are listed/,
  );
  expect(refuse({ enabled: "yes" })).toThrow(/monitoring\.enabled: "yes" is invalid: must be true or false/);
  expect(refuse({ emailSubscription: ["oncall@example.com"] })).toThrow(
    /monitoring\.emailSubscription: .* unknown key "emailSubscription"/,
  );
});
