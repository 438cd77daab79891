/** node.env must survive bash's `source` byte-for-byte, whatever the value holds. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { CRI_SOCKET, ETCD_DATA_DIR, ETCD_MOUNT_POINT } from "../../base/nodePaths";
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from "../../base/ports";
import { secretParameterNames } from "../../base/ssmPaths";
import { TAG_BOOT_STATUS, TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { nodeLabelsArg } from "../../cloud-init/kubeadm-config";
import { masterEnv, renderEnvFile, workerEnv } from "../../cloud-init/render-env";
import { masterConfig, workerConfig } from "../support/render-fixtures";

/** Source the file in a clean bash and print each variable NUL-separated. */
function sourceInBash(content: string, keys: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "k8sha-env-")), "node.env");
  writeFileSync(file, content);
  const script = `set -euo pipefail; source "$1"; for k in ${keys.join(" ")}; do printf '%s\\0' "\${!k}"; done`;
  return execFileSync("bash", ["-c", script, "_", file], { encoding: "utf8" }).split("\0").slice(0, -1);
}

describe("node.env", () => {
  it("round-trips hostile values through bash source", () => {
    const env = {
      QUOTE: 'it\'s a "test"',
      EXPANSION: "$HOME `id` $(id) \u0024{PATH} \u0024",
      BACKSLASH: "a\\b\\'c",
      NEWLINE: "line1\nline2",
      EMPTY: "",
    };
    expect(sourceInBash(renderEnvFile(env), Object.keys(env))).toEqual(Object.values(env));
  });

  it("rejects keys that are not shell identifiers", () => {
    expect(() => renderEnvFile({ "A;rm -rf /": "x" })).toThrow(/invalid node.env key/);
  });

  it("gives the boot scripts the values of the master and worker configs", () => {
    const master = masterEnv(masterConfig(1, true));
    const worker = workerEnv(workerConfig);
    expect(sourceInBash(renderEnvFile(master), Object.keys(master))).toEqual(Object.values(master));
    expect(sourceInBash(renderEnvFile(worker), Object.keys(worker))).toEqual(Object.values(worker));
    expect(master.MASTER_INDEX).toBe("1");
    expect(master.ETCD_DATA_DIR).toBe("/var/lib/etcd-volume/data");
    expect(nodeLabelsArg(workerConfig.labels)).toBe("example.com/team=ml,k8sha.io/pool=gpu");
  });

  it("hands the scripts base/'s facts, so bash declares none of them", () => {
    const master = masterEnv(masterConfig(0, true));
    expect(master).toMatchObject({
      API_PORT: String(API_PORT),
      ETCD_CLIENT_PORT: String(ETCD_CLIENT_PORT),
      ETCD_PEER_PORT: String(ETCD_PEER_PORT),
      ETCD_MOUNT: ETCD_MOUNT_POINT,
      ETCD_DATA_DIR,
      CRI_SOCKET,
      METRICS_NAMESPACE,
      INIT_MARKER: secretParameterNames("prod").initializedMarker,
      TAG_CLUSTER,
      TAG_ROLE,
      TAG_ETCD_MEMBER,
      TAG_BOOT_STATUS,
    });
    // A worker gets what its scripts read, no etcd member's facts.
    const worker = workerEnv(workerConfig);
    expect(worker).toMatchObject({ API_PORT: String(API_PORT), CRI_SOCKET, TAG_BOOT_STATUS });
    expect(
      Object.keys(worker).filter((k) => /^(ETCD_|TAG_(CLUSTER|ROLE|ETCD)|METRICS|INIT_MARKER)/.test(k)),
    ).toEqual([]);
  });

  it("names the templates user-data writes; labels and taints are in the worker's JoinConfiguration", () => {
    expect(masterEnv(masterConfig(0, true))).toMatchObject({
      KUBEADM_INIT_TEMPLATE: "/etc/k8sha/templates/kubeadm-init.yaml",
      KUBEADM_LOCAL_TEMPLATE: "/etc/k8sha/templates/kubeadm-local.yaml",
      KUBEADM_JOIN_TEMPLATE: "/etc/k8sha/templates/kubeadm-join.yaml",
      NETPLAN_TEMPLATE: "/etc/k8sha/templates/netplan-stable-address.yaml",
      CALICO_INSTALLATION: "/etc/k8sha/cni/calico-installation.yaml",
    });
    const worker = workerEnv(workerConfig);
    expect(worker.KUBEADM_JOIN_TEMPLATE).toBe("/etc/k8sha/templates/kubeadm-join.yaml");
    expect(worker).not.toHaveProperty("NODE_TAINTS");
    expect(worker).not.toHaveProperty("NODE_LABELS");
  });
});
