/**
 * The upgrade guard: which Kubernetes version a stack may move to from the one its control
 * plane reached (config/upgradePath.ts, pure), and the program applying it before anything
 * registers: index.ts reads the deployed version from the cluster's SSM parameter with the
 * aws.ssm.getParameter invoke; "not found" (a new cluster) builds, a refused path or any other
 * read error fails with no resource registered.
 *
 * Also the `rolling` section's defaults and refusals (the gates it feeds are
 * test/components/roll-gate-graph.test.ts).
 *
 * The invoke is answered by synth/mockRuntime.ts mockGetParameter, which stands in for the
 * provider's data source, its not-found error included (a countRegistrations control below
 * shows the counter does see registrations when the guard passes).
 */
import * as path from "node:path";
import { parseConfig } from "../../config/stack";
import { checkUpgradePath, UpgradePathError, upgradePathProblem } from "../../config/upgradePath";
import {
  applyOverrides,
  type MockAccount,
  mockCall,
  mockGetParameter,
  mockResourceState,
  PROJECT_NAME,
  PROJECT_ROOT,
  readStackConfig,
  synthesize,
} from "../../synth/mockRuntime";

const SOURCE = "SSM parameter /k8sha/dev/control-plane/kubernetes-version";

describe("allowed transitions", () => {
  test.each([
    ["nothing deployed (a new cluster)", undefined, "1.34.2"],
    ["the same version", "1.34.2", "1.34.2"],
    ["a newer patch", "1.34.2", "1.34.5"],
    ["the next minor, first patch", "1.33.9", "1.34.0"],
    ["the next minor, any patch", "1.33.1", "1.34.7"],
    ["the same version written with a v", "v1.34.2", "1.34.2"],
  ])("%s: %s -> %s", (_what, deployed, requested) => {
    expect(upgradePathProblem({ deployed, requested, source: SOURCE })).toBeUndefined();
    expect(() => checkUpgradePath({ deployed, requested, source: SOURCE })).not.toThrow();
  });
});

describe("refused transitions name both versions and where the deployed one was read", () => {
  test.each([
    ["a patch downgrade", "1.34.2", "1.34.1", /a downgrade; kubeadm cannot downgrade/],
    ["a minor downgrade", "1.34.2", "1.33.9", /a downgrade; kubeadm cannot downgrade/],
    ["a skipped minor", "1.32.4", "1.34.2", /skips 1 minor version\(s\).*deploy a 1\.33\.x release first/],
    [
      "three skipped minors",
      "1.31.0",
      "1.35.0",
      /skips 3 minor version\(s\).*deploy a 1\.32\.x release first/,
    ],
    ["another major", "2.0.0", "1.34.0", /a different major version/],
    [
      "an unreadable deployed version",
      "one-thirty-four",
      "1.34.2",
      /is not MAJOR\.MINOR\.PATCH; correct or delete/,
    ],
  ])("%s: %s -> %s", (_what, deployed, requested, reason) => {
    const problem = upgradePathProblem({ deployed, requested, source: SOURCE });
    expect(problem).toMatch(reason);
    expect(problem).toContain(
      `kubernetesVersion ${requested} cannot be deployed over ${deployed} (the version the control plane runs, read from ${SOURCE})`,
    );
    expect(() => checkUpgradePath({ deployed, requested, source: SOURCE })).toThrow(UpgradePathError);
    expect(() => checkUpgradePath({ deployed, requested, source: SOURCE })).toThrow(reason);
  });
});

type PulumiModule = typeof import("@pulumi/pulumi");
type Monitor = { registerResource(...args: unknown[]): unknown };
type Call = (token: string, inputs: Record<string, unknown>) => Record<string, unknown>;

/** Runs index.ts under mocks answering invokes with `call`; counts what reached the monitor. */
async function runProgram(
  config: Record<string, string>,
  call: Call,
): Promise<{ count: number; error?: unknown }> {
  let count = 0;
  let error: unknown;
  await jest.isolateModulesAsync(async () => {
    const pulumi = require("@pulumi/pulumi") as PulumiModule;
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: `${args.name}-id`,
          state: mockResourceState(args.type, args.name, (args.inputs ?? {}) as Record<string, unknown>),
        }),
        call: (args) => call(args.token, (args.inputs ?? {}) as Record<string, unknown>),
      },
      PROJECT_NAME,
      "dev",
      false,
    );
    pulumi.runtime.setAllConfig(config);
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): Monitor };
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (...args: unknown[]) => {
      count += 1;
      return original(...args);
    };
    try {
      await (require(path.join(PROJECT_ROOT, "index")) as () => Promise<unknown>)();
    } catch (e) {
      error = e;
    }
    await pulumi.runtime.disconnect();
  });
  return { count, error };
}

const GET_PARAMETER = "aws:ssm/getParameter:getParameter";
/** The account holds `account`; every other invoke gets the synth's usual answers. */
const accountCalls =
  (account: MockAccount): Call =>
  (token, inputs) =>
    token === GET_PARAMETER ? mockGetParameter(inputs, account) : mockCall(token, inputs);
const dev = (version: string) => applyOverrides(readStackConfig("dev"), { kubernetesVersion: version });

describe("the program reads the deployed version before any resource", () => {
  test("deployed 1.32.x, stack 1.34.x: fails naming both versions and the parameter, nothing registered", async () => {
    const run = await runProgram(dev("1.34.2"), accountCalls({ deployedKubernetesVersion: "1.32.6" }));
    expect(run.error).toBeInstanceOf(Error);
    expect((run.error as Error).name).toBe("UpgradePathError");
    expect(String(run.error)).toContain(
      `kubernetesVersion 1.34.2 cannot be deployed over 1.32.6 (the version the control plane runs, read from ${SOURCE})`,
    );
    expect(String(run.error)).toMatch(/deploy a 1\.33\.x release first/);
    expect(run.count).toBe(0);
  });

  test("control: parameter not found (a new cluster) builds, and the counter sees the registrations", async () => {
    const run = await runProgram(dev("1.34.2"), accountCalls({}));
    expect(run.error).toBeUndefined();
    expect(run.count).toBeGreaterThan(50);
  });

  test("deployed one minor below builds", async () => {
    const run = await runProgram(dev("1.34.2"), accountCalls({ deployedKubernetesVersion: "1.33.5" }));
    expect(run.error).toBeUndefined();
    expect(run.count).toBeGreaterThan(50);
  });

  test("any other read error (here: access denied) fails, naming the parameter, nothing registered", async () => {
    // What the provider reports when the caller may not read the parameter (the data source's
    // "reading SSM Parameter (%s): %s" around the SSM API's AccessDeniedException).
    const denied: Call = (token, inputs) => {
      if (token !== GET_PARAMETER) return mockCall(token, inputs);
      const details = `invocation of ${GET_PARAMETER} returned an error: reading SSM Parameter (${String(inputs.name)}): operation error SSM: GetParameter, https response error StatusCode: 400, AccessDeniedException: not authorized to perform: ssm:GetParameter`;
      throw Object.assign(new Error(details), { details });
    };
    const run = await runProgram(dev("1.34.2"), denied);
    expect(String(run.error)).toContain(
      "could not read the deployed Kubernetes version from SSM parameter /k8sha/dev/control-plane/kubernetes-version",
    );
    expect(String(run.error)).toContain("AccessDeniedException");
    expect(run.count).toBe(0);
  });

  test("the synth harness: refused with a deployed 1.32.x, built without one, the invoke asked for the parameter", async () => {
    await expect(
      synthesize("dev", { kubernetesVersion: "1.34.2" }, undefined, { deployedKubernetesVersion: "1.32.6" }),
    ).rejects.toThrow(/kubernetesVersion 1\.34\.2 cannot be deployed over 1\.32\.6/);
    const built = await synthesize("dev", { kubernetesVersion: "1.34.2" });
    expect(built.invokes).toContainEqual({
      token: GET_PARAMETER,
      inputs: { name: "/k8sha/dev/control-plane/kubernetes-version", withDecryption: false },
    });
    expect(built.resources.length).toBeGreaterThan(50);
  });
});

describe("the rolling section", () => {
  const minimal = (extra: Record<string, unknown>) =>
    parseConfig(applyOverrides({ "aws:region": "eu-west-1", "k8s-ha:clusterName": "roll" }, extra));

  test("backupMaxAgeMinutes defaults to twice the backup interval", () => {
    expect(minimal({}).rolling).toEqual({ enabled: true, timeoutMinutes: 20, backupMaxAgeMinutes: 30 });
    expect(minimal({ backup: { intervalMinutes: 10 } }).rolling.backupMaxAgeMinutes).toBe(20);
  });

  test.each([
    [
      { rolling: { timeoutMinutes: 4 } },
      /k8s-ha:rolling\.timeoutMinutes: 4 is invalid: 5-180 minutes per master/,
    ],
    [{ rolling: { timeoutMinutes: 181 } }, /k8s-ha:rolling\.timeoutMinutes: 181 is invalid: 5-180 minutes/],
    [
      { rolling: { backupMaxAgeMinutes: 10 } },
      /k8s-ha:rolling\.backupMaxAgeMinutes: 10 is invalid: 15-1440 minutes: at least backup\.intervalMinutes \(15\)/,
    ],
    [
      { backup: { intervalMinutes: 60 }, rolling: { backupMaxAgeMinutes: 1441 } },
      /k8s-ha:rolling\.backupMaxAgeMinutes: 1441 is invalid: 60-1440 minutes/,
    ],
    [{ rolling: { enabled: "yes" } }, /k8s-ha:rolling\.enabled: "yes" is invalid: must be true or false/],
    [{ rolling: { timeout: 5 } }, /k8s-ha:rolling\.timeout: 5 is invalid: unknown key "timeout"/],
  ])("refused: %j", (extra, message) => {
    expect(() => minimal(extra)).toThrow(message);
  });
});
