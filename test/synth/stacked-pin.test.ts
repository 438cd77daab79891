/**
 * Stacked etcd is pinned byte for byte: every file of the dev and prod synth folders (the graph,
 * the summary, each role's rendered user-data and every boot bundle) against the digests in
 * test/fixtures/stacked/. A change meant to alter a stacked cluster refreshes them with
 * `npm run pin:stacked` and shows the changed lines in review; any other change fails here, so
 * work on the external topology cannot move a stacked cluster unnoticed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { userDataText } from "../../policy/userData";
import { changedPaths, synthDigest } from "../../synth/digest";
import { type RegisteredResource, synthesize } from "../../synth/mockRuntime";
import { PIN_DIR, PINNED_STACKS } from "../../synth/pin-stacked";

test.each(PINNED_STACKS)("the %s stack synthesizes exactly as pinned", async (stack) => {
  const pinned = fs.readFileSync(path.join(PIN_DIR, `${stack}.sha256`), "utf8");
  const current = synthDigest(await synthesize(stack));
  const changed = changedPaths(pinned, current);
  if (changed.length > 0) {
    throw new Error(
      `the ${stack} synth folder differs from test/fixtures/stacked/${stack}.sha256 in:\n  ${changed.join("\n  ")}\n` +
        "if the change is meant to alter a stacked cluster, run `npm run pin:stacked` and review the diff",
    );
  }
  expect(current).toBe(pinned);
});

test("the pin covers the graph, every role's user-data and every boot bundle", () => {
  const pinned = fs.readFileSync(path.join(PIN_DIR, "prod.sha256"), "utf8");
  const paths = pinned
    .trim()
    .split("\n")
    .map((l) => l.slice(66));
  expect(paths).toContain("resources.json");
  expect(paths.filter((p) => /^userdata\/[^/]+\/user-data$/.test(p)).length).toBeGreaterThanOrEqual(4);
  expect(paths.some((p) => p.startsWith("bundles/") && p.endsWith("/bin/k8sha-control-plane"))).toBe(true);
});

/** The dev graph with `change` applied to a copy of the first resource `pick` matches. */
async function changedBy(
  pick: (r: RegisteredResource) => boolean,
  change: (r: RegisteredResource) => void,
): Promise<string[]> {
  const result = await synthesize("dev");
  const tweaked = structuredClone(result);
  const target = tweaked.resources.find(pick);
  if (!target) throw new Error("no resource to change in the dev graph");
  change(target);
  return changedPaths(synthDigest(result), synthDigest(tweaked));
}

test("one port in the graph changes the graph's files and no node's files", async () => {
  const changed = await changedBy(
    (r) => typeof r.inputs.fromPort === "number",
    (r) => {
      r.inputs.fromPort = Number(r.inputs.fromPort) + 1;
    },
  );
  expect(changed).toContain("resources.json");
  expect(changed.filter((p) => p.startsWith("userdata/") || p.startsWith("bundles/"))).toEqual([]);
});

test("one line more in one role's user-data changes that role's user-data alone", async () => {
  let role = "";
  const changed = await changedBy(
    (r) => typeof r.inputs.userData === "string",
    (r) => {
      role = r.name;
      r.inputs.userData = userDataText(String(r.inputs.userData)).replace(
        "#cloud-config\n",
        "#cloud-config\n# one more line\n",
      );
    },
  );
  expect(changed).toEqual([`userdata/${role}/user-data`]);
});

test("identical digests have no changed paths", async () => {
  const digest = synthDigest(await synthesize("dev"));
  expect(changedPaths(digest, digest)).toEqual([]);
});
