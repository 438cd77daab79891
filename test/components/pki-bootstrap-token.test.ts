import * as pulumi from "@pulumi/pulumi";
import { BOOTSTRAP_TOKEN_PATTERN, BootstrapToken } from "../../components/bootstrapToken";
import { byType, type MockedResource, resolve, runWithMocks } from "../support/pki-mocks";

async function deployToken(name: string, rotation?: string) {
  return runWithMocks(async () => {
    const token = new BootstrapToken(name, rotation === undefined ? {} : { rotation });
    return {
      token: await resolve(token.token),
      tokenId: await resolve(token.tokenId),
      tokenIsSecret: await pulumi.isSecret(token.token),
      secretIsSecret: await pulumi.isSecret(token.tokenSecret),
    };
  });
}

const randomStrings = (resources: MockedResource[]) =>
  byType(resources, "random:index/randomString:RandomString");

type Deployment = Awaited<ReturnType<typeof deployToken>>;
let first: Deployment;
let again: Deployment;
let rotated: Deployment;

beforeAll(async () => {
  first = await deployToken("join", "2025-01");
  again = await deployToken("join", "2025-01");
  rotated = await deployToken("join", "2025-07");
});

test("token has kubeadm's format and comes from lower+numeric-only random strings", () => {
  expect(first.value.token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
  expect(first.value.token.startsWith(`${first.value.tokenId}.`)).toBe(true);
  const strings = randomStrings(first.resources);
  expect(strings.map((r) => r.inputs.length).sort()).toEqual([16, 6]);
  for (const r of strings) {
    expect(r.inputs).toMatchObject({ lower: true, numeric: true, upper: false, special: false });
  }
});

test("the full token and its secret half are Pulumi secrets", () => {
  expect(first.value.tokenIsSecret).toBe(true);
  expect(first.value.secretIsSecret).toBe(true);
});

test("same name and rotation: same token on the next run; new rotation: new token", () => {
  expect(again.value.token).toBe(first.value.token);
  expect(rotated.value.token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
  expect(rotated.value.token).not.toBe(first.value.token);
  // Rotation works through the keepers, which force the provider to replace the strings.
  for (const r of randomStrings(rotated.resources)) expect(r.inputs.keepers).toEqual({ rotation: "2025-07" });
});
