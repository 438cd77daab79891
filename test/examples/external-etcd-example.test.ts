/**
 * examples/external-etcd/Pulumi.external.yaml through the real config validation: as shipped it
 * resolves to the external topology it documents, with the etcd release's pinned digest; a stack
 * that changes the release to one without a pin, or states a digest the pin contradicts, is
 * refused naming etcd.releaseSha256, as its README says.
 */
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { pinnedEtcdReleaseSha256 } from "../../config/etcd-versions";
import { parseConfig } from "../../config/stack";
import { PROJECT_ROOT, readStackFile } from "../../synth/mockRuntime";

const STACK_FILE = path.join(PROJECT_ROOT, "examples/external-etcd/Pulumi.external.yaml");
const ETCD_KEY = "k8s-ha:etcd";
const DIGEST_KEY = `${ETCD_KEY}.releaseSha256`;

/** The example's `k8s-ha:etcd` object, decoded as the config layer decodes it (JSON). */
function etcdSection(config: Record<string, string>): Record<string, unknown> {
  const raw = config[ETCD_KEY];
  if (raw === undefined) throw new Error(`${STACK_FILE} has no ${ETCD_KEY}`);
  return JSON.parse(raw) as Record<string, unknown>;
}

/** The example's config with `etcd` changed by `change`, everything else as shipped. */
function withEtcd(change: Record<string, unknown>): Record<string, string> {
  const config = readStackFile(STACK_FILE);
  return { ...config, [ETCD_KEY]: JSON.stringify({ ...etcdSection(config), ...change }) };
}

function refusal(config: Record<string, string>): ConfigError {
  try {
    parseConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("the changed example stack was accepted");
}

test("as shipped it resolves to external etcd with 3 members and the pinned etcd 3.6.5 digest", () => {
  const shipped = readStackFile(STACK_FILE);
  expect(etcdSection(shipped)).not.toHaveProperty("releaseSha256");
  const spec = parseConfig(shipped);
  expect(spec.etcd.topology).toBe("external");
  expect(spec.etcd.members).toBe(3);
  expect(spec.etcd.version).toBe("3.6.5");
  expect(spec.etcd.releaseSha256).toBe(pinnedEtcdReleaseSha256("3.6.5"));
  expect(spec.etcd.releaseSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(spec.etcd.instanceType).toBe("m6i.large");
  expect(spec.masters.count).toBe(3);
  expect(spec.availabilityZones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
});

test("another release without a pin is refused until the stack states its digest, which is then used", () => {
  expect(pinnedEtcdReleaseSha256("3.6.4")).toBeUndefined();
  const error = refusal(withEtcd({ version: "3.6.4" }));
  expect(error.problems.map((p) => p.key)).toEqual([DIGEST_KEY]);
  expect(error.message).toContain("required for etcd 3.6.4: the sha256 of etcd-v3.6.4-linux-amd64.tar.gz");
  const digest = "0123456789abcdef".repeat(4);
  expect(parseConfig(withEtcd({ version: "3.6.4", releaseSha256: digest })).etcd.releaseSha256).toBe(digest);
});

test("a digest that contradicts the pin, or is not lower-case hex, is refused naming etcd.releaseSha256", () => {
  const other = refusal(withEtcd({ releaseSha256: "0123456789abcdef".repeat(4) }));
  expect(other.problems.map((p) => p.key)).toEqual([DIGEST_KEY]);
  expect(other.message).toContain("the digest pinned for etcd 3.6.5 in config/etcd-versions.ts");
  const pinned = pinnedEtcdReleaseSha256("3.6.5") ?? "";
  const upper = refusal(withEtcd({ releaseSha256: pinned.toUpperCase() }));
  expect(upper.problems.map((p) => p.key)).toEqual([DIGEST_KEY]);
  expect(upper.message).toContain("64 lower-case hex digits");
});
