/**
 * The bench of the master-boot-entry tests: the REAL cloud-init/master-boot.sh, run by bash from
 * a given step on. Every real library is sourced (symlinks), then `zz-test-stubs.sh` replaces
 * what cannot exist here: the IMDS identity and the EBS attach/format/mount (stubbed, tested in
 * ssm-imds/volume-* tests). A fake `aws` serves the SSM token and `describe-instances`;
 * `kubeadm` and `etcdctl` are recorders. Earlier steps are skipped through the script's own
 * run_step markers and the persisted boot mode, which is how a reboot resumes it.
 * `boot(scenario)` runs one boot in its own folder; `removeBootDirs` (afterAll) deletes them.
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
import { run } from "./etcdCluster";
import { LIB_DIR, NODE_FACTS } from "./fakes/bashLib";
import { masterConfig } from "./render-fixtures";

const ENTRY = resolve(__dirname, "../../cloud-init/master-boot.sh");
export const TOKEN = "abcdef.0123456789abcdef";
export const MY_IP = "10.0.1.10";
const dirs: string[] = [];
/** Deletes every folder `boot` made (the test file's afterAll). */
export function removeBootDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

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

export interface Scenario {
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
export async function boot(s: Scenario) {
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
