/**
 * The kubelet's external cloud provider and provider ID: the rendered kubeadm documents carry
 * `cloud-provider: external` and the PROVIDER_ID placeholder exactly when the cloud controller
 * runs; the real lib/template.sh accepts only `aws:///<zone>/i-<hex>` for it and fills it only
 * where a template has it; the real lib/imds.sh builds it from IMDSv2 (a loopback server).
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { masterConfigFiles, workerConfigFiles } from "../../cloud-init/config-files";
import { placeholder } from "../../cloud-init/placeholders";
import { run } from "../support/etcdCluster";
import { FAST_RETRY, fillTemplate, LIB_DIR } from "../support/fakes/bashLib";
import { masterConfig, workerConfig } from "../support/render-fixtures";

type Registration = { kubeletExtraArgs: { name: string; value: string }[] };

/** Every nodeRegistration of every kubeadm template a node of `on` gets. */
function registrations(on: boolean): { file: string; text: string; regs: Registration[] }[] {
  const files = [
    ...masterConfigFiles({ ...masterConfig(0, false), cloudControllerManager: on }),
    ...workerConfigFiles({ ...workerConfig, cloudControllerManager: on }),
  ].filter((f) => f.path.includes("kubeadm-"));
  return files.map((f) => ({
    file: f.path,
    text: f.content,
    regs: parseAllDocuments(f.content)
      .map((d) => d.toJS() as { nodeRegistration?: Registration })
      .flatMap((d) => (d.nodeRegistration ? [d.nodeRegistration] : [])),
  }));
}

describe("kubeadm documents", () => {
  it("with the cloud controller: every kubelet (init, local, control-plane join, worker join) runs external with the provider ID", () => {
    const templates = registrations(true);
    expect(templates.map((t) => t.file.replace(/.*\//, "")).sort()).toEqual([
      "kubeadm-init.yaml",
      "kubeadm-join.yaml",
      "kubeadm-join.yaml",
      "kubeadm-local.yaml",
    ]);
    for (const t of templates) {
      expect(t.regs).toHaveLength(1);
      for (const reg of t.regs) {
        expect(reg.kubeletExtraArgs).toContainEqual({ name: "cloud-provider", value: "external" });
        expect(reg.kubeletExtraArgs).toContainEqual({
          name: "provider-id",
          value: placeholder("PROVIDER_ID"),
        });
      }
      // Written double-quoted, so the boot fills a YAML string (placeholders.ts).
      expect(t.text).toContain(`value: "${placeholder("PROVIDER_ID")}"`);
    }
  });

  it("without it: no cloud flag and no provider ID anywhere", () => {
    for (const t of registrations(false)) {
      expect(t.text).not.toContain("PROVIDER_ID");
      for (const reg of t.regs)
        expect(reg.kubeletExtraArgs.map((a) => a.name)).not.toEqual(
          expect.arrayContaining(["cloud-provider"]),
        );
    }
  });
});

describe("lib/template.sh PROVIDER_ID", () => {
  const template = `value: "${placeholder("PROVIDER_ID")}"\n`;

  it("accepts aws:///<zone>/<instance-id>", () => {
    const r = fillTemplate(template, { PROVIDER_ID: "aws:///eu-west-1a/i-0123456789abcdef0" });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readFileSync(r.out, "utf8")).toBe('value: "aws:///eu-west-1a/i-0123456789abcdef0"\n');
  });

  it.each([
    "aws:///eu-west-1a/vol-1",
    "i-0123 ; rm",
    "aws:////i-0123456789abcdef0",
    "aws:///eu-west-1a/i-0123456789abcdef0 ",
    "aws:///EU-WEST-1A/i-0123",
    'aws:///eu-west-1a/i-0123"',
    "aws://eu-west-1a/i-0123",
    "",
  ])("refuses %j and writes nothing", (bad) => {
    const r = fillTemplate(template, { PROVIDER_ID: bad });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the PROVIDER_ID value is not valid");
    expect(existsSync(r.out)).toBe(false);
  });

  it("an optional value (NAME?=) is filled where the template has it and ignored where not", () => {
    const used = fillTemplate(template, { "PROVIDER_ID?": "aws:///eu-west-1c/i-0abc" });
    expect(used.code).toBe(0);
    expect(readFileSync(used.out, "utf8")).toBe('value: "aws:///eu-west-1c/i-0abc"\n');
    const unused = fillTemplate('a: "{{NODE_IP}}"\n', {
      NODE_IP: "10.0.0.1",
      "PROVIDER_ID?": "not checked here",
    });
    expect({ code: unused.code, stderr: unused.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readFileSync(unused.out, "utf8")).toBe('a: "10.0.0.1"\n');
    // Optional is no licence for a bad value where it is used.
    const bad = fillTemplate(template, { "PROVIDER_ID?": "aws:///eu-west-1a/vol-1" });
    expect(bad.code).not.toBe(0);
    expect(existsSync(bad.out)).toBe(false);
  });
});

describe("lib/imds.sh imds_provider_id (IMDSv2 on loopback)", () => {
  const META: Record<string, string> = {
    "instance-id": "i-0fedcba9876543210",
    "placement/availability-zone": "eu-west-1b",
    "local-ipv4": "10.0.2.7",
    "local-hostname": "ip-10-0-2-7.eu-west-1.compute.internal",
    mac: "0a:00:00:00:00:01",
    "network/interfaces/macs/0a:00:00:00:00:01/subnet-ipv4-cidr-block": "10.0.2.0/24",
  };
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === "PUT") return void res.end("tok");
      const path = req.url?.replace("/latest/meta-data/", "") ?? "";
      const ok = req.headers["x-aws-ec2-metadata-token"] === "tok" && path in META;
      res.statusCode = ok ? 200 : 404;
      res.end(ok ? META[path] : "");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const bash = (script: string) =>
    run(
      "bash",
      ["-c", `set -euo pipefail; . ${join(LIB_DIR, "common.sh")}; . ${join(LIB_DIR, "imds.sh")}; ${script}`],
      {
        IMDS_ENDPOINT: url,
        ...FAST_RETRY,
      },
    );

  it("is aws:///<zone>/<instance-id>, and load_node_identity exports it", async () => {
    const direct = await bash("imds_provider_id");
    expect(direct.stdout).toBe("aws:///eu-west-1b/i-0fedcba9876543210\n");
    const identity = await bash('load_node_identity 2>/dev/null; echo "$PROVIDER_ID"');
    expect(identity.stdout).toBe("aws:///eu-west-1b/i-0fedcba9876543210\n");
  });

  it("fails when IMDS has no zone (never an aws:////<id> with an empty zone)", async () => {
    delete META["placement/availability-zone"];
    const r = await bash("imds_provider_id");
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });
});
