import { execFileSync, execSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DISCOVERY_HASH_PATTERN,
  discoveryHashFromCertificatePem,
  discoveryHashFromPublicKeyPem,
} from "../../components/discoveryHash";

const quiet = { stdio: ["ignore", "pipe", "ignore"] as ("ignore" | "pipe")[] };
let dir: string;
let caCrt: string;
let opensslHash: string;

beforeAll(() => {
  // A kubeadm-like CA made by openssl, independent of the code under test.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pki-hash-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=kubernetes", "-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.crt")],
    ],
    quiet,
  );
  caCrt = path.join(dir, "ca.crt");
  // The pipeline from the kubeadm join documentation, verbatim.
  const digest = execSync(
    `openssl x509 -pubkey -in ${caCrt} | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex`,
  ).toString();
  opensslHash = `sha256:${digest.trim().split(/\s+/).pop()}`;
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("hash of the CA public key equals kubeadm's openssl pipeline", () => {
  const publicKeyPem = execFileSync("openssl", ["x509", "-pubkey", "-noout", "-in", caCrt]).toString();
  expect(opensslHash).toMatch(DISCOVERY_HASH_PATTERN);
  expect(discoveryHashFromPublicKeyPem(publicKeyPem)).toBe(opensslHash);
});

test("the CA private key (what Pulumi holds) and the certificate give the same pin", () => {
  const keyPem = fs.readFileSync(path.join(dir, "ca.key"), "utf8");
  expect(discoveryHashFromPublicKeyPem(keyPem)).toBe(opensslHash);
  expect(discoveryHashFromCertificatePem(fs.readFileSync(caCrt, "utf8"))).toBe(opensslHash);
});

test("a different key gives a different pin", () => {
  const other = execFileSync(
    "openssl",
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    quiet,
  );
  expect(discoveryHashFromPublicKeyPem(other.toString())).not.toBe(opensslHash);
});
