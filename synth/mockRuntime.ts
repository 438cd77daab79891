/**
 * Runs the real program (index.ts) under Pulumi's mock runtime with a stack's real config
 * and records every resource it registers. Used by the unit tests and by `npm run synth`.
 *
 * No AWS and no Pulumi CLI: providers are replaced by `mockResourceState`, which echoes the
 * inputs back and adds the few computed attributes the program reads (ids, ARNs, DNS names,
 * TLS key material).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "../config/resolve";
import {
  GET_PARAMETER,
  type MockAccount,
  mockCall,
  mockGetParameter,
  mockResourceState,
} from "./mockProviders";

export {
  GET_PARAMETER,
  MOCK_ACCOUNT_ID,
  type MockAccount,
  mockCall,
  mockGetParameter,
  mockResourceState,
} from "./mockProviders";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
/** The Pulumi project name, which is the stack config namespace. */
export const PROJECT_NAME = CONFIG_NAMESPACE;

/** One resource as the program registered it. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent resource ("" for the stack itself). */
  parent: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  /** Resolved outputs the mock returned (inputs plus computed attributes). */
  state: Record<string, unknown>;
  /** URNs named in dependsOn or implied by inputs. */
  dependencies: string[];
  /** Resource options the engine would honour (not visible to the mock callback itself). */
  options: {
    retainOnDelete: boolean;
    protect: boolean;
    ignoreChanges: string[];
    /** The earlier types this resource answers to (an alias keeps an existing stack's URN); absent when none. */
    aliasTypes?: string[];
    /** True when a replacement deletes the old resource before creating the new one; absent when not. */
    deleteBeforeReplace?: boolean;
  };
}

export interface SynthResult {
  stack: string;
  resources: RegisteredResource[];
  /** Stack outputs with Outputs resolved; secrets are unwrapped (the test runs locally). */
  outputs: Record<string, unknown>;
  /** Names of outputs that were marked secret. */
  secretOutputs: string[];
  /** Function calls (invokes) the program made, e.g. getAvailabilityZones. */
  invokes: { token: string; inputs: Record<string, unknown> }[];
}

/** Reads `Pulumi.<stack>.yaml` and returns its config block, values as Pulumi passes them (strings). */
export function readStackConfig(stack: string, root = PROJECT_ROOT): Record<string, string> {
  return readStackFile(path.join(root, `Pulumi.${stack}.yaml`));
}

/** Thrown when the stack file to synthesize does not exist (the CLI prints it as it is). */
export class MissingStackFileError extends Error {}

/** A stack file's config block from any path, values as Pulumi passes them (strings). */
export function readStackFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) throw new MissingStackFileError(`no stack file ${file}`);
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw = doc?.config ?? {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    // The Pulumi CLI namespaces a bare stack-file key with the project's name
    // (sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject); so does the synth.
    const fullKey = key.includes(":") ? key : `${PROJECT_NAME}:${key}`;
    out[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** Overrides applied on top of a stack file: a value replaces the key, `undefined` removes it. */
export type ConfigOverrides = Record<string, unknown>;

export function applyOverrides(base: Record<string, string>, overrides: ConfigOverrides = {}) {
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const fullKey = key.includes(":") ? key : `${PROJECT_NAME}:${key}`;
    if (value === undefined) delete out[fullKey];
    else out[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** The URN the mock monitor gives a resource (same rule as Pulumi's MockMonitor.newUrn). */
export function mockUrn(stack: string, parent: string, type: string, name: string): string {
  let qualified = type;
  if (parent) {
    const parentType = (parent.split("::")[2] ?? "").split("$").pop() ?? "";
    qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${[stack, PROJECT_NAME, qualified, name].join("::")}`;
}

interface RpcRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getRetainondelete(): boolean | undefined;
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getAliasesList(): { getSpec(): { getType(): string } | undefined }[];
}

type PulumiModule = typeof import("@pulumi/pulumi");

/**
 * Runs index.ts for `stack` under mocks. Inside jest each run gets a fresh module registry,
 * so one test file may synthesize several stacks or config variants.
 */
export async function synthesize(
  stack: string,
  overrides: ConfigOverrides = {},
  stackFile?: string,
  account: MockAccount = {},
): Promise<SynthResult> {
  const config = applyOverrides(stackFile ? readStackFile(stackFile) : readStackConfig(stack), overrides);
  const jestGlobal = (
    globalThis as { jest?: { isolateModulesAsync(fn: () => Promise<void>): Promise<void> } }
  ).jest;
  let result: SynthResult | undefined;
  const run = async () => {
    result = await synthesizeInCurrentRegistry(stack, config, undefined, account);
  };
  const cacheFile = synthCacheFile(stack, [config, account]);
  if (cacheFile && fs.existsSync(cacheFile)) {
    return JSON.parse(fs.readFileSync(cacheFile, "utf8")) as SynthResult;
  }
  if (jestGlobal) await jestGlobal.isolateModulesAsync(run);
  else await run();
  if (!result) throw new Error("synthesis produced no result");
  if (cacheFile) {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(result));
    fs.renameSync(tmp, cacheFile);
  }
  return result;
}

/**
 * `npm test` sets K8SHA_SYNTH_CACHE_DIR to a fresh directory per run, so each distinct
 * (stack, config) is synthesized once per run instead of once per test file. The key is the
 * full config and mocked account, so no variant reads another's graph. Unset: no caching.
 */
function synthCacheFile(stack: string, variant: unknown): string | undefined {
  const dir = process.env.K8SHA_SYNTH_CACHE_DIR;
  if (!dir) return undefined;
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify([stack, variant]))
    .digest("hex")
    .slice(0, 24);
  return path.join(dir, `${stack}-${key}.json`);
}

/** Runs `programFile` (default index.ts) under mocks in the current module registry. */
export async function synthesizeInCurrentRegistry(
  stack: string,
  config: Record<string, string>,
  programFile = path.join(PROJECT_ROOT, "index"),
  account: MockAccount = {},
): Promise<SynthResult> {
  const pulumi = require("@pulumi/pulumi") as PulumiModule;
  const resources: RegisteredResource[] = [];
  const invokes: SynthResult["invokes"] = [];
  const pending = new Map<
    string,
    { parent: string; dependencies: string[]; custom: boolean; options: RegisteredResource["options"] }
  >();

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const state = mockResourceState(args.type, args.name, inputs);
        const meta = pending.get(`${args.type}::${args.name}`);
        resources.push({
          urn: mockUrn(stack, meta?.parent ?? "", args.type, args.name),
          type: args.type,
          name: args.name,
          parent: meta?.parent ?? "",
          custom: args.custom ?? true,
          inputs,
          state,
          dependencies: meta?.dependencies ?? [],
          options: meta?.options ?? { retainOnDelete: false, protect: false, ignoreChanges: [] },
        });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        invokes.push({ token: args.token, inputs });
        if (args.token === GET_PARAMETER) return mockGetParameter(inputs, account);
        return mockCall(args.token, inputs);
      },
    },
    PROJECT_NAME,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(config);

  // Record parent and dependencies, which the mock callback does not receive.
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): { registerResource(req: RpcRequest, cb: unknown): Promise<void> };
  };
  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RpcRequest, cb: unknown) => {
    const aliasTypes = req
      .getAliasesList()
      .map((alias) => alias.getSpec()?.getType() ?? "")
      .filter((type) => type !== "");
    pending.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      custom: req.getCustom(),
      options: {
        retainOnDelete: req.getRetainondelete() ?? false,
        protect: req.getProtect() ?? false,
        ignoreChanges: req.getIgnorechangesList(),
        ...(aliasTypes.length > 0 ? { aliasTypes } : {}),
        ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true } : {}),
      },
    });
    return original(req, cb);
  };

  // An exception inside an apply (e.g. a renderer refusing oversized user-data) surfaces in the
  // real engine as a failed deployment; here it would only be an unhandled rejection. Collect
  // those and fail the synthesis instead of hanging or passing silently.
  const asyncErrors: unknown[] = [];
  const onRejection = (reason: unknown) => asyncErrors.push(reason);
  process.on("unhandledRejection", onRejection);
  let result: SynthResult;
  try {
    const program = require(programFile) as () => Promise<Record<string, unknown>>;
    const exported = await program();
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [key, value] of Object.entries(exported ?? {})) {
      // pulumi.output() deep-unwraps lists and objects of Outputs (e.g. subnet id lists).
      // Unwrap<unknown> is `never` to the type checker; at run time this is an Output either way.
      const output = pulumi.output(value) as unknown as OutputWithPromise;
      if (await pulumi.isSecret(output)) secretOutputs.push(key);
      // promise() (internal but stable) rejects when an apply upstream threw; apply() would never call back.
      outputs[key] = await output.promise();
    }
    await pulumi.runtime.disconnect();
    // Let rejections raised during disconnect reach the handler before deciding.
    await new Promise((resolve) => setImmediate(resolve));
    if (asyncErrors.length > 0) throw asyncErrors[0];
    result = { stack, resources, outputs, secretOutputs, invokes };
  } catch (error) {
    // Give the failed program's other pending registrations a moment to settle (their
    // rejections land in the handler; disconnect() would wait forever on them) before reporting, so none of them escapes into the next test. The handler
    // stays installed: anything still rejecting belongs to the failure reported here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    throw error instanceof Error ? error : new Error(`program failed: ${String(error)}`);
  }
  process.off("unhandledRejection", onRejection);
  return result;
}

type OutputWithPromise = import("@pulumi/pulumi").Output<unknown> & { promise(): Promise<unknown> };

/** Convenience filters for assertions. */
export function ofType(result: SynthResult, type: string): RegisteredResource[] {
  return result.resources.filter((r) => r.type === type);
}
