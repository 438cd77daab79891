/**
 * The cluster PKI a sandbox cluster's graph stands for with its tls resources: real CAs from
 * openssl (Kubernetes, etcd, front-proxy), the service-account key pair, the bootstrap token and
 * the CA's discovery hash, put into the fake SSM under the graph's own parameter names.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegisteredResource } from "../../../synth/mockRuntime";
import { type CertPaths, createCa, type TestCa } from "../pki";
import type { FakeAws } from "./fakeAws";

export const BOOTSTRAP_TOKEN = "abcdef.0123456789abcdef";

/**
 * Makes the PKI under `dir`/pki (the CA certificate also as `dir`/ca.crt) and puts a value for
 * every one of the graph's `parameters` (names below `prefix`, node.env's SSM_PREFIX): key
 * material made here, a plain String parameter's own value from the graph. Returns the cluster CA.
 */
export function seedClusterPki(
  dir: string,
  aws: FakeAws,
  parameters: RegisteredResource[],
  prefix: string,
): TestCa {
  const pki = join(dir, "pki");
  const ca = createCa(join(pki, "ca"), "kubernetes");
  const etcdCa = createCa(join(pki, "etcd"), "etcd-ca");
  const proxyCa = createCa(join(pki, "front-proxy"), "front-proxy-ca");
  execFileSync("openssl", ["genrsa", "-out", join(pki, "sa.key"), "2048"], { stdio: "ignore" });
  execFileSync("openssl", ["rsa", "-in", join(pki, "sa.key"), "-pubout", "-out", join(pki, "sa.pub")], {
    stdio: "ignore",
  });
  // What the graph's tls resources issue for an external etcd: the API server's etcd client pair,
  // signed by the etcd CA, for client authentication only.
  const etcdClient = issueClientCert(etcdCa, "apiserver-etcd-client", "kube-apiserver-etcd-client");
  copyFileSync(ca.cert, join(dir, "ca.crt"));
  const hash = execFileSync("bash", [
    "-c",
    `openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1`,
    "_",
    ca.cert,
  ])
    .toString()
    .trim();
  const values: Record<string, string> = {
    "pki/ca.crt": readFileSync(ca.cert, "utf8"),
    "pki/ca.key": readFileSync(ca.key, "utf8"),
    "pki/etcd-ca.crt": readFileSync(etcdCa.cert, "utf8"),
    "pki/etcd-ca.key": readFileSync(etcdCa.key, "utf8"),
    "pki/front-proxy-ca.crt": readFileSync(proxyCa.cert, "utf8"),
    "pki/front-proxy-ca.key": readFileSync(proxyCa.key, "utf8"),
    "pki/sa.key": readFileSync(join(pki, "sa.key"), "utf8"),
    "pki/apiserver-etcd-client.crt": readFileSync(etcdClient.cert, "utf8"),
    "pki/apiserver-etcd-client.key": readFileSync(etcdClient.key, "utf8"),
    "pki/sa.pub": readFileSync(join(pki, "sa.pub"), "utf8"),
    "join/token": BOOTSTRAP_TOKEN,
    "join/discovery-hash": `sha256:${hash}`,
    "join/ca.crt": readFileSync(ca.cert, "utf8"),
  };
  for (const p of parameters) {
    const name = String(p.inputs.name);
    // Key material is made here; a plain value (the control plane's version record) is the graph's.
    const value =
      values[name.slice(prefix.length + 1)] ??
      (p.inputs.type === "String" ? String(p.inputs.insecureValue ?? p.inputs.value) : undefined);
    if (value === undefined) throw new Error(`no test value for the graph's SSM parameter ${name}`);
    aws.putParameter(name, value, String(p.inputs.type));
  }
  return ca;
}

/** A client-only certificate `<name>.crt/.key` of `ca` (EC P-256, common name `cn`), in the CA's folder. */
export function issueClientCert(ca: TestCa, name: string, cn: string): CertPaths {
  const cert = join(ca.dir, `${name}.crt`);
  const key = join(ca.dir, `${name}.key`);
  const config = join(ca.dir, `${name}.cnf`);
  writeFileSync(config, "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
      ...["-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${cn}`, "-config", config],
      ...["-CA", ca.cert, "-CAkey", ca.key],
      ...["-addext", "basicConstraints=critical,CA:FALSE"],
      ...["-addext", "keyUsage=critical,digitalSignature,keyEncipherment"],
      ...["-addext", "extendedKeyUsage=clientAuth"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return { cert, key };
}
