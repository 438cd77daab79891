/**
 * cloud-init/bootstrap.sh for real: bash, the REAL AWS CLI (/usr/bin/aws, through a shim that
 * logs each call) downloading from s3rver on 127.0.0.1, real sha256sum and extraction.
 * Stubbed: the entry script (a bundle built by the real bundleScript() whose bin/worker-boot.sh
 * only records that it ran; the real entry scripts are tested elsewhere) and the AWS CLI install
 * command (snap cannot run here; the stub records the call and links the real CLI), and EC2
 * CreateTags (a recording wrapper answers it; s3rver has no EC2). IMDS is a loopback server in
 * the failure case and a closed loopback port elsewhere: no test ever reaches 169.254.169.254.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleScript } from "../../cloud-init/bundle";
import { nodeFacts, renderEnvFile } from "../../cloud-init/render-env";
import { AWS_CLI, S3TestServer } from "../support/s3";

const BOOTSTRAP = resolve(__dirname, "../../cloud-init/bootstrap.sh");
const KEY = "dev/boot/worker-test.sh";
let s3: S3TestServer;
let work: string;
let shim: string;
let imds: Server;
let imdsUrl = "";
const IMDS_TOKEN = "imds-token-1";
const INSTANCE_ID = "i-0bootstrapfail";

const stubEntry =
  '#!/usr/bin/env bash\nprintf \'ran role=%s lib=%s\\n\' "$K8SHA_ROLE" "$K8SHA_LIB_DIR" >>"$RUN_LOG"\n';
const bundle = bundleScript("test", [
  { path: "lib/common.sh", mode: "0644", content: Buffer.from("# shellcheck shell=bash\n") },
  { path: "bin/worker-boot.sh", mode: "0755", content: Buffer.from(stubEntry) },
]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "k8sha-bootstrap-"));
  s3 = await S3TestServer.start("k8sha-test-boot");
  shim = executable(
    "aws-shim",
    `#!/bin/bash\nprintf '%s\\n' "$*" >>"${work}/aws-calls.log"\nexec ${AWS_CLI} "$@"\n`,
  );
  // IMDSv2: a token from a PUT, then the instance id only for that token.
  imds = createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      res.end(req.headers["x-aws-ec2-metadata-token-ttl-seconds"] ? IMDS_TOKEN : "");
      return;
    }
    const ok =
      req.url === "/latest/meta-data/instance-id" && req.headers["x-aws-ec2-metadata-token"] === IMDS_TOKEN;
    res.statusCode = ok ? 200 : 401;
    res.end(ok ? INSTANCE_ID : "");
  });
  await new Promise<void>((listening) => imds.listen(0, "127.0.0.1", listening));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((closed) => (imds ? imds.close(() => closed()) : closed()));
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function executable(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  return path;
}

interface Run {
  code: number;
  stderr: string;
}

/** Runs the bootstrap for a node whose home, state and node.env live under work/<node>. */
function bootstrap(node: string, env: Record<string, string> = {}): Promise<Run> {
  const dir = join(work, node);
  mkdirSync(dir, { recursive: true });
  const nodeEnv = join(dir, "node.env");
  writeFileSync(
    nodeEnv,
    renderEnvFile({
      K8SHA_ROLE: "worker",
      ...nodeFacts("worker"),
      BOOT_BUNDLE_BUCKET: s3.bucket,
      BOOT_BUNDLE_KEY: KEY,
      BOOT_BUNDLE_SHA256: bundle.sha256,
    }),
  );
  const fullEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: work,
    ...s3.awsEnv(),
    AWS: shim,
    K8SHA_NODE_ENV: nodeEnv,
    K8SHA_HOME: join(dir, "home"),
    K8SHA_STATE_DIR: join(dir, "state"),
    K8SHA_RETRY_MAX: "2",
    K8SHA_RETRY_BASE: "0",
    RUN_LOG: join(dir, "runs.log"),
    // Closed loopback port: a failure tag attempt fails at once, never toward 169.254.169.254.
    IMDS_ENDPOINT: "http://127.0.0.1:9",
    ...env,
  };
  return new Promise((done) => {
    execFile("bash", [BOOTSTRAP], { env: fullEnv }, (error, _stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
const lines = (path: string) => read(path).split("\n").filter(Boolean);
const downloads = () =>
  lines(join(work, "aws-calls.log")).filter((l) => l.includes("s3api get-object")).length;

test("a verified bundle is downloaded with the real AWS CLI, extracted, and its entry run once", async () => {
  await s3.putObject(KEY, Buffer.from(bundle.content));
  const before = downloads();
  const r = await bootstrap("good");
  expect(r.stderr).toContain(`sha256 verified: ${bundle.sha256}`);
  expect(r.code).toBe(0);
  expect(downloads()).toBe(before + 1);
  expect(lines(join(work, "good/runs.log"))).toEqual([`ran role=worker lib=${join(work, "good/home/lib")}`]);
  expect(read(join(work, "good/home/bundle.sha256")).trim()).toBe(bundle.sha256);
  expect(read(join(work, "good/home/lib/common.sh"))).toBe("# shellcheck shell=bash\n");
});

test("a second boot with the same sha256 does not download again, and resumes the entry", async () => {
  expect(lines(join(work, "good/runs.log"))).toHaveLength(1); // after the first test
  const before = downloads();
  const r = await bootstrap("good");
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("already extracted");
  expect(downloads()).toBe(before);
  expect(lines(join(work, "good/runs.log"))).toHaveLength(2);
});

test("a tampered object is refused: nothing extracted, nothing run, a clear message", async () => {
  const tampered = bundle.content.replace("set -euo pipefail", "set -euo pipefail\ntouch /tmp/pwned");
  await s3.putObject(KEY, Buffer.from(tampered));
  // s3api goes to the real CLI (s3rver); ec2 create-tags is recorded and answered here.
  const recordingAws = executable(
    "aws-tag-recorder",
    `#!/bin/bash\ncase " $* " in\n  *" ec2 create-tags "*) printf '%s\\n' "$*" >>"${work}/create-tags.log" ;;\n  *) exec ${shim} "$@" ;;\nesac\n`,
  );
  const r = await bootstrap("tampered", { AWS: recordingAws, IMDS_ENDPOINT: imdsUrl });
  await s3.putObject(KEY, Buffer.from(bundle.content));
  expect(r.code).not.toBe(0);
  const tagCalls = lines(join(work, "create-tags.log"));
  expect(tagCalls).toHaveLength(1);
  expect(tagCalls[0]).toContain(`--endpoint-url ${s3.awsEnv().AWS_ENDPOINT_URL}`);
  expect(tagCalls[0]).toContain(
    `--resources ${INSTANCE_ID} --tags Key=k8sha.io/boot-status,Value=failed:bootstrap`,
  );
  expect(r.stderr).toContain(`tagged ${INSTANCE_ID} k8sha.io/boot-status=failed:bootstrap`);
  expect(r.stderr).toMatch(/boot bundle sha256 mismatch: got [0-9a-f]{64}, expected [0-9a-f]{64}; refusing/);
  expect(read(join(work, "tampered/runs.log"))).toBe("");
  expect(existsSync(join(work, "tampered/home/bin"))).toBe(false);
  expect(existsSync(join(work, "tampered/home/bundle.sh"))).toBe(false);
  expect(read(join(work, "tampered/state/boot-failed"))).toMatch(/^step=bootstrap exit=1 /);
});

test("without an AWS CLI the install command runs once, then the boot proceeds", async () => {
  const bin = join(work, "no-cli-bin");
  mkdirSync(bin, { recursive: true });
  const install = `printf 'install\\n' >>"${work}/install.log" && ln -sf "${shim}" "${bin}/aws"`;
  const r = await bootstrap("no-cli", { AWS: join(bin, "aws"), K8SHA_AWS_CLI_INSTALL: install });
  expect(r.code).toBe(0);
  expect(lines(join(work, "install.log"))).toEqual(["install"]);
  expect(lines(join(work, "no-cli/runs.log"))).toHaveLength(1);
});

test("an install that keeps failing is retried a bounded number of times, then fails clearly", async () => {
  const install = `printf 'try\\n' >>"${work}/failing-install.log"; exit 7`;
  const r = await bootstrap("install-fails", {
    AWS: join(work, "missing/aws"),
    K8SHA_AWS_CLI_INSTALL: install,
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("FATAL: cannot install the AWS CLI");
  expect(lines(join(work, "failing-install.log"))).toHaveLength(2);
  expect(read(join(work, "install-fails/runs.log"))).toBe("");
});

test("a hanging install (snap wait never returns) is cut off per attempt, then fails clearly", async () => {
  const bin = join(work, "hanging-snap-bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "snap"), `#!/bin/bash\nprintf '%s\\n' "$*" >>"${work}/snap.log"\nexec sleep 30\n`);
  chmodSync(join(bin, "snap"), 0o755);
  const started = Date.now();
  const r = await bootstrap("install-hangs", {
    AWS: join(work, "missing/aws"),
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    K8SHA_AWS_CLI_INSTALL_TIMEOUT: "1",
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("FATAL: cannot install the AWS CLI");
  expect(lines(join(work, "snap.log"))).toEqual(["wait system seed.loaded", "wait system seed.loaded"]);
  expect(Date.now() - started).toBeLessThan(10000);
});
