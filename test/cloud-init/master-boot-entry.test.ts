/**
 * The REAL cloud-init/master-boot.sh, run by bash from a given step on. Every real library is
 * sourced (symlinks), then `zz-test-stubs.sh` replaces what cannot exist here: the IMDS identity
 * and the EBS attach/format/mount (stubbed, tested in ssm-imds/volume-* tests). A fake `aws`
 * serves the SSM token and `describe-instances`; `kubeadm` and `etcdctl` are recorders.
 * Earlier steps are skipped through the script's own run_step markers and the persisted
 * boot mode, which is how a reboot resumes it.
 *
 * What it proves: the stale-Node clean-up runs after a join or rejoin, never after init; and a value the entry script needs from a command substitution (bootstrap token,
 * discovery hash, healthy etcd peer) fails its step when it cannot be obtained, instead of
 * being passed on empty (kubeadm init inventing its own token, etcdctl against "").
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { addonsParameterName, secretParameterNames } from "../../base/ssmPaths";
import { configFileEnv, masterConfigFiles } from "../../cloud-init/config-files";
import { renderEnvFile } from "../../cloud-init/render-env";
import { run } from "../support/etcdCluster";
import { LIB_DIR, NODE_FACTS } from "../support/fakes/bashLib";
import { masterConfig } from "../support/render-fixtures";

const ENTRY = resolve(__dirname, "../../cloud-init/master-boot.sh");
const TOKEN = "abcdef.0123456789abcdef";
const MY_IP = "10.0.1.10";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const STUBS = `# shellcheck shell=bash
load_node_identity() {
  export INSTANCE_ID=i-0test NODE_ZONE=eu-west-1a NODE_IP=${MY_IP} NODE_NAME=ip-10-0-1-10 SUBNET_CIDR=10.0.1.0/24
  export PROVIDER_ID=aws:///eu-west-1a/i-0123456789abcdef0
}
claim_etcd_volume() { :; }
# The stable address needs EC2 and an interface: the node sandbox proves it (test/node).
ensure_stable_address() { :; }
find_volume_device() { echo /dev/null; }
ensure_filesystem() { :; }
mount_etcd_volume() { mkdir -p "$2/data"; }
`;

const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/aws.log"
case "$1 $2" in
  "ssm get-parameter")
    if [[ -f "$FAKE_DIR/token" ]]; then cat "$FAKE_DIR/token"; exit 0; fi
    echo "An error occurred (AccessDeniedException) when calling the GetParameter operation" >&2
    exit 254 ;;
  "ssm put-parameter" | "ec2 create-tags") exit 0 ;;
  # The PKI, re-fetched after a kubeadm reset: every requested name, a PEM-looking value.
  "ssm get-parameters") shift 3; sep=""; printf '{"Parameters": ['
    while (($#)) && [[ "$1" != --* ]]; do printf '%s{"Name": "%s", "Value": "-----BEGIN X-----"}' "$sep" "$1"; sep=,; shift; done
    printf '], "InvalidParameters": []}\n' ;;
  "ec2 describe-instances") cat "$FAKE_DIR/masters" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`;
const RECORDER = '#!/usr/bin/env bash\nprintf \'%s\\n\' "$*" >>"$FAKE_DIR/$(basename "$0").log"\n';
// etcdctl that cannot connect to DEAD_ENDPOINTS (as when nobody listens there), else records.
const FAKE_ETCDCTL = `#!/usr/bin/env bash
for ip in $DEAD_ENDPOINTS; do
  if [[ "$*" == *"https://$ip:2379"* ]]; then echo "Error: dial tcp $ip:2379: connect: connection refused" >&2; exit 1; fi
done
printf '%s\\n' "$*" >>"$FAKE_DIR/etcdctl.log"
`;

interface Scenario {
  mode: "init" | "join" | "rejoin";
  /** Steps an earlier boot finished. */
  done: string[];
  tokenInSsm?: boolean;
  /** Private IPs `describe-instances` returns for the cluster's running masters. */
  masters?: string[];
  /** The masters' stable addresses (MEMBER_ADDRESSES); default `masters`. */
  members?: string[];
  /** Addresses at which etcdctl cannot connect (nobody listens there). */
  deadEndpoints?: string[];
  /** A set-aside of a removed member that an earlier boot began (its target folder, in the volume). */
  setAsideBegun?: string;
  caCert?: boolean;
  /** Files an earlier, unfinished kubeadm run left in /etc/kubernetes. */
  leftOver?: string[];
}

async function boot(s: Scenario) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-master-boot-"));
  dirs.push(dir);
  const p = (...parts: string[]) => join(dir, ...parts);
  for (const sub of ["lib", "bin", "state/steps", "pki", "kubernetes", "volume"])
    mkdirSync(p(sub), { recursive: true });
  for (const lib of readdirSync(LIB_DIR)) symlinkSync(join(LIB_DIR, lib), p("lib", lib));
  writeFileSync(p("lib", "zz-test-stubs.sh"), STUBS);
  for (const [name, body] of [
    ["aws", FAKE_AWS],
    ["kubeadm", RECORDER],
    ["etcdctl", FAKE_ETCDCTL],
    // Serves an empty node list; stale-nodes.test.ts covers what gets deleted.
    ["kubectl", RECORDER],
    ["systemctl", RECORDER],
  ]) {
    writeFileSync(p("bin", name), body);
    chmodSync(p("bin", name), 0o755);
  }
  // etcdctl's installation from the etcd image is the node sandbox's to prove (test/node).
  for (const step of [...s.done, "etcd-tools", "etcd-certs"])
    writeFileSync(p("state/steps", `${step}.done`), "");
  for (const file of s.leftOver ?? []) writeFileSync(p("kubernetes", file), "left by a failed kubeadm run\n");
  writeFileSync(p("state/boot-mode"), `${s.mode}\n`);
  if (s.tokenInSsm) writeFileSync(p("token"), `${TOKEN}\n`);
  writeFileSync(p("masters"), `${(s.masters ?? [MY_IP]).join("\t")}\n`);
  if (s.caCert) {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kubernetes"].concat([
        "-keyout",
        p("pki/ca.key"),
        "-out",
        p("pki/ca.crt"),
        "-days",
        "1",
      ]),
      { stdio: "ignore" },
    );
  }
  if (s.mode === "rejoin")
    writeFileSync(p("volume/k8sha-identity"), "cluster=prod\nmember_id=8e9e05c52164694d\n");
  if (s.setAsideBegun) {
    mkdirSync(p("volume/data/member"), { recursive: true });
    writeFileSync(p("state/set-aside"), `${p("volume", s.setAsideBegun)}\n`);
  }
  // The templates of this master's user-data, under this node's folder.
  const files = masterConfigFiles({ ...masterConfig(0, false), stableAddress: MY_IP }).map((f) => ({
    ...f,
    path: p("templates", f.path.replaceAll("/", "_")),
  }));
  mkdirSync(p("templates"));
  for (const f of files) writeFileSync(f.path, f.content);
  writeFileSync(
    p("node.env"),
    renderEnvFile({
      K8SHA_ROLE: "master",
      CLUSTER_NAME: "prod",
      AWS_REGION: "eu-west-1",
      KUBERNETES_VERSION: "1.33.4",
      API_ENDPOINT: "api.invalid",
      ...NODE_FACTS,
      SSM_PREFIX: "/k8sha/prod",
      INIT_MARKER: secretParameterNames("prod").initializedMarker,
      ADDONS_PARAMETER: addonsParameterName("prod"),
      MASTER_INDEX: "0",
      STABLE_IP: MY_IP,
      MEMBER_ADDRESSES: (s.members ?? s.masters ?? [MY_IP]).join(" "),
      AVAILABILITY_ZONE: "eu-west-1a",
      ETCD_VOLUME_ID: "vol-0test",
      ETCD_MOUNT: p("volume"),
      ETCD_DATA_DIR: p("volume/data"),
      ...configFileEnv(files),
      BACKUP_BUCKET: "",
    }),
  );
  const r = await run("bash", [ENTRY], {
    K8SHA_LIB_DIR: p("lib"),
    K8SHA_NODE_ENV: p("node.env"),
    K8SHA_STATE_DIR: p("state"),
    KUBEADM_WORK_DIR: p("kubeadm"),
    KUBERNETES_DIR: p("kubernetes"),
    PKI_DIR: p("pki"),
    AWS: p("bin/aws"),
    KUBEADM: p("bin/kubeadm"),
    K8SHA_ETCDCTL: p("bin/etcdctl"),
    K8SHA_KUBECTL: p("bin/kubectl"),
    // The timers the boot installs go to this node's folder, never the host's /etc.
    K8SHA_SYSTEMD_DIR: p("systemd"),
    K8SHA_SYSTEMCTL: p("bin/systemctl"),
    K8SHA_DRAIN_ENV_FILE: p("worker-drain.env"),
    K8SHA_ADDONS_ENV_FILE: p("addons.env"),
    K8SHA_ADDONS_WORK_DIR: p("addons"),
    K8SHA_CERT_ENV_FILE: p("cert-renewal.env"),
    K8SHA_HEALTH_ENV_FILE: p("node-health.env"),
    K8SHA_PKI_DIR: p("pki"),
    K8SHA_KUBECONFIG_DIR: p("kubernetes"),
    FAKE_DIR: dir,
    DEAD_ENDPOINTS: (s.deadEndpoints ?? []).join(" "),
    K8SHA_RETRY_MAX: "2",
    K8SHA_RETRY_BASE: "0",
    K8SHA_RETRY_CAP: "0",
    K8SHA_REPORT_RETRIES: "1",
    // Nothing answers on api.invalid: a step that wrongly got this far fails fast, not in 20 min.
    K8SHA_CURL: "/bin/false",
    K8SHA_API_WAIT_SECONDS: "1",
  });
  const read = (...parts: string[]) => (existsSync(p(...parts)) ? readFileSync(p(...parts), "utf8") : "");
  return { ...r, read, stepDone: (name: string) => existsSync(p("state/steps", `${name}.done`)) };
}

test("init: the token from SSM goes into the InitConfiguration and the boot succeeds", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.stderr).toContain("boot finished successfully");
  expect(r.code).toBe(0);
  expect(r.read("kubeadm/init.yaml")).toContain(`token: "${TOKEN}"`);
  expect(r.read("kubeadm/init.yaml")).toContain('value: "aws:///eu-west-1a/i-0123456789abcdef0"');
  expect(r.read("kubeadm.log")).toContain("init --config");
  // The add-on apply right after the CNI does not fail the boot (here etcd cannot say who leads).
  expect(r.stderr).toContain("the add-ons are not applied yet; the add-on timer tries again every minute");
  expect(r.read("systemd/k8sha-addons.timer")).toContain("OnUnitActiveSec=60s");
  expect(r.read("addons.env")).toContain(`ADDONS_PARAMETER='${addonsParameterName("prod")}'`);
  // The health timer's env file is the node's too (it once went to the host's /etc/k8sha).
  expect(r.read("node-health.env")).toContain("K8SHA_HEALTH_CLUSTER='prod'");
});

test("init: an unreadable token fails the step; kubeadm init never runs without it", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki"] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot read the bootstrap token from SSM");
  expect(r.stepDone("init-config")).toBe(false);
  expect(r.read("kubeadm.log")).toBe("");
  expect(r.read("state/boot-failed")).toMatch(/^step=init-config exit=1 /);
});

test("join: a CA whose discovery hash cannot be computed fails the step, no join.yaml marked done", async () => {
  const r = await boot({ mode: "join", done: ["prereqs", "pki"], tokenInSsm: true, caCert: false });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot compute the discovery hash");
  expect(r.stepDone("join-config")).toBe(false);
});

test("join: the JoinConfiguration carries the token and the CA's discovery hash", async () => {
  const r = await boot({
    mode: "join",
    done: ["prereqs", "pki"],
    tokenInSsm: true,
    caCert: true,
    masters: [MY_IP],
  });
  expect(r.stepDone("join-config")).toBe(true);
  expect(r.read("kubeadm/join.yaml")).toMatch(/caCertHashes:\n {6}- "sha256:[0-9a-f]{64}"/);
});

test("join: with no other master, the stale-member step fails before any etcdctl call", async () => {
  const done = ["prereqs", "pki", "join-config", "local-config"];
  const r = await boot({ mode: "join", done, masters: [MY_IP] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("no other master to reach etcd through");
  expect(r.read("etcdctl.log")).toBe("");
  expect(r.stepDone("etcd-stale-member")).toBe(false);
  expect(r.read("kubeadm.log")).toBe("");
});

test("rejoin of a volume from before stable addresses: with no other master, the URL move fails before any etcdctl call", async () => {
  const r = await boot({ mode: "rejoin", done: ["prereqs", "pki", "local-config"] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("no other master to reach etcd through");
  expect(r.read("etcdctl.log")).toBe("");
  expect(r.stepDone("etcd-peer-url-migrate")).toBe(false);
  expect(r.read("state/boot-mode")).toBe("rejoin\n");
});

const STALE_NODES_CALL = "get nodes -l node-role.kubernetes.io/control-plane";

test("init: no stale-node clean-up (a new cluster has no predecessor)", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.code).toBe(0);
  expect(r.read("kubectl.log")).toBe("");
  expect(r.stepDone("stale-nodes")).toBe(false);
});

test.each([
  ["join", ["join-config", "local-config", "etcd-stale-member", "kubeadm-join"]],
  ["rejoin", ["local-config", "etcd-peer-url-migrate", "kubeadm-rejoin", "mark-control-plane"]],
] as const)(
  "%s: once the node has joined, the stale-node clean-up runs with my subnet and name",
  async (mode, steps) => {
    const done = ["prereqs", "pki", ...steps, "etcd-identity"];
    const r = await boot({ mode, done });
    expect(r.stderr).toContain("no stale control-plane node in 10.0.1.0/24");
    expect(r.code).toBe(0);
    expect(r.read("kubectl.log")).toContain(STALE_NODES_CALL);
    expect(r.stderr).not.toContain("FATAL");
    expect(r.stepDone("stale-nodes")).toBe(true);
  },
);

test("init: kubelet.conf left by a failed kubeadm init is reset (CAs fetched again), never taken for success", async () => {
  const r = await boot({
    mode: "init",
    done: ["prereqs", "pki", "cni", "etcd-identity"],
    tokenInSsm: true,
    leftOver: ["kubelet.conf"],
  });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("an earlier kubeadm run left state behind without finishing");
  const calls = r.read("kubeadm.log").split("\n");
  const reset = calls.findIndex((c) => c.startsWith("reset --force"));
  expect(reset).toBeGreaterThanOrEqual(0);
  expect(calls.findIndex((c) => c.startsWith("init --config"))).toBeGreaterThan(reset);
  expect(r.read("aws.log")).toMatch(/^ssm get-parameters --names \/k8sha\/prod\/pki\/ca\.crt /m);
  expect(r.read("pki/ca.key")).toBe("-----BEGIN X-----\n");
});

test("init: without left-over state kubeadm init runs directly, no reset", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.code).toBe(0);
  expect(r.read("kubeadm.log")).not.toContain("reset");
});

test("rejoin of a volume from before stable addresses reaches the members that have not moved yet at their instance addresses", async () => {
  // The other master still listens only on its instance address; its stable one is held by nobody.
  const r = await boot({
    mode: "rejoin",
    done: ["prereqs", "pki", "local-config"],
    members: [MY_IP, "10.0.16.21"],
    masters: [MY_IP, "10.0.2.10"],
    deadEndpoints: ["10.0.16.21"],
  });
  expect(r.stderr).toMatch(
    /etcdctl member at https:\/\/10\.0\.16\.21:2379 failed: Error: dial tcp .*connection refused/,
  );
  expect(r.read("aws.log")).toContain("ec2 describe-instances");
  expect(r.read("etcdctl.log")).toContain("--endpoints=https://10.0.2.10:2379");
});

test("a set-aside of a removed member cut off by a reboot is finished, then the node joins", async () => {
  const r = await boot({
    mode: "rejoin",
    done: [
      "prereqs",
      "pki",
      "local-config",
      "join-config",
      "etcd-stale-member",
      "kubeadm-join",
      "etcd-identity",
    ],
    setAsideBegun: "removed-20261201T000000Z",
  });
  expect(r.stderr).toContain("moving its data and identity to");
  expect(r.read("state/boot-mode")).toBe("join\n");
  expect(r.read("volume/removed-20261201T000000Z/k8sha-identity")).toContain("member_id=8e9e05c52164694d");
  expect(r.read("volume/k8sha-identity")).toBe("");
  expect(r.read("state/set-aside")).toBe("");
  expect(r.code).toBe(0);
});
