/**
 * The service-account JWKS and discovery document (components/identity/jwks.ts), proven with
 * real keys: a token signed the way kube-apiserver signs (RS256, `kid` header) verifies with a
 * key imported from the published JWKS, a token of another key does not, and the `kid` equals
 * one computed independently with openssl (sha256 of the SPKI DER, base64url without padding).
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import {
  JWKS_PATH,
  jwksFromPublicKeyPem,
  OPENID_CONFIGURATION_PATH,
  openIdConfiguration,
} from "../../components/identity/jwks";

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function rsaPair() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** A compact JWS as kube-apiserver's go-jose signer writes it: RS256 = RSASSA-PKCS1-v1_5 with SHA-256. */
function signJwt(privateKey: crypto.KeyObject, kid: string, claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: "RS256", kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(crypto.sign("sha256", Buffer.from(input), privateKey))}`;
}

/** What a relying party (STS) does: pick the JWKS entry by `kid`, import it, verify the signature. */
function verifyWithJwks(token: string, jwks: ReturnType<typeof jwksFromPublicKeyPem>): boolean {
  const [header, payload, signature] = token.split(".");
  const { kid, alg } = JSON.parse(Buffer.from(header, "base64url").toString()) as {
    kid: string;
    alg: string;
  };
  const entry = jwks.keys.find((k) => k.kid === kid && k.alg === alg);
  if (!entry) return false;
  const key = crypto.createPublicKey({ key: { ...entry }, format: "jwk" });
  return crypto.verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    key,
    Buffer.from(signature, "base64url"),
  );
}

/** The kid by another route: openssl's DER of the public key, its SHA-256, base64url without '='. */
function opensslKeyId(publicPem: string): string {
  const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: publicPem });
  const digest = execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: der });
  return digest.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const signer = rsaPair();
const other = rsaPair();
const claims = {
  iss: "https://k8sha-sa-demo-x.s3.eu-west-1.amazonaws.com",
  sub: "system:serviceaccount:kube-system:cluster-autoscaler",
  aud: ["sts.amazonaws.com"],
};

test("one RSA signing key, in kube-apiserver's shape", () => {
  const jwks = jwksFromPublicKeyPem(signer.publicPem);
  expect(jwks.keys).toHaveLength(1);
  const [key] = jwks.keys;
  expect(Object.keys(key)).toEqual(["use", "kty", "kid", "alg", "n", "e"]);
  expect(key).toMatchObject({ use: "sig", kty: "RSA", alg: "RS256", e: "AQAB" });
  // base64url without padding: no '+', '/' or '='.
  for (const field of [key.kid, key.n, key.e]) expect(field).toMatch(/^[A-Za-z0-9_-]+$/);
  // A 2048-bit modulus is 256 bytes.
  expect(Buffer.from(key.n, "base64url")).toHaveLength(256);
});

test("kid equals an independently computed key id (openssl: sha256 of the SPKI DER, base64url)", () => {
  const expected = opensslKeyId(signer.publicPem);
  expect(expected).toHaveLength(43);
  expect(jwksFromPublicKeyPem(signer.publicPem).keys[0].kid).toBe(expected);
  expect(jwksFromPublicKeyPem(other.publicPem).keys[0].kid).not.toBe(expected);
});

test("a token signed with the SA key verifies with the published JWKS", () => {
  const jwks = jwksFromPublicKeyPem(signer.publicPem);
  const token = signJwt(signer.privateKey, jwks.keys[0].kid, claims);
  expect(verifyWithJwks(token, jwks)).toBe(true);
});

test("a token signed by another key fails, with our kid or its own", () => {
  const jwks = jwksFromPublicKeyPem(signer.publicPem);
  const forged = signJwt(other.privateKey, jwks.keys[0].kid, claims);
  expect(verifyWithJwks(forged, jwks)).toBe(false);
  const foreign = signJwt(other.privateKey, jwksFromPublicKeyPem(other.publicPem).keys[0].kid, claims);
  expect(verifyWithJwks(foreign, jwks)).toBe(false);
});

test("the same key in any PEM form (SPKI, PKCS#1 public, the private key) gives the same JWKS", () => {
  const spki = jwksFromPublicKeyPem(signer.publicPem);
  const pkcs1 = crypto.createPublicKey(signer.publicPem).export({ type: "pkcs1", format: "pem" }).toString();
  const privatePem = signer.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  expect(pkcs1).toContain("BEGIN RSA PUBLIC KEY");
  expect(jwksFromPublicKeyPem(pkcs1)).toEqual(spki);
  expect(jwksFromPublicKeyPem(privatePem)).toEqual(spki);
});

test("a non-RSA key is refused (the SA key is RSA; an EC key would need ES256 and a curve)", () => {
  const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  expect(() => jwksFromPublicKeyPem(publicKey.export({ type: "spki", format: "pem" }).toString())).toThrow(
    /must be RSA/,
  );
});

describe("openIdConfiguration", () => {
  const issuer = "https://k8sha-sa-demo-x.s3.eu-west-1.amazonaws.com";

  test("the paths are kube-apiserver's", () => {
    expect(OPENID_CONFIGURATION_PATH).toBe("/.well-known/openid-configuration");
    expect(JWKS_PATH).toBe("/openid/v1/jwks");
  });

  test("exactly the fields kube-apiserver serves", () => {
    expect(openIdConfiguration(issuer, `${issuer}/openid/v1/jwks`)).toEqual({
      issuer,
      jwks_uri: `${issuer}/openid/v1/jwks`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  test("refuses what kube-apiserver refuses: http, a query or fragment in the issuer, an http JWKS URI", () => {
    expect(() => openIdConfiguration("http://example.com", "https://example.com/k")).toThrow(/https/);
    expect(() => openIdConfiguration("https://example.com?x=1", "https://example.com/k")).toThrow(/query/);
    expect(() => openIdConfiguration("https://example.com#f", "https://example.com/k")).toThrow(/fragment/);
    expect(() => openIdConfiguration("https://example.com", "http://example.com/k")).toThrow(/https/);
  });
});
