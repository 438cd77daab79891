/**
 * The external topology's `apiserver-etcd-client` certificate, issued by ClusterPki and stored by
 * ClusterSecrets (Cluster does not wire it yet), as the components register under Pulumi mocks,
 * built on their own twice: with `externalEtcd` and with the default.
 */
import * as path from "node:path";
import { ClusterSecrets } from "../../components/clusterSecrets";
import {
  type RegisteredResource,
  type SynthResult,
  synthesizeInCurrentRegistry,
} from "../../synth/mockRuntime";
import { only } from "../support/graph";
import { isSecretInput, plain, runWithMocks } from "../support/pki-mocks";

const PROGRAM = path.join(__dirname, "../support/pkiProgram");
const T = {
  pki: "k8sha:pki:ClusterPki",
  secrets: "k8sha:pki:ClusterSecrets",
  key: "tls:index/privateKey:PrivateKey",
  selfSigned: "tls:index/selfSignedCert:SelfSignedCert",
  csr: "tls:index/certRequest:CertRequest",
  signed: "tls:index/locallySignedCert:LocallySignedCert",
  kms: "aws:kms/key:Key",
  param: "aws:ssm/parameter:Parameter",
} as const;
const CERT_PARAM = "/k8sha/demo/pki/apiserver-etcd-client.crt";
const KEY_PARAM = "/k8sha/demo/pki/apiserver-etcd-client.key";

let withFlag: SynthResult;
let byDefault: SynthResult;

beforeAll(async () => {
  withFlag = await synthesizeInCurrentRegistry("unit", { "pkiunit:externalEtcd": "true" }, PROGRAM);
  byDefault = await synthesizeInCurrentRegistry("unit", {}, PROGRAM);
});

const one = (result: SynthResult, type: string, name: string): RegisteredResource =>
  only(
    result.resources.filter((r) => r.type === type && r.name === name),
    `${type} ${name}`,
  );
const param = (result: SynthResult, name: string): RegisteredResource =>
  only(
    result.resources.filter((r) => r.type === T.param && r.inputs.name === name),
    `parameter ${name}`,
  );
const ids = (result: SynthResult) => result.resources.map((r) => `${r.type} ${r.name}`).sort();

describe("with externalEtcd", () => {
  test("an RSA-2048 key and a CSR for CN kube-apiserver-etcd-client (no organization)", () => {
    const key = one(withFlag, T.key, "pki-apiserver-etcd-client");
    expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    const csr = one(withFlag, T.csr, "pki-apiserver-etcd-client");
    expect(csr.inputs.subject).toEqual({ commonName: "kube-apiserver-etcd-client" });
    expect(plain(csr.inputs.privateKeyPem)).toBe(key.state.privateKeyPem);
  });

  test("signed by the etcd CA (its certificate and key), not the cluster CA", () => {
    const cert = one(withFlag, T.signed, "pki-apiserver-etcd-client");
    const etcdCaKey = one(withFlag, T.key, "pki-etcd-ca");
    const clusterCaKey = one(withFlag, T.key, "pki-ca");
    expect(plain(cert.inputs.caPrivateKeyPem)).toBe(etcdCaKey.state.privateKeyPem);
    expect(plain(cert.inputs.caPrivateKeyPem)).not.toBe(clusterCaKey.state.privateKeyPem);
    expect(cert.inputs.caCertPem).toBe(one(withFlag, T.selfSigned, "pki-etcd-ca").state.certPem);
    expect(cert.inputs.caCertPem).not.toBe(one(withFlag, T.selfSigned, "pki-ca").state.certPem);
    expect(cert.inputs.certRequestPem).toBe(
      one(withFlag, T.csr, "pki-apiserver-etcd-client").state.certRequestPem,
    );
  });

  test("client auth only (digital signature + key encipherment), one year like the admin certificate", () => {
    const cert = one(withFlag, T.signed, "pki-apiserver-etcd-client");
    expect([...(cert.inputs.allowedUses as string[])].sort()).toEqual([
      "client_auth",
      "digital_signature",
      "key_encipherment",
    ]);
    expect(cert.inputs).toMatchObject({ validityPeriodHours: 8760, earlyRenewalHours: 720 });
    expect(cert.inputs.isCaCertificate ?? false).toBe(false);
  });

  test("the key output is a Pulumi secret, the certificate output is not; both are the issued ones", () => {
    expect(withFlag.secretOutputs).toContain("etcdClientKeyPem");
    expect(withFlag.secretOutputs).not.toContain("etcdClientCertPem");
    expect(withFlag.outputs.etcdClientKeyPem).toBe(
      one(withFlag, T.key, "pki-apiserver-etcd-client").state.privateKeyPem,
    );
    expect(withFlag.outputs.etcdClientCertPem).toBe(
      one(withFlag, T.signed, "pki-apiserver-etcd-client").state.certPem,
    );
  });

  test("stored as SecureStrings under the cluster KMS key, values secret, where kubeadm names them", () => {
    const kmsKey = one(withFlag, T.kms, "secrets-key");
    const cert = param(withFlag, CERT_PARAM);
    const key = param(withFlag, KEY_PARAM);
    for (const p of [cert, key]) {
      expect(p.inputs).toMatchObject({ type: "SecureString", keyId: kmsKey.state.arn, tier: "Standard" });
      expect(isSecretInput(p.inputs.value)).toBe(true);
    }
    expect(plain(cert.inputs.value)).toBe(one(withFlag, T.signed, "pki-apiserver-etcd-client").state.certPem);
    expect(plain(key.inputs.value)).toBe(
      one(withFlag, T.key, "pki-apiserver-etcd-client").state.privateKeyPem,
    );
    expect(Object.keys(withFlag.outputs.etcdClientParameterArns as object).sort()).toEqual([
      "apiserver-etcd-client.crt",
      "apiserver-etcd-client.key",
    ]);
  });

  test("every new resource is a direct child of its component ({ parent: this })", () => {
    const pki = only(
      withFlag.resources.filter((r) => r.type === T.pki),
      "ClusterPki",
    );
    const secrets = only(
      withFlag.resources.filter((r) => r.type === T.secrets),
      "ClusterSecrets",
    );
    for (const type of [T.key, T.csr, T.signed])
      expect(one(withFlag, type, "pki-apiserver-etcd-client").parent).toBe(pki.urn);
    for (const name of [CERT_PARAM, KEY_PARAM]) expect(param(withFlag, name).parent).toBe(secrets.urn);
  });

  test("exactly five resources more than the default, all of them the etcd client's", () => {
    const base = ids(byDefault);
    const extra = ids(withFlag).filter((id) => !base.includes(id));
    expect(extra).toEqual(
      [
        `${T.key} pki-apiserver-etcd-client`,
        `${T.csr} pki-apiserver-etcd-client`,
        `${T.signed} pki-apiserver-etcd-client`,
        `${T.param} secrets-pki-apiserver-etcd-client-crt`,
        `${T.param} secrets-pki-apiserver-etcd-client-key`,
      ].sort(),
    );
    expect(ids(withFlag)).toHaveLength(base.length + 5);
  });
});

describe("by default (stacked)", () => {
  test("nothing of the etcd client is registered, output or stored", () => {
    expect(byDefault.resources.filter((r) => r.name.includes("etcd-client"))).toEqual([]);
    expect(byDefault.resources.filter((r) => String(r.inputs.name ?? "").includes("etcd-client"))).toEqual(
      [],
    );
    expect(byDefault.outputs.etcdClientCertPem).toBeUndefined();
    expect(byDefault.outputs.etcdClientKeyPem).toBeUndefined();
    expect(byDefault.outputs.etcdClientParameterArns).toBeUndefined();
    // The stacked parameter set: kubeadm's eight files under pki/ and the three join values.
    expect(byDefault.resources.filter((r) => r.type === T.param)).toHaveLength(11);
  });
});

test("ClusterSecrets refuses the etcd client certificate without its key", async () => {
  const pki = {
    caCertPem: "ca",
    caKeyPem: "ca-key",
    etcdCaCertPem: "etcd-ca",
    etcdCaKeyPem: "etcd-ca-key",
    frontProxyCaCertPem: "fp",
    frontProxyCaKeyPem: "fp-key",
    serviceAccountKeyPem: "sa",
    serviceAccountPublicKeyPem: "sa-pub",
    apiserverEtcdClientCertPem: "client",
  };
  await expect(
    runWithMocks(
      () =>
        new ClusterSecrets("lonely", { clusterName: "demo", pki, bootstrapToken: "t", discoveryHash: "h" }),
    ),
  ).rejects.toThrow("apiserverEtcdClientCertPem and apiserverEtcdClientKeyPem go together");
});
