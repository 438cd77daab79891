/**
 * Runs component code under Pulumi mocks; a test file can "deploy" several times and
 * compare. AWS and TLS resources get synth/mockRuntime's state (real RSA keys for
 * tls:PrivateKey); random:RandomString gets a stand-in for the real provider:
 * a value drawn from exactly the character classes the inputs allow, fixed by the resource
 * name and keepers — as the real provider keeps it in state until a keeper changes.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockResourceState } from "../../synth/mockRuntime";

export interface MockedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

const CHARSETS = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  numeric: "0123456789",
  special: "!@#$%&*()-_=+[]{}<>:?",
} as const;

/** random:RandomString as the provider would compute it: flags default to true. */
export function mockRandomString(name: string, inputs: Record<string, unknown>): string {
  const alphabet = (Object.keys(CHARSETS) as (keyof typeof CHARSETS)[])
    .filter((cls) => inputs[cls] !== false)
    .map((cls) => CHARSETS[cls])
    .join("");
  const length = Number(inputs.length);
  const seed = `${name}|${JSON.stringify(inputs.keepers ?? {})}`;
  let out = "";
  for (let block = 0; out.length < length; block++) {
    for (const byte of crypto.createHash("sha256").update(`${seed}|${block}`).digest()) {
      out += alphabet[byte % alphabet.length];
    }
  }
  return out.slice(0, length);
}

/**
 * One mocked `pulumi up`: fresh mocks, then `build` constructs components. Calling it again
 * is a second deployment in the same process (setMocks replaces the monitor), which is far
 * cheaper than reloading @pulumi/pulumi in a fresh module registry.
 */
export async function runWithMocks<T>(
  build: () => Promise<T> | T,
): Promise<{ value: T; resources: MockedResource[] }> {
  const resources: MockedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const state = mockResourceState(args.type, args.name, inputs);
        if (args.type === "random:index/randomString:RandomString") {
          state.result = mockRandomString(args.name, inputs);
        }
        resources.push({ type: args.type, name: args.name, inputs, state });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => mockCall(args.token, (args.inputs ?? {}) as Record<string, unknown>),
    },
    "k8s-ha",
    "test",
    false,
  );
  const value = await build();
  // Drains outstanding registrations, so `resources` is complete.
  await pulumi.runtime.disconnect();
  return { value, resources };
}

/** The resolved value of an output (mocks never preview, so apply always runs). */
export function resolve<T>(output: { apply<U>(f: (t: T) => U): unknown }): Promise<T> {
  return new Promise((done) => {
    output.apply((v) => {
      done(v);
      return v;
    });
  });
}

export function byType(resources: MockedResource[], type: string): MockedResource[] {
  return resources.filter((r) => r.type === type);
}

/** How the Pulumi runtime hands a secret input to a mock: `{ <secret sig>: <marker>, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** True when a mock received `value` as a Pulumi secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** The plain value of a mock input, secret or not. */
export function plain(value: unknown): unknown {
  return isSecretInput(value) ? (value as { value: unknown }).value : value;
}
