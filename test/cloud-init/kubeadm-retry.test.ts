/**
 * kubeadm_join_master (lib/kubeadm.sh): a failed control-plane join is reset and tried again, so a
 * learner a failed attempt added (etcd admits one at a time) never blocks later joins. kubeadm is
 * a stub that, like a join failing after its kubeconfig phase, leaves kubelet.conf behind and fails
 * on its first run; curl answers the load balancer's /readyz.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";

const dir = mkdtempSync(join(tmpdir(), "k8sha-kubeadm-retry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stub(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test("a failed master join is reset and retried; a join that keeps failing gives up, bounded", async () => {
  const kubeadm = stub(
    "kubeadm",
    `echo "$*" >>"${dir}/calls"
case "$1" in
  join) : >"${dir}/kubernetes/kubelet.conf"; [[ -f "${dir}/failed-once" ]] && exit 0; : >"${dir}/failed-once"; exit 1 ;;
  reset) rm -f "${dir}/kubernetes/kubelet.conf" ;;
esac`,
  );
  const curl = stub("curl", "echo 200");
  mkdirSync(join(dir, "kubernetes"));
  const env = {
    KUBEADM: kubeadm,
    K8SHA_CURL: curl,
    KUBERNETES_DIR: join(dir, "kubernetes"),
    API_ENDPOINT: "api",
  };
  const ok = await runLib(["kubeadm.sh"], 'kubeadm_join_master "$1"', ["/etc/join.yaml"], env);
  expect(ok.code).toBe(0);
  expect(ok.stderr).toContain("an earlier kubeadm run left state behind without finishing");
  expect(
    readFileSync(join(dir, "calls"), "utf8")
      .split("\n")
      .map((l) => l.split(" ")[0]),
  ).toEqual(["join", "reset", "join", ""]);

  const always = stub("kubeadm-fails", `echo "$*" >>"${dir}/calls-fail"; exit 1`);
  const failed = await runLib(["kubeadm.sh"], 'kubeadm_join_master "$1"', ["/etc/join.yaml"], {
    ...env,
    KUBEADM: always,
    K8SHA_JOIN_ATTEMPTS: "3",
  });
  expect(failed.code).not.toBe(0);
  expect(readFileSync(join(dir, "calls-fail"), "utf8").match(/^join /gm)).toHaveLength(3);
});

test.each([
  ["stacked", {}, ["fetch_pki", "etcd_node_certs"]],
  // No member certificates: a master of the external topology is no etcd member (which list
  // fetch_pki reads is ssm-imds.test.ts's).
  ["external", { ETCD_TOPOLOGY: "external" }, ["fetch_pki"]],
])(
  "a reset master fetches the PKI again, and makes etcd member certificates only if stacked (%s)",
  async (_topology, extra, expected) => {
    const calls = join(dir, `pki-calls-${_topology}`);
    const kubeadm = stub(`kubeadm-reset-${_topology}`, "exit 0");
    const record = (name: string) => `${name}() { echo ${name} >>"$CALLS"; }`;
    const fakes = ["fetch_pki", "etcd_node_certs"].map(record).join("; ");
    const r = await runLib(["kubeadm.sh"], `${fakes}; kubeadm_reset_for_retry`, [], {
      KUBEADM: kubeadm,
      CRI_SOCKET: "unix:///run/containerd/containerd.sock",
      K8SHA_ROLE: "master",
      CALLS: calls,
      ...extra,
    });
    expect(r.code).toBe(0);
    expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual(expected);
  },
);
