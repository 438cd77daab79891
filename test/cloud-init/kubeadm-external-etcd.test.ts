/**
 * ClusterConfiguration `etcd.external` (external topology, not wired into Cluster yet): the master
 * templates as user-data ships them, filled by the real lib/template.sh and parsed back as kubeadm
 * reads them, with and without `externalEtcd`. The expected paths are written out here, not read
 * from base/, so a moved constant fails.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { masterConfigFiles } from "../../cloud-init/config-files";
import { masterKubeadmTemplates } from "../../cloud-init/kubeadm-config";
import { checkExternalEtcdEndpoints } from "../../cloud-init/kubeadm-etcd";
import type { MasterBootConfig } from "../../cloud-init/types";
import { fillTemplate } from "../support/fakes/bashLib";
import { masterConfig } from "../support/render-fixtures";

type Obj = Record<string, unknown>;

/** Three etcd nodes' client URLs (their stable addresses, the third /28 of each subnet), member 0 first. */
const ENDPOINTS = ["https://10.64.0.36:2379", "https://10.64.16.37:2379", "https://10.64.32.38:2379"];
const EXPECTED_EXTERNAL = {
  endpoints: ENDPOINTS,
  caFile: "/etc/kubernetes/pki/etcd/ca.crt",
  certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
  keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
};
const NODE_NAME = "ip-10-64-16-9.eu-west-1.compute.internal";
const PROVIDER_ID = "aws:///eu-west-1b/i-0123456789abcdef0";
const TOKEN = "abcdef.0123456789abcdef";
/**
 * What master-boot.sh hands fill_template per template (`NAME?` = only if the template uses it;
 * any other value the template lacks is fatal). `localNodeIp` is how the local config gets the
 * primary address: required in stacked (the peer SAN), optional in external, where the template
 * has none; the boot's write_local passes it as required today.
 */
function bootValues(localNodeIp: "NODE_IP" | "NODE_IP?") {
  return {
    init: { NODE_NAME, BOOTSTRAP_TOKEN: TOKEN, "PROVIDER_ID?": PROVIDER_ID },
    local: { NODE_NAME, [localNodeIp]: "10.64.16.9", "PROVIDER_ID?": PROVIDER_ID },
    join: {
      NODE_NAME,
      BOOTSTRAP_TOKEN: TOKEN,
      DISCOVERY_HASH: `sha256:${"ab".repeat(32)}`,
      "PROVIDER_ID?": PROVIDER_ID,
    },
  };
}
const PATCH_FILE = "/etc/k8sha/kubeadm/patches/etcd+strategic.yaml";

const stacked: MasterBootConfig = masterConfig(1, false);
const external: MasterBootConfig = {
  ...stacked,
  externalEtcd: { endpoints: ENDPOINTS, version: "3.6.5", releaseSha256: "a".repeat(64) },
};

/** Every template of a master, filled and parsed (fails the test when bash refused one). */
function documents(cfg: MasterBootConfig): Record<"init" | "local" | "join", Obj[]> {
  const t = masterKubeadmTemplates(cfg);
  const values = bootValues(cfg.externalEtcd ? "NODE_IP?" : "NODE_IP");
  const parse = (template: string, v: Record<string, string>) => {
    const r = fillTemplate(template, v);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    return parseAllDocuments(readFileSync(r.out, "utf8")).map((d) => d.toJS() as Obj);
  };
  return {
    init: parse(t.init, values.init),
    local: parse(t.local, values.local),
    join: parse(t.join, values.join),
  };
}

const clusterConfigs = (docs: Record<string, Obj[]>) =>
  Object.values(docs)
    .flat()
    .filter((d) => d.kind === "ClusterConfiguration");

describe("with externalEtcd", () => {
  const docs = documents(external);
  const plain = documents(stacked);

  it("init and local carry a ClusterConfiguration whose etcd is external only, field by field", () => {
    const clusters = clusterConfigs(docs);
    expect(clusters).toHaveLength(2);
    for (const cluster of clusters) {
      const etcd = cluster.etcd as Obj;
      expect(Object.keys(etcd)).toEqual(["external"]);
      const ext = etcd.external as Obj;
      expect(ext.endpoints).toEqual(ENDPOINTS);
      expect(ext.caFile).toBe(EXPECTED_EXTERNAL.caFile);
      expect(ext.certFile).toBe(EXPECTED_EXTERNAL.certFile);
      expect(ext.keyFile).toBe(EXPECTED_EXTERNAL.keyFile);
      expect(ext).toEqual(EXPECTED_EXTERNAL);
    }
  });

  it("no local etcd and no peer certificate SANs anywhere in the templates", () => {
    const t = masterKubeadmTemplates(external);
    for (const text of [t.init, t.local, t.join]) {
      expect(text).not.toMatch(/peerCertSANs/);
      expect(text).not.toMatch(/\blocal:/);
      expect(text).not.toMatch(/etcd-volume/);
    }
  });

  it("the local template names no node address (no peer certificate to put it in)", () => {
    expect(masterKubeadmTemplates(external).local).not.toMatch(/\{\{NODE_IP\}\}/);
    expect(masterKubeadmTemplates(stacked).local).toMatch(/\{\{NODE_IP\}\}/);
  });

  it("everything but etcd is exactly the stacked documents", () => {
    const strip = (d: Obj) => ({ ...d, etcd: undefined });
    for (const key of ["init", "local", "join"] as const) {
      expect(docs[key].map(strip)).toEqual(plain[key].map(strip));
      expect(docs[key].map((d) => d.kind)).toEqual(plain[key].map((d) => d.kind));
    }
  });

  it("the master's files drop the etcd patch and keep every other file as stacked has it", () => {
    const files = masterConfigFiles(external);
    expect(files.map((f) => f.path)).not.toContain(PATCH_FILE);
    const stackedFiles = masterConfigFiles(stacked).filter((f) => f.path !== PATCH_FILE);
    expect(files.map((f) => ({ path: f.path, envKey: f.envKey }))).toEqual(
      stackedFiles.map((f) => ({ path: f.path, envKey: f.envKey })),
    );
  });
});

describe("without externalEtcd (stacked, unchanged)", () => {
  const docs = documents(stacked);

  it("etcd is local only, on the volume; the local config names the primary address as peer SAN", () => {
    for (const cluster of clusterConfigs(docs)) expect(Object.keys(cluster.etcd as Obj)).toEqual(["local"]);
    const [, initCluster] = docs.init as [Obj, Obj];
    const [, localCluster] = docs.local as [Obj, Obj];
    expect(((initCluster.etcd as Obj).local as Obj).dataDir).toBe("/var/lib/etcd-volume/data");
    expect((initCluster.etcd as Obj).local as Obj).not.toHaveProperty("peerCertSANs");
    expect(((localCluster.etcd as Obj).local as Obj).peerCertSANs).toEqual(["10.64.16.9"]);
  });

  it("the etcd patch is among the master's files", () => {
    expect(masterConfigFiles(stacked).map((f) => f.path)).toContain(PATCH_FILE);
  });

  it("an explicit `externalEtcd: undefined` renders byte for byte the same", () => {
    expect(masterKubeadmTemplates({ ...stacked, externalEtcd: undefined })).toEqual(
      masterKubeadmTemplates(stacked),
    );
  });
});

describe("endpoints must be https URLs", () => {
  const render = (endpoints: string[]) => () =>
    masterKubeadmTemplates({
      ...stacked,
      externalEtcd: { endpoints, version: "3.6.5", releaseSha256: "a".repeat(64) },
    });

  it.each([
    "http://10.64.0.36:2379",
    "10.64.0.36:2379",
    "unix:///run/etcd.sock",
    "https://",
    "https://10.64.0.36:2379/",
    "https://10.64.0.36:2379/v3",
    "https://10.64.0.36 :2379",
    'https://10.64.0.36:2379"',
    "",
  ])("refuses %j, naming it", (bad) => {
    const endpoints = [ENDPOINTS[0] as string, bad];
    expect(render(endpoints)).toThrow(
      `externalEtcd.endpoints[1] must be an https URL (https://host:port), got "${bad}"`,
    );
  });

  it("refuses an empty list and a repeated endpoint", () => {
    expect(render([])).toThrow(/at least one etcd client URL/);
    expect(render([...ENDPOINTS, ENDPOINTS[0] as string])).toThrow(
      `externalEtcd.endpoints lists "https://10.64.0.36:2379" twice (positions 0 and 3)`,
    );
  });

  it("accepts addresses and names, with or without a port", () => {
    expect(() =>
      checkExternalEtcdEndpoints([
        "https://10.64.0.36:2379",
        "https://etcd-1.internal",
        "https://e2.example.com:12379",
      ]),
    ).not.toThrow();
  });
});
