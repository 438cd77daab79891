/**
 * `claim_etcd_volume` against a fake AWS CLI (test/support/fakes/aws): EC2 attachment states
 * cannot exist offline, so the fake serves scripted `describe-volumes` answers per poll and
 * logs every call. Asserts the exact call sequence, and that a running owner is never
 * force-detached.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAKES_DIR, runLib } from "../support/fakes/bashLib";

const VOL = "vol-0123456789abcdef0";
const ME = "i-0new";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Run the claim with scripted volume states; returns exit code and the calls (region stripped). */
async function claim(volumeStates: string[], instances: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-fake-aws-"));
  dirs.push(dir);
  writeFileSync(join(dir, "volume-states"), `${volumeStates.join("\n")}\n`);
  writeFileSync(join(dir, "instances"), `${instances.join("\n")}\n`);
  const result = await runLib(["etcd-volume.sh"], 'claim_etcd_volume "$1" "$2"', [VOL, ME], {
    AWS: join(FAKES_DIR, "aws"),
    AWS_REGION: "eu-west-1",
    FAKE_AWS_DIR: dir,
    ETCD_VOLUME_POLL_BASE: "1",
    ETCD_VOLUME_POLL_CAP: "0",
    ...env,
  });
  const calls = readFileSync(join(dir, "calls"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      expect(line.startsWith("--region eu-west-1 ec2 ")).toBe(true);
      return line.replace("--region eu-west-1 ec2 ", "").split(" ").slice(0, 1).join(" ");
    });
  return { ...result, calls, raw: readFileSync(join(dir, "calls"), "utf8") };
}

test("waits for a shutting-down predecessor to release the volume, then attaches it", async () => {
  const r = await claim(
    [
      "in-use i-old attached",
      "in-use i-old detaching",
      "available None None",
      `in-use ${ME} attaching`,
      `in-use ${ME} attached`,
    ],
    ["i-old shutting-down"],
    { ETCD_VOLUME_DETACH_GRACE: "3600" },
  );
  expect(r.code).toBe(0);
  expect(r.calls).toEqual([
    "describe-volumes",
    "describe-instances",
    "describe-volumes",
    "describe-instances",
    "describe-volumes",
    "attach-volume",
    "describe-volumes",
    "describe-volumes",
  ]);
  expect(r.raw).toContain(`attach-volume --volume-id ${VOL} --instance-id ${ME} --device /dev/xvdf`);
  expect(r.raw).not.toContain("detach-volume");
});

test("force-detaches from a terminated predecessor once the grace period is over", async () => {
  const r = await claim(
    ["in-use i-gone detaching", "available None None", `in-use ${ME} attached`],
    [], // EC2 no longer knows i-gone: InvalidInstanceID.NotFound counts as terminated
    { ETCD_VOLUME_DETACH_GRACE: "0" },
  );
  expect(r.code).toBe(0);
  expect(r.calls).toEqual([
    "describe-volumes",
    "describe-instances",
    "detach-volume",
    "describe-volumes",
    "attach-volume",
    "describe-volumes",
  ]);
  expect(r.raw).toContain(`detach-volume --volume-id ${VOL} --instance-id i-gone --force`);
});

test("never steals the volume from a running instance, and gives up at the timeout", async () => {
  const r = await claim(["in-use i-alive attached"], ["i-alive running"], {
    ETCD_VOLUME_DETACH_GRACE: "0",
    // 3 s at a 1 s poll: at least two looks even on a loaded machine.
    ETCD_VOLUME_CLAIM_TIMEOUT: "3",
    ETCD_VOLUME_POLL_CAP: "1",
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("never stealing it from a live instance");
  expect(r.stderr).toContain("FATAL: volume");
  expect(r.calls.filter((c) => c === "describe-volumes").length).toBeGreaterThanOrEqual(2);
  expect(r.calls).not.toContain("detach-volume");
  expect(r.calls).not.toContain("attach-volume");
});

test("a reboot with the volume already attached here makes no change", async () => {
  const r = await claim([`in-use ${ME} attached`], []);
  expect(r.code).toBe(0);
  expect(r.calls).toEqual(["describe-volumes"]);
});
