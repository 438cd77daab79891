/**
 * The boot bundles as the real program registers them for the real dev stack (Pulumi mocks):
 * one SSE object per role in the backup bucket under a content-addressed key, holding exactly
 * the role's rendered bundle; every launch template depends on its role's object and points its
 * node.env at that object's bucket, key and sha256 (recomputed here from the object content).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import { TAG_ROLE } from "../../base/tags";
import { renderBootBundle } from "../../cloud-init/bundle";
import { NODE_ENV_PATH } from "../../cloud-init/render-env";
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
let dev: SynthResult;

beforeAll(async () => {
  dev = await synthesize("dev");
});

function objectOf(role: "master" | "worker"): RegisteredResource {
  const found = ofType(dev, OBJECT).filter((o) => String(o.inputs.key).startsWith(`dev/boot/${role}-`));
  if (found.length !== 1) throw new Error(`expected one ${role} bundle object, found ${found.length}`);
  return found[0];
}

/** node.env of a launch template, sourced by real bash (what the bootstrap will see). */
async function nodeEnv(lt: RegisteredResource): Promise<Record<string, string>> {
  const doc = parse(gunzipSync(Buffer.from(String(lt.inputs.userData), "base64")).toString("utf8")) as {
    write_files: { path: string; content: string }[];
  };
  const dir = mkdtempSync(join(tmpdir(), "k8sha-graph-env-"));
  writeFileSync(join(dir, "node.env"), doc.write_files.find((f) => f.path === NODE_ENV_PATH)?.content ?? "");
  const keys = ["BOOT_BUNDLE_BUCKET", "BOOT_BUNDLE_KEY", "BOOT_BUNDLE_SHA256"];
  const script = `. "$1"; for k in ${keys.join(" ")}; do printf '%s\\0' "\${!k}"; done`;
  const { stdout } = await promisify(execFile)("bash", ["-c", script, "_", join(dir, "node.env")]);
  rmSync(dir, { recursive: true, force: true });
  const values = stdout.split("\0");
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? ""]));
}

test("one encrypted, content-addressed object per role in the backup bucket, holding the role's bundle", () => {
  const bucket = ofType(dev, "aws:s3/bucket:Bucket").find((b) => b.parent.includes("ClusterBucket"));
  expect(ofType(dev, OBJECT).filter((o) => o.parent.includes("k8sha:boot:BootBundle"))).toHaveLength(2);
  for (const role of ["master", "worker"] as const) {
    const object = objectOf(role);
    const content = String(object.inputs.content);
    const sha256 = createHash("sha256").update(content).digest("hex");
    expect(object.inputs.key).toBe(`dev/boot/${role}-${sha256}.sh`);
    expect(content).toBe(renderBootBundle(role).content);
    expect(object.inputs.serverSideEncryption).toBe("AES256");
    expect(object.inputs.bucket).toBe(bucket?.state.bucket);
    expect(object.parent).toContain("k8sha:boot:BootBundle");
    // A node still launching from the previous template version must find its bundle.
    expect(object.options.retainOnDelete).toBe(true);
  }
});

test("every launch template depends on its role's object and names its bucket, key and sha256", async () => {
  const templates = ofType(dev, "aws:ec2/launchTemplate:LaunchTemplate");
  expect(templates.length).toBeGreaterThanOrEqual(4);
  for (const lt of templates) {
    const role = (lt.inputs.tags as Record<string, string>)[TAG_ROLE] === "master" ? "master" : "worker";
    const object = objectOf(role);
    expect(lt.dependencies).toContain(object.urn);
    const env = await nodeEnv(lt);
    expect(env).toEqual({
      BOOT_BUNDLE_BUCKET: object.inputs.bucket,
      BOOT_BUNDLE_KEY: object.inputs.key,
      BOOT_BUNDLE_SHA256: createHash("sha256").update(String(object.inputs.content)).digest("hex"),
    });
  }
});
