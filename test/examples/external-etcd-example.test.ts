/**
 * examples/external-etcd/Pulumi.external.yaml through the real config validation: as shipped its
 * digest placeholder must be refused by name (so nobody deploys it unedited), and with a
 * well-formed digest in its place it must resolve to the external topology it documents.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { parseConfig } from "../../config/stack";
import { PROJECT_ROOT, readStackFile } from "../../synth/mockRuntime";

const STACK_FILE = path.join(PROJECT_ROOT, "examples/external-etcd/Pulumi.external.yaml");
const ETCD_KEY = "k8s-ha:etcd";

/** A well-formed digest that is no etcd release's: the test only needs the config to accept it. */
const WELL_FORMED_DIGEST = createHash("sha256").update("not an etcd release tarball").digest("hex");

/** The example's `k8s-ha:etcd` object, decoded as the config layer decodes it (JSON). */
function etcdSection(config: Record<string, string>): Record<string, unknown> {
  const raw = config[ETCD_KEY];
  if (raw === undefined) throw new Error(`${STACK_FILE} has no ${ETCD_KEY}`);
  return JSON.parse(raw) as Record<string, unknown>;
}

/** The example's config with `etcd.releaseSha256` set to `digest`, everything else as shipped. */
function withDigest(digest: string): Record<string, string> {
  const config = readStackFile(STACK_FILE);
  return { ...config, [ETCD_KEY]: JSON.stringify({ ...etcdSection(config), releaseSha256: digest }) };
}

function refusal(config: Record<string, string>): ConfigError {
  try {
    parseConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("the example stack was accepted as shipped");
}

test("as shipped, the digest placeholder is refused, naming etcd.releaseSha256 and only it", () => {
  const shipped = readStackFile(STACK_FILE);
  const placeholder = etcdSection(shipped).releaseSha256;
  expect(typeof placeholder).toBe("string");
  // The placeholder must not be a digest: a well-formed one would pass the check silently.
  expect(placeholder).not.toMatch(/^[0-9a-f]{64}$/);
  const error = refusal(shipped);
  expect(error.problems.map((p) => p.key)).toEqual([`${ETCD_KEY}.releaseSha256`]);
  expect(error.message).toContain(`${ETCD_KEY}.releaseSha256: ${JSON.stringify(placeholder)} is invalid`);
  expect(error.message).toContain("64 lower-case hex digits");
});

test("with a well-formed digest it resolves to external etcd with 3 members", () => {
  const spec = parseConfig(withDigest(WELL_FORMED_DIGEST));
  expect(spec.etcd.topology).toBe("external");
  expect(spec.etcd.members).toBe(3);
  expect(spec.etcd.version).toBe("3.6.5");
  expect(spec.etcd.releaseSha256).toBe(WELL_FORMED_DIGEST);
  expect(spec.etcd.instanceType).toBe("m6i.large");
  expect(spec.masters.count).toBe(3);
  expect(spec.availabilityZones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
});

test("an upper-case digest is refused too, so the README's lower-case rule is the real one", () => {
  const error = refusal(withDigest(WELL_FORMED_DIGEST.toUpperCase()));
  expect(error.problems.map((p) => p.key)).toEqual([`${ETCD_KEY}.releaseSha256`]);
});
