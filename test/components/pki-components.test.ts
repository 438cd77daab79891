import * as pulumi from "@pulumi/pulumi";
import { secretParameterNames } from "../../base/ssmPaths";
import { BOOTSTRAP_TOKEN_PATTERN, BootstrapToken } from "../../components/bootstrapToken";
import { ClusterSecrets, parameterTierFor } from "../../components/clusterSecrets";
import { discoveryHashFromPublicKeyPem } from "../../components/discoveryHash";
import { ClusterPki } from "../../components/pki";
import {
  byType,
  isSecretInput,
  type MockedResource,
  plain,
  resolve,
  runWithMocks,
} from "../support/pki-mocks";

const PRIVATE = [
  "caKeyPem",
  "etcdCaKeyPem",
  "frontProxyCaKeyPem",
  "serviceAccountKeyPem",
  "adminKeyPem",
] as const;
const PUBLIC = [
  "caCertPem",
  "etcdCaCertPem",
  "frontProxyCaCertPem",
  "serviceAccountPublicKeyPem",
  "discoveryHash",
] as const;

let resources: MockedResource[];
let secrecy: Record<string, boolean>;
let discoveryHash: string;

beforeAll(async () => {
  const run = await runWithMocks(async () => {
    const pki = new ClusterPki("pki", { clusterName: "demo" });
    const token = new BootstrapToken("join");
    new ClusterSecrets("secrets", {
      clusterName: "demo",
      pki,
      bootstrapToken: token.token,
      discoveryHash: pki.discoveryHash,
    });
    const flags: Record<string, boolean> = {};
    for (const key of [...PRIVATE, ...PUBLIC]) flags[key] = await pulumi.isSecret(pki[key]);
    return { flags, discoveryHash: await resolve(pki.discoveryHash) };
  });
  resources = run.resources;
  secrecy = run.value.flags;
  discoveryHash = run.value.discoveryHash;
});

const one = (type: string, name: string): MockedResource => {
  const found = byType(resources, type).find((r) => r.name === name);
  if (!found) throw new Error(`${type} ${name} not registered`);
  return found;
};
const key = (name: string) => one("tls:index/privateKey:PrivateKey", name);
const params = () => byType(resources, "aws:ssm/parameter:Parameter");
const paramValue = (path: string) => plain(params().find((p) => p.inputs.name === path)?.inputs.value);

describe("ClusterPki", () => {
  test("five RSA-2048 keys: three CAs, service account, admin", () => {
    const keys = byType(resources, "tls:index/privateKey:PrivateKey");
    expect(keys.map((k) => k.name).sort()).toEqual([
      "pki-admin",
      "pki-ca",
      "pki-etcd-ca",
      "pki-front-proxy-ca",
      "pki-sa",
    ]);
    for (const k of keys) expect(k.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
  });

  test("CAs are self-signed by their own key, 10 years, no automatic early renewal", () => {
    const expected = {
      "pki-ca": "kubernetes",
      "pki-etcd-ca": "etcd-ca",
      "pki-front-proxy-ca": "front-proxy-ca",
    };
    for (const [name, commonName] of Object.entries(expected)) {
      const ca = one("tls:index/selfSignedCert:SelfSignedCert", name);
      expect(plain(ca.inputs.privateKeyPem)).toBe(key(name).state.privateKeyPem);
      expect(ca.inputs).toMatchObject({
        isCaCertificate: true,
        validityPeriodHours: 87600,
        subject: { commonName },
      });
      expect(ca.inputs.allowedUses).toContain("cert_signing");
      expect(ca.inputs.earlyRenewalHours ?? 0).toBe(0);
    }
  });

  test("admin: kubeadm >= 1.29 identity, client-auth only, signed by the cluster CA, 1 year", () => {
    const csr = one("tls:index/certRequest:CertRequest", "pki-admin");
    expect(csr.inputs.subject).toEqual({
      commonName: "kubernetes-admin",
      organization: "kubeadm:cluster-admins",
    });
    expect(plain(csr.inputs.privateKeyPem)).toBe(key("pki-admin").state.privateKeyPem);
    const admin = one("tls:index/locallySignedCert:LocallySignedCert", "pki-admin");
    expect(plain(admin.inputs.caPrivateKeyPem)).toBe(key("pki-ca").state.privateKeyPem);
    expect(admin.inputs.caCertPem).toBe(
      one("tls:index/selfSignedCert:SelfSignedCert", "pki-ca").state.certPem,
    );
    expect(admin.inputs).toMatchObject({ validityPeriodHours: 8760, earlyRenewalHours: 720 });
    expect(admin.inputs.allowedUses).toContain("client_auth");
    expect(admin.inputs.allowedUses).not.toContain("server_auth");
    expect(admin.inputs.allowedUses).not.toContain("cert_signing");
  });

  test("private keys are Pulumi secrets; certificates, sa.pub and the pin are not", () => {
    for (const k of PRIVATE) expect([k, secrecy[k]]).toEqual([k, true]);
    for (const k of PUBLIC) expect([k, secrecy[k]]).toEqual([k, false]);
  });

  test("discovery hash pins the cluster CA key, not another CA's", () => {
    expect(discoveryHash).toBe(discoveryHashFromPublicKeyPem(String(key("pki-ca").state.publicKeyPem)));
    expect(discoveryHash).not.toBe(
      discoveryHashFromPublicKeyPem(String(key("pki-etcd-ca").state.publicKeyPem)),
    );
  });
});

describe("ClusterSecrets", () => {
  const names = secretParameterNames("demo");

  test("exactly the kubeadm files under /pki and the join values under /join", () => {
    const expected = [...Object.values(names.pki), ...Object.values(names.join)].sort();
    expect(
      params()
        .map((p) => p.inputs.name)
        .sort(),
    ).toEqual(expected);
    expect(Object.values(names.join).every((n) => n.startsWith("/k8sha/demo/join/"))).toBe(true);
    expect(Object.values(names.pki).every((n) => n.startsWith("/k8sha/demo/pki/"))).toBe(true);
  });

  test("every parameter is a SecureString under the cluster's rotating KMS key", () => {
    const kmsKey = one("aws:kms/key:Key", "secrets-key");
    expect(kmsKey.inputs.enableKeyRotation).toBe(true);
    expect(one("aws:kms/alias:Alias", "secrets-key").inputs).toMatchObject({
      name: "alias/k8sha-demo",
      targetKeyId: kmsKey.state.keyId,
    });
    for (const p of params())
      expect(p.inputs).toMatchObject({ type: "SecureString", keyId: kmsKey.state.arn });
  });

  test("values land where kubeadm expects them; nothing under /join is a private key", () => {
    expect(paramValue(names.pki["ca.key"])).toBe(key("pki-ca").state.privateKeyPem);
    expect(paramValue(names.pki["sa.key"])).toBe(key("pki-sa").state.privateKeyPem);
    expect(paramValue(names.pki["sa.pub"])).toBe(key("pki-sa").state.publicKeyPem);
    expect(paramValue(names.join["ca.crt"])).toBe(paramValue(names.pki["ca.crt"]));
    expect(paramValue(names.join["discovery-hash"])).toBe(discoveryHash);
    expect(String(paramValue(names.join.token))).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    for (const path of Object.values(names.join)) expect(String(paramValue(path))).not.toMatch(/PRIVATE KEY/);
  });

  test("every value reaches the provider as a Pulumi secret (never plain in state or diffs)", () => {
    for (const p of params())
      expect([p.inputs.name, isSecretInput(p.inputs.value)]).toEqual([p.inputs.name, true]);
  });

  test("RSA-2048 PEMs fit the free standard tier; only values over 4 KB go advanced", () => {
    for (const p of params()) expect([p.inputs.name, p.inputs.tier]).toEqual([p.inputs.name, "Standard"]);
    expect(parameterTierFor("x".repeat(4096))).toBe("Standard");
    expect(parameterTierFor("x".repeat(4097))).toBe("Advanced");
  });
});
