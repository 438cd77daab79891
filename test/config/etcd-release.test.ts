/**
 * etcd.releaseSha256: the digest an etcd node checks the upstream release tarball against.
 * Stacked refuses it like etcd.version; external needs a well-formed one, defaults to the digest
 * config/etcd-versions.ts pins for the release, needs one when none is pinned, and must agree
 * with a pinned one. Each refusal names the key, the value and the rule.
 */
import {
  ETCD_RELEASE_SHA256,
  ETCD_VERSION_FOR_KUBERNETES_MINOR,
  etcdReleaseSha256Problem,
  pinnedEtcdReleaseSha256,
} from "../../config/etcd-versions";
import { expectSingleProblem } from "../support/configRefusal";
import { acceptedSpec, DIGEST, problemsOf, UNPINNED_RELEASE } from "./etcdRefusals";

const OTHER = "fedcba9876543210".repeat(4);
const KEY = "k8s-ha:etcd.releaseSha256";

/** The releaseSha256 problem among `problems`, after checking it is the only one. */
function digestProblem(problems: string[]): string | undefined {
  expect(problems).toHaveLength(1);
  return problems.find((p) => p.includes(`${KEY}:`));
}

test("a digest with stacked etcd is refused like etcd.version", () =>
  expectSingleProblem(
    { etcd: { releaseSha256: DIGEST } },
    new RegExp(
      `${KEY.replace(".", "\\.")}: "${DIGEST}" is invalid: only with etcd\\.topology external; .*etcd image kubeadm picks; remove it`,
    ),
  ));

test("every release a Kubernetes minor defaults to has a well-formed pinned digest, each its own", () => {
  const defaults = [...new Set(Object.values(ETCD_VERSION_FOR_KUBERNETES_MINOR))];
  for (const version of defaults) expect(pinnedEtcdReleaseSha256(version)).toMatch(/^[0-9a-f]{64}$/);
  const digests = defaults.map((v) => pinnedEtcdReleaseSha256(v));
  expect(new Set(digests).size).toBe(defaults.length);
  // Nothing pinned beyond the defaults: every entry was cross-checked, see config/etcd-versions.ts.
  expect(Object.keys(ETCD_RELEASE_SHA256).sort()).toEqual([...defaults].sort());
});

test("external without a digest takes the pinned one; repeating it is fine", () => {
  const pinned = pinnedEtcdReleaseSha256("3.6.5");
  expect(acceptedSpec({ etcd: { topology: "external" } }).etcd.releaseSha256).toBe(pinned);
  expect(acceptedSpec({ etcd: { topology: "external", releaseSha256: pinned } }).etcd.releaseSha256).toBe(
    pinned,
  );
});

test("external with a digest that differs from the pin is refused, naming both", () => {
  const problem = digestProblem(problemsOf({ etcd: { topology: "external", releaseSha256: DIGEST } }));
  expect(problem).toBe(
    `  - ${KEY}: "${DIGEST}" is invalid: the digest pinned for etcd 3.6.5 in config/etcd-versions.ts, ${pinnedEtcdReleaseSha256("3.6.5")}: a different sha256 of etcd-v3.6.5-linux-amd64.tar.gz is a different file; remove the key or fix it`,
  );
});

test("external with a well-formed digest for an unpinned release is accepted and hands the digest on", () =>
  expect(
    acceptedSpec({ etcd: { topology: "external", version: UNPINNED_RELEASE, releaseSha256: DIGEST } }).etcd
      .releaseSha256,
  ).toBe(DIGEST));

test.each([
  ["upper-case hex", DIGEST.toUpperCase(), `"${DIGEST.toUpperCase()}"`],
  ["63 digits", DIGEST.slice(1), `"${DIGEST.slice(1)}"`],
  ["65 digits", `${DIGEST}0`, `"${DIGEST}0"`],
  ["a sha256: prefix", `sha256:${DIGEST}`, `"sha256:${DIGEST}"`],
  ["a number", 42, "42"],
])("external with %s as the digest is refused", (_name, releaseSha256, shown) => {
  const problem = digestProblem(problemsOf({ etcd: { topology: "external", releaseSha256 } }));
  expect(problem).toBe(
    `  - ${KEY}: ${shown} is invalid: 64 lower-case hex digits: the sha256 of etcd-v3.6.5-linux-amd64.tar.gz`,
  );
});

test("external without a digest, for a release with none pinned, is refused naming the release", () => {
  expect(pinnedEtcdReleaseSha256(UNPINNED_RELEASE)).toBeUndefined();
  const problem = digestProblem(problemsOf({ etcd: { topology: "external", version: UNPINNED_RELEASE } }));
  expect(problem).toBe(
    `  - ${KEY}: (missing) is invalid: required for etcd ${UNPINNED_RELEASE}: the sha256 of etcd-v${UNPINNED_RELEASE}-linux-amd64.tar.gz (no pinned digest for this release in config/etcd-versions.ts)`,
  );
});

test("a refused release asks for no digest; a malformed digest is still reported", () => {
  // Requiring a digest for a release that is itself refused would only add noise.
  const refused = problemsOf({ etcd: { topology: "external", version: "3.5.23" } });
  expect(refused.some((p) => p.includes(KEY))).toBe(false);
  const both = problemsOf({ etcd: { topology: "external", version: "3.5.23", releaseSha256: "abc" } });
  expect(both).toHaveLength(2);
  expect(both.find((p) => p.includes(KEY))).toMatch(
    /: "abc" is invalid: 64 lower-case hex digits: the sha256 of the etcd release tarball$/,
  );
});

describe("against a pinned digest", () => {
  const table = { [UNPINNED_RELEASE]: DIGEST };

  test("a stack that omits it or repeats it is fine; a different one is refused naming both", () => {
    expect(etcdReleaseSha256Problem(undefined, UNPINNED_RELEASE, table)).toBeUndefined();
    expect(etcdReleaseSha256Problem(DIGEST, UNPINNED_RELEASE, table)).toBeUndefined();
    expect(etcdReleaseSha256Problem(OTHER, UNPINNED_RELEASE, table)).toBe(
      `the digest pinned for etcd ${UNPINNED_RELEASE} in config/etcd-versions.ts, ${DIGEST}: a different sha256 of etcd-v${UNPINNED_RELEASE}-linux-amd64.tar.gz is a different file; remove the key or fix it`,
    );
    // A pin for one release says nothing about another.
    expect(etcdReleaseSha256Problem(undefined, "3.6.6", table)).toMatch(/^required for etcd 3\.6\.6:/);
    expect(pinnedEtcdReleaseSha256("3.6.6", table)).toBeUndefined();
  });

  // Through the whole resolver, with the real table given a pin in a module registry of its own
  // (so no other test sees it); `run` imports what it needs from that registry.
  async function withPin(run: () => Promise<void>): Promise<void> {
    await jest.isolateModulesAsync(async () => {
      const versions = await import("../../config/etcd-versions");
      Object.assign(versions.ETCD_RELEASE_SHA256, table);
      await run();
    });
  }

  /** The etcd release digest the resolver of this registry hands on, or every problem it reports. */
  async function isolatedParse(releaseSha256?: string): Promise<{ digest?: string; problems: string[] }> {
    const { parseConfig } = await import("../../config/stack");
    try {
      const spec = parseConfig({
        "aws:region": "eu-west-1",
        "k8s-ha:clusterName": "pin",
        "k8s-ha:kubernetesVersion": "1.34.2",
        "k8s-ha:etcd": JSON.stringify({ topology: "external", version: UNPINNED_RELEASE, releaseSha256 }),
      });
      return { digest: spec.etcd.releaseSha256, problems: [] };
    } catch (e) {
      // This registry's ConfigError is not the one imported at the top of the file.
      const { formatProblem } = await import("../../config/errors");
      return {
        problems: (e as { problems: Parameters<typeof formatProblem>[0][] }).problems.map(formatProblem),
      };
    }
  }

  test("the resolver refuses a different digest, naming the key, the given and the pinned one", () =>
    withPin(async () => {
      const { problems } = await isolatedParse(OTHER);
      expect(problems).toEqual([
        `${KEY}: "${OTHER}" is invalid: the digest pinned for etcd ${UNPINNED_RELEASE} in config/etcd-versions.ts, ${DIGEST}: a different sha256 of etcd-v${UNPINNED_RELEASE}-linux-amd64.tar.gz is a different file; remove the key or fix it`,
      ]);
    }));

  test("the resolver needs no digest from the stack when one is pinned, and hands on the pinned one", () =>
    withPin(async () => {
      expect(await isolatedParse()).toEqual({ digest: DIGEST, problems: [] });
      expect(await isolatedParse(DIGEST)).toEqual({ digest: DIGEST, problems: [] });
    }));

  test("the pin stayed inside its own module registry", async () => {
    await withPin(async () => undefined);
    expect(ETCD_RELEASE_SHA256[UNPINNED_RELEASE]).toBeUndefined();
  });
});
