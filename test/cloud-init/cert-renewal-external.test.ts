/**
 * Certificate renewal on a master of the external etcd topology (cloud-init/lib/cert-renewal.sh
 * with ETCD_TOPOLOGY=external), run by bash with real openssl certificates. kubeadm renews only
 * the master's own certificates; the API server's etcd client pair is not kubeadm's (no etcd CA
 * key on the master) and comes from SSM, where `pulumi up` re-issues it. Faked: the AWS CLI, a
 * script answering `ssm get-parameter --with-decryption` from files (ParameterNotFound otherwise,
 * as the CLI prints it) and logging every call.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIB_DIR, runLib } from "../support/fakes/bashLib";
import { selfSignedCert } from "../support/pki";

const LIBS = ["etcd-member.sh", "ssm.sh", "cert-expiry.sh", "cert-renewal.sh", "cert-renewal-timer.sh"];
const PREFIX = "/k8sha/ext";
const ENDPOINTS = "https://10.0.0.36:2379,https://10.0.16.37:2379,https://10.0.32.38:2379";

/** A master's PKI dir: its kubeadm certificates (90 days) and an etcd client pair (5 days). */
function layout() {
  const root = mkdtempSync(join(tmpdir(), "k8sha-cert-ext-"));
  const pki = join(root, "pki");
  mkdirSync(pki);
  for (const name of ["apiserver", "apiserver-kubelet-client", "front-proxy-client"])
    selfSignedCert(pki, name, 90);
  selfSignedCert(pki, "apiserver-etcd-client", 5);
  const ssm = join(root, "ssm");
  mkdirSync(ssm);
  const calls = join(root, "aws-calls");
  writeFileSync(calls, "");
  const aws = join(root, "aws");
  writeFileSync(
    aws,
    `#!/usr/bin/env bash
echo "$*" >>${JSON.stringify(calls)}
[[ "$1 $2" == "ssm get-parameter" ]] || { echo "fake aws: unexpected call $*" >&2; exit 252; }
name="" ; while (($#)); do [[ "$1" == --name ]] && name="$2"; shift; done
file=${JSON.stringify(ssm)}"/$(echo "$name" | tr / _)"
[[ -f "$file" ]] || { echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; }
cat "$file"
`,
  );
  chmodSync(aws, 0o755);
  const putSsm = (name: string, value: string) => writeFileSync(join(ssm, name.replaceAll("/", "_")), value);
  const env = {
    ETCD_TOPOLOGY: "external",
    SSM_PREFIX: PREFIX,
    AWS: aws,
    K8SHA_PKI_DIR: pki,
    K8SHA_KUBECONFIG_DIR: join(root, "kubernetes"),
    K8SHA_STATE_DIR: join(root, "state"),
  };
  return { root, pki, env, putSsm, calls: () => readFileSync(calls, "utf8").split("\n").filter(Boolean) };
}

test("external: the earliest certificate is kubeadm's own; the etcd client pair is not counted", async () => {
  const l = layout();
  const r = await runLib(LIBS, "cert_days_left", [], l.env);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toMatch(
    new RegExp(`^(89|90) ${l.pki}/(apiserver|apiserver-kubelet-client|front-proxy-client)\\.crt$`),
  );
  // Control: stacked counts it, and it expires first.
  const stacked = await runLib(LIBS, "cert_days_left", [], { ...l.env, ETCD_TOPOLOGY: "stacked" });
  expect(stacked.stdout.trim()).toMatch(/^[45] .*\/apiserver-etcd-client\.crt$/);
});

test("the same pair in SSM: nothing written, no restart pending", async () => {
  const l = layout();
  const cert = readFileSync(join(l.pki, "apiserver-etcd-client.crt"), "utf8").trimEnd();
  l.putSsm(`${PREFIX}/pki/apiserver-etcd-client.crt`, cert);
  const r = await runLib(LIBS, "cert_etcd_client_refresh", [], l.env);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("the API server's etcd client certificate is the one in SSM");
  expect(l.calls()).toHaveLength(1);
  expect(existsSync(join(l.env.K8SHA_STATE_DIR, "cert-renewal-restart-pending"))).toBe(false);
});

test("a re-issued pair in SSM is written, key first and 0600, and the control plane marked for a restart", async () => {
  const l = layout();
  const fresh = mkdtempSync(join(tmpdir(), "k8sha-cert-new-"));
  const cert = selfSignedCert(fresh, "apiserver-etcd-client", 365).trimEnd();
  const key = readFileSync(join(fresh, "apiserver-etcd-client.key"), "utf8").trimEnd();
  l.putSsm(`${PREFIX}/pki/apiserver-etcd-client.crt`, cert);
  l.putSsm(`${PREFIX}/pki/apiserver-etcd-client.key`, key);
  const r = await runLib(LIBS, "cert_etcd_client_refresh", [], l.env);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("SSM holds a new etcd client certificate for the API server: writing it");
  expect(readFileSync(join(l.pki, "apiserver-etcd-client.crt"), "utf8").trimEnd()).toBe(cert);
  expect(readFileSync(join(l.pki, "apiserver-etcd-client.key"), "utf8").trimEnd()).toBe(key);
  expect(statSync(join(l.pki, "apiserver-etcd-client.key")).mode & 0o777).toBe(0o600);
  expect(existsSync(join(l.env.K8SHA_STATE_DIR, "cert-renewal-restart-pending"))).toBe(true);
});

test("SSM not answering: the run fails and the pair on disk is left alone", async () => {
  const l = layout();
  const before = readFileSync(join(l.pki, "apiserver-etcd-client.crt"), "utf8");
  const r = await runLib(LIBS, "cert_etcd_client_refresh", [], l.env);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`cannot read SSM parameter ${PREFIX}/pki/apiserver-etcd-client.crt`);
  expect(l.calls()).toHaveLength(3); // the tests' bounded retries
  expect(readFileSync(join(l.pki, "apiserver-etcd-client.crt"), "utf8")).toBe(before);
});

test("stacked: no SSM call at all", async () => {
  const l = layout();
  const r = await runLib(LIBS, "cert_etcd_client_refresh", [], { ...l.env, ETCD_TOPOLOGY: "stacked" });
  expect(r.code).toBe(0);
  expect(l.calls()).toEqual([]);
});

test("the timer of an external master locks on the etcd nodes and carries what the refresh needs", async () => {
  const l = layout();
  const units = join(l.root, "units");
  const envFile = join(l.root, "etc/cert-renewal.env");
  const systemctl = join(l.root, "systemctl");
  writeFileSync(systemctl, "#!/usr/bin/env bash\nexit 0\n");
  chmodSync(systemctl, 0o755);
  const r = await runLib(LIBS, "install_cert_renewal_timer", [], {
    ...l.env,
    ETCD_ENDPOINTS: ENDPOINTS,
    AWS_REGION: "eu-west-1",
    K8SHA_SYSTEMD_DIR: units,
    K8SHA_CERT_ENV_FILE: envFile,
    K8SHA_LIB_DIR: LIB_DIR,
    K8SHA_SYSTEMCTL: systemctl,
  });
  expect(r.code).toBe(0);
  const envText = readFileSync(envFile, "utf8");
  for (const line of [
    `K8SHA_CERT_LOCK_ENDPOINTS='${ENDPOINTS}'`,
    "ETCD_TOPOLOGY='external'",
    `SSM_PREFIX='${PREFIX}'`,
    "AWS_DEFAULT_REGION='eu-west-1'",
  ])
    expect(envText.split("\n")).toContain(line);
  const service = readFileSync(join(units, "k8sha-cert-renewal.service"), "utf8");
  expect(service).toMatch(
    new RegExp(
      `\\. ${LIB_DIR}/ssm\\.sh && \\. ${LIB_DIR}/cert-expiry\\.sh && \\. ${LIB_DIR}/cert-renewal\\.sh && cert_renewal_once'$`,
      "m",
    ),
  );
  expect(service).toMatch(/^Environment=PATH=.*:\/snap\/bin$/m);
});
