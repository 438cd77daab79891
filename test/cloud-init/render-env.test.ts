/**
 * node.env must survive bash's `source` byte-for-byte, whatever the value holds, and carries
 * base/'s facts (ports, tag keys, metric and dimension names) so bash declares none of them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ETCD_METRICS_PORT, HEALTH_DIMENSIONS, HEALTH_METRICS } from "../../base/healthMetrics";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { CRI_SOCKET, ETCD_DATA_DIR, ETCD_MOUNT_POINT } from "../../base/nodePaths";
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from "../../base/ports";
import { secretParameterNames } from "../../base/ssmPaths";
import { TAG_BOOT_STATUS, TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { nodeLabelsArg } from "../../cloud-init/kubeadm-config";
import { masterEnv, nodeFacts, renderEnvFile, workerEnv } from "../../cloud-init/render-env";
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
    // A worker gets what its scripts read, no etcd member's facts and no health-timer names.
    const worker = workerEnv(workerConfig);
    expect(worker).toMatchObject({ API_PORT: String(API_PORT), CRI_SOCKET, TAG_BOOT_STATUS });
    expect(Object.keys(worker).filter((k) => /^(ETCD_|TAG_(CLUSTER|ROLE|ETCD)|INIT_MARKER)/.test(k))).toEqual(
      [],
    );
    expect(Object.keys(worker).filter((k) => k.startsWith("K8SHA_M_"))).toEqual(["K8SHA_M_BOOT_FAILED"]);
    expect(master.ETCD_METRICS_PORT).toBe("2381");
    expect(ETCD_METRICS_PORT).toBe(2381);
  });

  it("every role gets the failed boot's report facts: namespace, metric, dimensions, its log prefix", () => {
    const cases = [
      ["master", masterEnv(masterConfig(0, true)), masterConfig(0, true).bootBundle.bucket],
      ["worker", workerEnv(workerConfig), workerConfig.bootBundle.bucket],
    ] as const;
    for (const [role, env, bucket] of cases) {
      expect(env).toMatchObject({
        K8SHA_ROLE: role,
        METRICS_NAMESPACE,
        K8SHA_M_BOOT_FAILED: HEALTH_METRICS.bootFailed,
        K8SHA_D_CLUSTER: HEALTH_DIMENSIONS.cluster,
        K8SHA_D_ROLE: HEALTH_DIMENSIONS.role,
        BOOT_LOG_BUCKET: bucket,
        BOOT_LOG_PREFIX: `prod/boot-logs/${role}/`,
      });
    }
    expect(masterConfig(0, true).bootBundle.bucket).not.toBe("");
  });

  it("health.sh's HEALTH_M_* default to the K8SHA_M_* facts, and those defaults are base/'s names", () => {
    const master = masterEnv(masterConfig(0, true));
    const header = readFileSync(resolve(__dirname, "../../cloud-init/lib/health.sh"), "utf8");
    const lines = [...header.matchAll(/^HEALTH_M_(\w+)=(.*)$/gm)];
    expect(lines.length).toBe(Object.keys(HEALTH_METRICS).length - 1); // all but BootFailed
    for (const [, name, value] of lines) {
      const fact = `K8SHA_M_${name}`;
      expect([name, value]).toEqual([name, `"\${${fact}:-${master[fact]}}"`]);
    }
    const published = new Set(lines.map(([, name]) => master[`K8SHA_M_${name}`]));
    const expected = Object.values(HEALTH_METRICS).filter((m) => m !== HEALTH_METRICS.bootFailed);
    expect([...published].sort()).toEqual([...expected].sort());
    // The dimensions health.sh names on every datum are base/'s too (its defaults included).
    expect([master.K8SHA_D_CLUSTER, master.K8SHA_D_ZONE]).toEqual([
      HEALTH_DIMENSIONS.cluster,
      HEALTH_DIMENSIONS.zone,
    ]);
    expect(header).toContain(`"\${K8SHA_D_CLUSTER:-${HEALTH_DIMENSIONS.cluster}}"`);
    expect(header).toContain(`"\${K8SHA_D_ZONE:-${HEALTH_DIMENSIONS.zone}}"`);
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

  it("the health timer's etcd metrics URL comes from the ETCD_METRICS_PORT fact (2381 without it)", () => {
    const lib = resolve(__dirname, "../../cloud-init/lib");
    const urlFor = (facts: Record<string, string>): string => {
      const root = mkdtempSync(join(tmpdir(), "k8sha-health-url-"));
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ...facts,
        K8SHA_SYSTEMD_DIR: root,
        K8SHA_HEALTH_ENV_FILE: join(root, "node-health.env"),
        K8SHA_SYSTEMCTL: "true",
        K8SHA_STATE_DIR: root,
      };
      execFileSync(
        "bash",
        [
          "-c",
          `set -euo pipefail; . ${lib}/common.sh; . ${lib}/health-timer.sh; install_health_timer c z 2>/dev/null`,
        ],
        { env },
      );
      const line = readFileSync(join(root, "node-health.env"), "utf8").match(
        /^K8SHA_HEALTH_ETCD_METRICS_URL='(.*)'$/m,
      );
      return line?.[1] ?? "";
    };
    const facts = nodeFacts("master");
    expect(urlFor(facts)).toBe(`http://127.0.0.1:${ETCD_METRICS_PORT}/metrics`);
    expect(urlFor({ ...facts, ETCD_METRICS_PORT: "2999" })).toBe("http://127.0.0.1:2999/metrics");
    const { ETCD_METRICS_PORT: _dropped, ...without } = facts;
    expect(urlFor(without)).toBe("http://127.0.0.1:2381/metrics");
  });
});
