/**
 * The two service-account issuer discovery documents kube-apiserver serves, computed here from
 * the service-account public key so they can be published before any master exists.
 * Sources (kubernetes/kubernetes): pkg/serviceaccount/jwt.go (`keyIDFromPublicKey`, the RS256
 * signer) and pkg/serviceaccount/openidmetadata.go (paths, `openIDMetadata`, `jwkFromPublicKey`).
 */
import * as crypto from "node:crypto";

/** Where kube-apiserver serves the OIDC provider configuration (openidmetadata.go `OpenIDConfigPath`). */
export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";
/** Where kube-apiserver serves the key set (openidmetadata.go `JWKSPath`). */
export const JWKS_PATH = "/openid/v1/jwks";
/** kube-apiserver signs with RS256 for every RSA key, whatever its size (jwt.go `signerFromRSAPrivateKey`). */
export const RSA_SIGNING_ALGORITHM = "RS256";

/** One RSA public key as kube-apiserver publishes it (go-jose's JSON field order). */
export interface RsaJsonWebKey {
  use: "sig";
  kty: "RSA";
  kid: string;
  alg: typeof RSA_SIGNING_ALGORITHM;
  /** Modulus, base64url without padding. */
  n: string;
  /** Public exponent, base64url without padding (`AQAB` for 65537). */
  e: string;
}

export interface JsonWebKeySet {
  keys: RsaJsonWebKey[];
}

/** The fields of openidmetadata.go `openIDMetadata`, the whole discovery document kube-apiserver serves. */
export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

/**
 * The key id kube-apiserver puts in the `kid` header of every token it signs with this key:
 * base64url (no padding) of the SHA-256 of the key's PKIX (SubjectPublicKeyInfo) DER
 * (jwt.go `keyIDFromPublicKey`: x509.MarshalPKIXPublicKey, sha256, base64.RawURLEncoding).
 * A verifier picks the JWKS entry by this id, so it must match to the byte.
 */
export function keyIdFromPublicKey(key: crypto.KeyObject): string {
  const spkiDer = key.export({ type: "spki", format: "der" });
  return crypto.createHash("sha256").update(spkiDer).digest("base64url");
}

/** The public key of any PEM Node reads one from (SPKI, PKCS#1 public, or a private key). */
function rsaPublicKey(pem: string): crypto.KeyObject {
  const key = crypto.createPublicKey(pem);
  // ECDSA keys would be ES256/384/512 with a curve field; the cluster's SA key is RSA (ClusterPki).
  if (key.asymmetricKeyType !== "rsa") {
    throw new Error(`service-account key must be RSA, got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}

/** The JWKS kube-apiserver would serve at {@link JWKS_PATH} for this one service-account key. */
export function jwksFromPublicKeyPem(pem: string): JsonWebKeySet {
  const key = rsaPublicKey(pem);
  const jwk = key.export({ format: "jwk" });
  if (typeof jwk.n !== "string" || typeof jwk.e !== "string") {
    throw new Error("RSA public key exported without modulus or exponent");
  }
  return {
    keys: [
      {
        use: "sig",
        kty: "RSA",
        kid: keyIdFromPublicKey(key),
        alg: RSA_SIGNING_ALGORITHM,
        n: jwk.n,
        e: jwk.e,
      },
    ],
  };
}

/** kube-apiserver refuses an issuer or JWKS URI that is not https, or (issuer) carries a query or fragment. */
function requireHttpsUrl(what: string, value: string, bare: boolean): void {
  const url = new URL(value);
  if (url.protocol !== "https:") throw new Error(`${what} must use https, got ${value}`);
  if (bare && (url.search !== "" || url.hash !== "")) {
    throw new Error(`${what} may not include a query or fragment, got ${value}`);
  }
}

/**
 * The discovery document kube-apiserver serves at {@link OPENID_CONFIGURATION_PATH}
 * (openidmetadata.go `openIDConfigJSON`): only ID tokens, public subjects, and the algorithms
 * of the published keys, which for an RSA key set is RS256 alone.
 */
export function openIdConfiguration(issuerUrl: string, jwksUri: string): OpenIdConfiguration {
  requireHttpsUrl("issuer URL", issuerUrl, true);
  requireHttpsUrl("JWKS URI", jwksUri, false);
  return {
    issuer: issuerUrl,
    jwks_uri: jwksUri,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [RSA_SIGNING_ALGORITHM],
  };
}
