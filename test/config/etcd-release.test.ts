/**
 * etcd.releaseSha256: the digest an etcd node checks the upstream release tarball against.
 * Stacked refuses it like etcd.version; external needs a well-formed one, needs one when
 * config/etcd-versions.ts pins none for the release, and must agree with a pinned one. Each
 * refusal names the key, the value and the rule.
 */
import {
  ETCD_RELEASE_SHA256,
  etcdReleaseSha256Problem,
  pinnedEtcdReleaseSha256,
} from "../../config/etcd-versions";
import { expectSingleProblem } from "../support/configRefusal";
import { DIGEST, NOT_BUILT, problemsOf } from "./etcdRefusals";

const OTHER = "fedcba9876543210".repeat(4);
const KEY = "k8s-ha:etcd.releaseSha256";

/** The releaseSha256 problem among `problems`, after checking it is the only one besides NOT_BUILT. */
function digestProblem(problems: string[]): string | undefined {
  expect(problems).toHaveLength(2);
  expect(problems.join("\n")).toMatch(NOT_BUILT);
  return problems.find((p) => p.includes(`${KEY}:`));
}

test("a digest with stacked etcd is refused like etcd.version", () =>
  expectSingleProblem(
    { etcd: { releaseSha256: DIGEST } },
    new RegExp(
      `${KEY.replace(".", "\\.")}: "${DIGEST}" is invalid: only with etcd\\.topology external; .*etcd image kubeadm picks; remove it`,
    ),
  ));

test("external with a well-formed digest is refused only because the role is not built yet", () =>
  expectSingleProblem(
    { etcd: { topology: "external", version: "3.6.5", releaseSha256: DIGEST } },
    NOT_BUILT,
  ));

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
  // A precondition: once 3.6.5 is pinned (after cross-checking), this case needs an unpinned release.
  expect(pinnedEtcdReleaseSha256("3.6.5")).toBeUndefined();
  const problem = digestProblem(problemsOf({ etcd: { topology: "external", version: "3.6.5" } }));
  expect(problem).toBe(
    `  - ${KEY}: (missing) is invalid: required for etcd 3.6.5: the sha256 of etcd-v3.6.5-linux-amd64.tar.gz (no pinned digest for this release in config/etcd-versions.ts)`,
  );
});

test("a refused release asks for no digest; a malformed digest is still reported", () => {
  // Requiring a digest for a release that is itself refused would only add noise.
  const refused = problemsOf({ etcd: { topology: "external", version: "3.5.23" } });
  expect(refused.some((p) => p.includes(KEY))).toBe(false);
  const both = problemsOf({ etcd: { topology: "external", version: "3.5.23", releaseSha256: "abc" } });
  expect(both).toHaveLength(3);
  expect(both.find((p) => p.includes(KEY))).toMatch(
    /: "abc" is invalid: 64 lower-case hex digits: the sha256 of the etcd release tarball$/,
  );
});

describe("against a pinned digest", () => {
  const table = { "3.6.5": DIGEST };

  test("a stack that omits it or repeats it is fine; a different one is refused naming both", () => {
    expect(etcdReleaseSha256Problem(undefined, "3.6.5", table)).toBeUndefined();
    expect(etcdReleaseSha256Problem(DIGEST, "3.6.5", table)).toBeUndefined();
    expect(etcdReleaseSha256Problem(OTHER, "3.6.5", table)).toBe(
      `the digest pinned for etcd 3.6.5 in config/etcd-versions.ts, ${DIGEST}: a different sha256 of etcd-v3.6.5-linux-amd64.tar.gz is a different file; remove the key or fix it`,
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

  async function isolatedProblems(releaseSha256?: string): Promise<string[]> {
    const { parseConfig } = await import("../../config/stack");
    try {
      parseConfig({
        "aws:region": "eu-west-1",
        "k8s-ha:clusterName": "pin",
        "k8s-ha:kubernetesVersion": "1.34.2",
        "k8s-ha:etcd": JSON.stringify({ topology: "external", version: "3.6.5", releaseSha256 }),
      });
    } catch (e) {
      // This registry's ConfigError is not the one imported at the top of the file.
      const { formatProblem } = await import("../../config/errors");
      return (e as { problems: Parameters<typeof formatProblem>[0][] }).problems.map(formatProblem);
    }
    throw new Error("the stack was accepted");
  }

  test("the resolver refuses a different digest, naming the key, the given and the pinned one", () =>
    withPin(async () => {
      const problems = await isolatedProblems(OTHER);
      expect(problems).toHaveLength(2);
      expect(problems.find((p) => p.startsWith(KEY))).toBe(
        `${KEY}: "${OTHER}" is invalid: the digest pinned for etcd 3.6.5 in config/etcd-versions.ts, ${DIGEST}: a different sha256 of etcd-v3.6.5-linux-amd64.tar.gz is a different file; remove the key or fix it`,
      );
    }));

  test("the resolver needs no digest from the stack when one is pinned, and hands on the pinned one", () =>
    withPin(async () => {
      expect(await isolatedProblems()).toEqual([expect.stringMatching(NOT_BUILT)]);
      expect(await isolatedProblems(DIGEST)).toEqual([expect.stringMatching(NOT_BUILT)]);
      // The spec never leaves the resolver while external is refused, so read the section itself.
      const { Problems } = await import("../../config/errors");
      const { Section } = await import("../../config/reader");
      const { SECTION_KEYS } = await import("../../config/schema");
      const { readEtcd } = await import("../../config/validate-etcd");
      const problems = new Problems();
      const root = Section.open(
        problems,
        "k8s-ha:",
        { etcd: { topology: "external" } },
        SECTION_KEYS.cluster,
      );
      const etcd = readEtcd(root, {
        masters: { count: 3 },
        availabilityZoneCount: 3,
        kubernetesVersion: "1.34.2",
      });
      expect(etcd.releaseSha256).toBe(DIGEST);
      expect(problems.count).toBe(1); // the not-built refusal
    }));

  test("the pin stayed inside its own module registry", async () => {
    await withPin(async () => undefined);
    expect(ETCD_RELEASE_SHA256["3.6.5"]).not.toBe(DIGEST);
  });
});
