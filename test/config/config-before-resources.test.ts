/**
 * Bad config must stop the program before it registers any resource, so `pulumi preview`
 * fails cleanly instead of half-creating a cluster. Proved twice: through the shared harness
 * (synthesize rejects with the ConfigError), and with a registration counter on the mock
 * monitor, because the harness returns nothing when the program throws. A control shows the
 * counter does see a registration made just before a throw.
 */
import * as path from "node:path";
import {
  applyOverrides,
  PROJECT_NAME,
  PROJECT_ROOT,
  readStackConfig,
  synthesize,
} from "../../synth/mockRuntime";

type PulumiModule = typeof import("@pulumi/pulumi");
type Monitor = { registerResource(...args: unknown[]): unknown };

/** Runs `program` under mocks with `config`; returns how many resources reached the monitor, and its error. */
async function countRegistrations(
  config: Record<string, string>,
  program: (pulumi: PulumiModule) => Promise<unknown>,
): Promise<{ count: number; error?: unknown }> {
  let count = 0;
  let error: unknown;
  await jest.isolateModulesAsync(async () => {
    const pulumi = require("@pulumi/pulumi") as PulumiModule;
    await pulumi.runtime.setMocks(
      { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
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
      await program(pulumi);
    } catch (e) {
      error = e;
    }
    // Registration is asynchronous: wait until everything already started has reached the monitor.
    await pulumi.runtime.disconnect();
  });
  return { count, error };
}

const runIndex = async () => (require(path.join(PROJECT_ROOT, "index")) as () => Promise<unknown>)();
const twoMasters = { masters: { count: 2, instanceType: "t3.medium" } };

test("synthesize rejects a bad stack with the ConfigError", async () => {
  await expect(synthesize("dev", twoMasters)).rejects.toThrow(
    /k8s-ha:masters\.count: 2 is invalid: must be odd/,
  );
});

test("no resource is registered when the config is invalid", async () => {
  const bad = await countRegistrations(applyOverrides(readStackConfig("dev"), twoMasters), runIndex);
  expect(String(bad.error)).toMatch(/Invalid stack configuration/);
  expect(bad.count).toBe(0);
});

test("control: the counter sees a resource registered just before a throw", async () => {
  const probe = await countRegistrations(readStackConfig("dev"), async (pulumi) => {
    new pulumi.ComponentResource("k8sha:test:Probe", "probe");
    throw new Error("after one registration");
  });
  expect(String(probe.error)).toMatch(/after one registration/);
  expect(probe.count).toBe(1);
});

test("loadConfig reads the whole stack config through pulumi.runtime.allConfig", async () => {
  const values = { ...readStackConfig("prod"), "pulumi:tags": "{}", "aws:profile": "ignored" };
  await jest.isolateModulesAsync(async () => {
    const pulumi = require("@pulumi/pulumi") as PulumiModule;
    const { loadConfig, parseConfig } = require("../../config/load") as typeof import("../../config/load");
    pulumi.runtime.setAllConfig(values);
    const loaded = loadConfig();
    expect(loaded.clusterName).toBe("prod");
    expect(loaded).toEqual(parseConfig(values));
  });
});
