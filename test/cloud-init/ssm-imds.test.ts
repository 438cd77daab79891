/**
 * lib/imds.sh against a loopback IMDSv2 server (real curl, real PUT token + header check),
 * lib/ssm.sh and lib/report.sh against a fake `aws` (stubbed: no AWS here) that serves SSM
 * parameters from a directory, fails its first call (to exercise retry) and logs its arguments.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ETCD_CLIENT_PARAMETER_FILES, PKI_PARAMETER_FILES } from "../../base/ssmPaths";
import { nodeFacts } from "../../cloud-init/render-env";

const execFileAsync = promisify(execFile);
const LIB = join(__dirname, "../../cloud-init/lib");
const work = mkdtempSync(join(tmpdir(), "k8sha-ssm-"));
const TOKEN = "Tk-123";
const META: Record<string, string> = {
  "instance-id": "i-0abc123",
  "placement/availability-zone": "eu-west-1b",
  "local-ipv4": "10.0.2.7",
  "local-hostname": "ip-10-0-2-7.eu-west-1.compute.internal",
  mac: "0a:1b:2c:3d:4e:5f",
  "network/interfaces/macs/0a:1b:2c:3d:4e:5f/subnet-ipv4-cidr-block": "10.0.2.0/24",
};
let server: Server;
let imdsUrl = "";
let tokenPuts = 0;

const FAKE_AWS = `#!/usr/bin/env bash
# Fake aws CLI: SSM parameters are files under $FAKE_SSM; every call is logged; call 1 fails.
n=$(( $(cat "$FAKE_STATE/calls" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$FAKE_STATE/calls"
echo "$*" >>"$FAKE_STATE/log"
if [[ "$n" == 1 ]]; then echo "ThrottlingException" >&2; exit 255; fi
name=""; value=""; args=("$@")
for ((i = 0; i < \${#args[@]}; i++)); do
  case "\${args[i]}" in --name) name="\${args[i+1]}" ;; --value) value="\${args[i+1]}" ;; esac
done
case "$1 $2" in
  "ssm get-parameter") [[ -f "$FAKE_SSM$name" ]] || { echo "ParameterNotFound" >&2; exit 254; }; cat "$FAKE_SSM$name" ;;
  # GetParameters' JSON answer: found names in Parameters, the others in InvalidParameters.
  "ssm get-parameters") shift 2; [[ "$1" == --names ]] || { echo "--names first" >&2; exit 252; }; shift
    names=(); while (($#)) && [[ "$1" != --* ]]; do names+=("$1"); shift; done
    python3 -c 'import json,os,sys; d=sys.argv[1]; ns=sys.argv[2:]; print(json.dumps({"Parameters":[{"Name":n,"Value":open(d+n).read()} for n in ns if os.path.isfile(d+n)],"InvalidParameters":[n for n in ns if not os.path.isfile(d+n)]}))' "$FAKE_SSM" "\${names[@]}" ;;
  "ssm put-parameter") [[ ! -f "$FAKE_SSM$name" ]] || { echo "An error occurred (ParameterAlreadyExists)" >&2; exit 254; }
    mkdir -p "$(dirname "$FAKE_SSM$name")"; printf '%s' "$value" >"$FAKE_SSM$name" ;;
  "ec2 create-tags") ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

function setupCase(name: string): Record<string, string> {
  const dir = join(work, name);
  for (const d of ["ssm", "state", "k8sha"]) mkdirSync(join(dir, d), { recursive: true });
  const aws = join(dir, "aws");
  writeFileSync(aws, FAKE_AWS);
  chmodSync(aws, 0o755);
  return {
    ...process.env,
    AWS: aws,
    FAKE_SSM: join(dir, "ssm"),
    FAKE_STATE: join(dir, "state"),
    K8SHA_STATE_DIR: join(dir, "k8sha"),
    K8SHA_RETRY_BASE: "1",
    K8SHA_RETRY_CAP: "0", // back-off of 0 s: retries without waiting
    K8SHA_RETRY_MAX: "3",
    SSM_PREFIX: "/k8sha/test",
    PKI_DIR: join(dir, "pki"),
    IMDS_ENDPOINT: imdsUrl,
    ...nodeFacts("worker"),
  } as Record<string, string>;
}

function putParam(env: Record<string, string>, name: string, value: string): void {
  const path = join(env.FAKE_SSM, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, value);
}

async function bash(env: Record<string, string>, script: string): Promise<string> {
  const libs = ["common", "imds", "ssm", "report"].map((l) => `. "${LIB}/${l}.sh"`).join("; ");
  const { stdout } = await execFileAsync("bash", ["-c", `set -euo pipefail; ${libs}; ${script}`], { env });
  return stdout;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      tokenPuts += 1;
      res.end(req.headers["x-aws-ec2-metadata-token-ttl-seconds"] ? TOKEN : "");
      return;
    }
    const path = req.url?.replace("/latest/meta-data/", "") ?? "";
    if (req.method !== "GET" || req.headers["x-aws-ec2-metadata-token"] !== TOKEN) {
      res.statusCode = 401; // IMDSv2 only: no token, no data
      res.end();
      return;
    }
    res.statusCode = path in META ? 200 : 404;
    res.end(META[path] ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  imdsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("lib/imds.sh (IMDSv2 on loopback)", () => {
  it("reads the node identity with a session token", async () => {
    const env = setupCase("imds");
    const before = tokenPuts;
    const out = await bash(
      env,
      'load_node_identity 2>/dev/null; echo "$INSTANCE_ID|$NODE_ZONE|$NODE_IP|$NODE_NAME|$SUBNET_CIDR"',
    );
    expect(out.trim()).toBe(
      "i-0abc123|eu-west-1b|10.0.2.7|ip-10-0-2-7.eu-west-1.compute.internal|10.0.2.0/24",
    );
    expect(tokenPuts - before).toBeGreaterThanOrEqual(5);
  });

  it("fails (after bounded retries) on a missing path; the server refuses reads without a token", async () => {
    const env = setupCase("imds-missing");
    await expect(bash(env, "imds_get no/such/path")).rejects.toThrow();
    // So the identity test above only passes because imds.sh sent the session token.
    const plain = await execFileAsync("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `${imdsUrl}/latest/meta-data/instance-id`,
    ]);
    expect(plain.stdout).toBe("401");
  });
});

describe("lib/ssm.sh (fake aws)", () => {
  it("fetch_pki writes the CAs and keys where kubeadm looks, keys 0600, retrying a throttled call", async () => {
    const env = setupCase("pki");
    // Exactly the files ClusterSecrets stores: the script must handle every one of them.
    for (const f of PKI_PARAMETER_FILES) {
      putParam(env, `/k8sha/test/pki/${f}`, `-----BEGIN TEST-----\n${f}\n-----END TEST-----`);
    }
    await bash(env, "fetch_pki 2>/dev/null");
    const pki = env.PKI_DIR;
    expect(readFileSync(join(pki, "etcd/ca.key"), "utf8")).toContain("etcd-ca.key");
    expect(readFileSync(join(pki, "front-proxy-ca.crt"), "utf8")).toContain("front-proxy-ca.crt");
    for (const key of ["ca.key", "etcd/ca.key", "front-proxy-ca.key", "sa.key"]) {
      expect(statSync(join(pki, key)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(pki, "ca.crt")).mode & 0o777).toBe(0o644);
    const log = readFileSync(`${env.FAKE_STATE}/log`, "utf8");
    expect(log).toContain("--with-decryption");
    // One GetParameters call for all of them (after the throttled first try).
    expect(
      log
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("ssm get-parameters ")),
    ).toHaveLength(2);
  });

  it("fetch_pki on a master of the external topology: the etcd client pair, never the etcd CA key", async () => {
    const env: Record<string, string> = { ...setupCase("pki-external"), ETCD_TOPOLOGY: "external" };
    // Every parameter the cluster stores exists; the etcd CA key is among them, as on AWS.
    for (const f of [...PKI_PARAMETER_FILES, ...ETCD_CLIENT_PARAMETER_FILES]) {
      putParam(env, `/k8sha/test/pki/${f}`, `-----BEGIN TEST-----\n${f}\n-----END TEST-----`);
    }
    await bash(env, "fetch_pki 2>/dev/null");
    const pki = env.PKI_DIR;
    expect(readFileSync(join(pki, "apiserver-etcd-client.crt"), "utf8")).toContain(
      "apiserver-etcd-client.crt",
    );
    expect(statSync(join(pki, "apiserver-etcd-client.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(pki, "etcd/ca.crt"), "utf8")).toContain("etcd-ca.crt");
    expect(existsSync(join(pki, "etcd/ca.key"))).toBe(false);
    // No call even names the key: IAM denies it to these masters, which would fail the whole call.
    // (Two calls: the fake throttles the first.)
    const calls = readFileSync(`${env.FAKE_STATE}/log`, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("ssm get-parameters "));
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toContain("/k8sha/test/pki/apiserver-etcd-client.key");
      expect(call).not.toContain("etcd-ca.key");
    }
  });

  it("fetch_pki fails when a parameter is missing, naming it", async () => {
    const env = setupCase("pki-missing");
    for (const f of PKI_PARAMETER_FILES.filter((x) => x !== "sa.pub"))
      putParam(env, `/k8sha/test/pki/${f}`, `-----BEGIN TEST-----\n${f}\n-----END TEST-----`);
    await expect(bash(env, "fetch_pki")).rejects.toThrow(/not in SSM: \/k8sha\/test\/pki\/sa\.pub/);
  });

  it("fetch_join_secrets checks the token format and the discovery hash against the CA (real openssl)", async () => {
    const env = setupCase("join");
    const dir = join(work, "join");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=kubernetes",
        "-days",
        "1",
        "-keyout",
        join(dir, "ca.key"),
        "-out",
        join(dir, "ca.crt"),
      ],
      { stdio: "ignore" },
    );
    const spki = execFileSync(
      "bash",
      [
        "-c",
        `openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum`,
        "_",
        join(dir, "ca.crt"),
      ],
      { encoding: "utf8" },
    );
    putParam(env, "/k8sha/test/join/token", "abcdef.0123456789abcdef");
    putParam(env, "/k8sha/test/join/ca.crt", readFileSync(join(dir, "ca.crt"), "utf8"));
    putParam(env, "/k8sha/test/join/discovery-hash", `sha256:${spki.split(" ")[0]}`);
    await bash(env, `fetch_join_secrets "${dir}/secrets" 2>/dev/null`);
    expect(readFileSync(join(dir, "secrets/token"), "utf8")).toBe("abcdef.0123456789abcdef\n");
    expect(statSync(join(dir, "secrets/token")).mode & 0o777).toBe(0o600);
    putParam(env, "/k8sha/test/join/discovery-hash", `sha256:${"0".repeat(64)}`);
    await expect(bash(env, `fetch_join_secrets "${dir}/secrets2"`)).rejects.toThrow(/does not match/);
  });

  it("ssm_put_once is write-once: created (0), then already exists (3)", async () => {
    const env = setupCase("marker");
    const out = await bash(
      env,
      'rc=0; ssm_put_once /k8sha/test/state/initialised i-1 || rc=$?; echo "$rc"; rc=0; ssm_put_once /k8sha/test/state/initialised i-2 || rc=$?; echo "$rc"',
    );
    expect(out.trim().split("\n")).toEqual(["0", "3"]);
    expect(readFileSync(join(env.FAKE_SSM, "k8sha/test/state/initialised"), "utf8")).toBe("i-1");
    expect(readFileSync(join(env.FAKE_STATE, "log"), "utf8")).not.toContain("--overwrite");
  });
});

describe("lib/report.sh", () => {
  it("a failing entry script leaves a failure marker naming the step and tags the instance", async () => {
    const env = setupCase("report-fail");
    await expect(bash(env, "install_boot_report_trap; step fetch-pki; false")).rejects.toThrow();
    expect(readFileSync(join(env.K8SHA_STATE_DIR, "boot-failed"), "utf8")).toMatch(/^step=fetch-pki exit=1/);
    expect(readFileSync(join(env.FAKE_STATE, "log"), "utf8")).toContain(
      "ec2 create-tags --resources i-0abc123 --tags Key=k8sha.io/boot-status,Value=failed:fetch-pki",
    );
  });

  it("success writes the marker and the succeeded tag; a tagging failure does not fail the boot", async () => {
    const env = setupCase("report-ok");
    await bash(env, "install_boot_report_trap; INSTANCE_ID=i-9 report_success 2>/dev/null");
    expect(existsSync(join(env.K8SHA_STATE_DIR, "boot-succeeded"))).toBe(true);
    expect(readFileSync(join(env.FAKE_STATE, "log"), "utf8")).toContain("Value=succeeded");
    await bash({ ...env, AWS: "/bin/false" }, "INSTANCE_ID=i-9 report_success 2>/dev/null");
  });
});
