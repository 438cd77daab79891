/**
 * Throw-away TLS material for tests, made with the real `openssl` binary: one CA, then
 * leaf certificates signed by it. EC P-256 keys keep generation to a few milliseconds.
 */
import { type ExecFileSyncOptions, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of a PEM certificate and its private key. */
export interface CertPaths {
  cert: string;
  key: string;
}

/** A CA on disk that can sign leaf certificates. */
export interface TestCa extends CertPaths {
  dir: string;
}

/** openssl's default config adds CA extensions to `req -x509`; this one adds nothing. */
const MINIMAL_CONFIG = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n";

function configPath(dir: string): string {
  const path = join(dir, "openssl-minimal.cnf");
  writeFileSync(path, MINIMAL_CONFIG);
  return path;
}

/** openssl draws progress dashes on stderr; keep test output clean (errors still throw). */
const QUIET: ExecFileSyncOptions = { stdio: ["ignore", "pipe", "pipe"] };

const EC_KEY = ["-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Create a self-signed CA in `dir` (created if missing). */
export function createCa(dir: string, commonName = "k8sha-test-ca"): TestCa {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, "ca.crt");
  const key = join(dir, "ca.key");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-new", ...EC_KEY, "-keyout", key, "-out", cert, "-days", "2"],
      ...["-subj", `/CN=${commonName}`, "-config", configPath(dir)],
      ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ],
    QUIET,
  );
  return { dir, cert, key };
}

/**
 * Issue a leaf certificate `<name>.crt/.key` in the CA's directory, usable as TLS server
 * AND client (etcd peer certificates are both). `ipSans` become IP subjectAltNames, `dnsSans`
 * DNS ones.
 */
export function issueCert(ca: TestCa, name: string, ipSans: string[], dnsSans: string[] = []): CertPaths {
  const cert = join(ca.dir, `${name}.crt`);
  const key = join(ca.dir, `${name}.key`);
  const sans = [...ipSans.map((ip) => `IP:${ip}`), ...dnsSans.map((dns) => `DNS:${dns}`)];
  const sanArgs = sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : [];
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-new", ...EC_KEY, "-keyout", key, "-out", cert, "-days", "2"],
      ...["-subj", `/CN=${name}`, "-config", configPath(ca.dir), "-CA", ca.cert, "-CAkey", ca.key],
      ...sanArgs,
      ...["-addext", "basicConstraints=critical,CA:FALSE"],
      ...["-addext", "keyUsage=critical,digitalSignature,keyEncipherment"],
      ...["-addext", "extendedKeyUsage=serverAuth,clientAuth"],
    ],
    QUIET,
  );
  return { cert, key };
}

/**
 * `<dir>/<name>.{crt,key}`: a self-signed EC certificate with CN `name`, valid `days` days (a
 * stand-in for any leaf whose expiry is what a test reads). Returns the certificate's PEM.
 */
export function selfSignedCert(dir: string, name: string, days: number): string {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-nodes",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-subj",
      `/CN=${name}`,
      "-days",
      String(days),
      "-keyout",
      join(dir, `${name}.key`),
      "-out",
      join(dir, `${name}.crt`),
    ],
    { stdio: "ignore" },
  );
  return readFileSync(join(dir, `${name}.crt`), "utf8");
}
