/**
 * buildAdminKubeconfig (pure) and adminKubeconfig (the secret Output) with real PEMs from
 * node:crypto; the stack-output checks against the real program live in workers-stacks.test.ts.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { adminKubeconfig, apiServerUrl, buildAdminKubeconfig } from "../../components/kubeconfig";

const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const certPem = (cn: string) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(`cert ${cn}`).toString("base64")}\n-----END CERTIFICATE-----\n`;
const values = {
  clusterName: "dev",
  server: apiServerUrl("dev-api-123.elb.eu-west-1.amazonaws.com"),
  caCertPem: certPem("ca"),
  clientCertPem: certPem("admin"),
  clientKeyPem: keyPem,
};
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

test("a clientcmd v1 Config: server on 6443, CA and admin cert/key embedded, one current context", () => {
  const cfg = parseYaml(buildAdminKubeconfig(values));
  expect(cfg).toMatchObject({ apiVersion: "v1", kind: "Config" });
  expect(cfg.clusters).toHaveLength(1);
  expect(cfg.clusters[0].cluster.server).toBe("https://dev-api-123.elb.eu-west-1.amazonaws.com:6443");
  expect(unb64(cfg.clusters[0].cluster["certificate-authority-data"])).toBe(values.caCertPem);
  const ctx = cfg.contexts.find((c: { name: string }) => c.name === cfg["current-context"]).context;
  expect(ctx.cluster).toBe(cfg.clusters[0].name);
  const user = cfg.users.find((u: { name: string }) => u.name === ctx.user).user;
  expect(unb64(user["client-certificate-data"])).toBe(values.clientCertPem);
  expect(unb64(user["client-key-data"])).toBe(keyPem);
  // The embedded key is a usable private key, not mangled by YAML folding.
  expect(crypto.createPrivateKey(unb64(user["client-key-data"])).asymmetricKeyType).toBe("ec");
});

test("refuses non-PEM material and non-https servers instead of writing a broken file", () => {
  expect(() => buildAdminKubeconfig({ ...values, clientKeyPem: "" })).toThrow("clientKeyPem is not PEM");
  expect(() => buildAdminKubeconfig({ ...values, server: "http://x:6443" })).toThrow("server must be https");
});

test("adminKubeconfig is a Pulumi secret", async () => {
  const out = adminKubeconfig({ ...values, clientKeyPem: pulumi.output(keyPem) });
  expect(await pulumi.isSecret(out)).toBe(true);
  const text = await new Promise<string>((resolve) => out.apply(resolve));
  expect(parseYaml(text).kind).toBe("Config");
});
