/**
 * The ServiceAccountIssuer as it registers under Pulumi mocks (no AWS): a dedicated bucket,
 * ACLs blocked but a public bucket policy allowed, a policy that lets anyone GET exactly the two
 * discovery documents over TLS and nothing else, documents whose JSON names the issuer and
 * carries the SA key's JWKS, and an IAM OIDC provider for that issuer and the STS audience,
 * created only after the documents are published.
 *
 * Expected values come from the graph (the bucket the mock named) and from the test's own
 * arithmetic (the key id), not from the component's helpers.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { BucketPolicyDocument } from "../../components/clusterBucketPolicy";
import {
  issuerBucketNamePrefix,
  issuerHostFor,
  ServiceAccountIssuer,
} from "../../components/identity/serviceAccountIssuer";
import { MOCK_ACCOUNT_ID, mockCall, mockResourceState } from "../../synth/mockProviders";
import type { RegisteredResource } from "../../synth/mockRuntime";
import { list, only, rec } from "../support/graph";
import { isAllowed, isDenied } from "../support/iam-evaluate";

const STACK = "identity";
const PROJECT = "k8s-ha";

/** The URN Pulumi's mock monitor gives a resource (its MockMonitor.newUrn rule; parents and dependencies carry these). */
function mockUrn(parent: string, type: string, name: string): string {
  const parentType = parent ? `${(parent.split("::")[2] ?? "").split("$").pop() ?? ""}$` : "";
  return `urn:pulumi:${STACK}::${PROJECT}::${parentType}${type}::${name}`;
}
const T = {
  component: "k8sha:identity:ServiceAccountIssuer",
  bucket: "aws:s3/bucket:Bucket",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  provider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
} as const;

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}

/** One mocked deployment that records each resource with its parent and dependencies (as synth/mockRuntime does). */
async function deploy<T>(build: () => T): Promise<{ value: T; resources: RegisteredResource[] }> {
  const resources: RegisteredResource[] = [];
  const meta = new Map<string, { parent: string; dependencies: string[] }>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const state = mockResourceState(args.type, args.name, inputs);
        const m = meta.get(`${args.type}::${args.name}`) ?? { parent: "", dependencies: [] };
        resources.push({
          urn: mockUrn(m.parent, args.type, args.name),
          type: args.type,
          name: args.name,
          parent: m.parent,
          custom: true,
          inputs,
          state,
          dependencies: m.dependencies,
          options: { retainOnDelete: false, protect: false, ignoreChanges: [] },
        });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => mockCall(args.token, (args.inputs ?? {}) as Record<string, unknown>),
    },
    PROJECT,
    STACK,
    false,
  );
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): Promise<void> };
  };
  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    meta.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
    });
    return original(req, cb);
  };
  const value = build();
  await pulumi.runtime.disconnect();
  return { value, resources };
}

const resolve = <V>(o: pulumi.Output<V>) => new Promise<V>((done) => o.apply((v) => done(v)));

const { publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: "spki", format: "pem" }).toString();
/** The key id by the rule of kube-apiserver's keyIDFromPublicKey, computed here. */
const EXPECTED_KID = crypto
  .createHash("sha256")
  .update(publicKey.export({ type: "spki", format: "der" }))
  .digest("base64url");

let resources: RegisteredResource[];
let outputs: { issuerUrl: string; jwksUri: string; issuerHost: string; oidcProviderArn: string };

beforeAll(async () => {
  const run = await deploy(() => {
    const issuer = new ServiceAccountIssuer("issuer", {
      clusterName: "demo",
      serviceAccountPublicKeyPem: PUBLIC_PEM,
      region: "eu-west-1",
      tags: { "k8sha.io/cluster": "demo" },
    });
    return issuer;
  });
  resources = run.resources;
  const issuer = run.value;
  outputs = {
    issuerUrl: await resolve(issuer.issuerUrl),
    jwksUri: await resolve(issuer.jwksUri),
    issuerHost: await resolve(issuer.issuerHost),
    oidcProviderArn: await resolve(issuer.oidcProviderArn),
  };
});

const one = (type: string) =>
  only(
    resources.filter((r) => r.type === type),
    type,
  );
const bucketName = () => String(one(T.bucket).state.bucket);
const bucketArn = () => String(one(T.bucket).state.arn);

test("a dedicated bucket (not the etcd snapshot bucket) and every resource a child of the component", () => {
  const component = one(T.component);
  expect(String(one(T.bucket).inputs.bucketPrefix)).toBe("k8sha-sa-demo-");
  expect(String(one(T.bucket).inputs.bucketPrefix)).not.toMatch(/etcd|backup/);
  const children = resources.filter((r) => r.type !== T.component);
  expect(children.length).toBe(8);
  for (const r of children) expect(r.parent).toBe(component.urn);
});

test("issuer URL is the bucket's virtual-hosted regional https URL; the host is it without the scheme", () => {
  expect(outputs.issuerUrl).toBe(`https://${bucketName()}.s3.eu-west-1.amazonaws.com`);
  expect(outputs.issuerHost).toBe(`${bucketName()}.s3.eu-west-1.amazonaws.com`);
  expect(outputs.jwksUri).toBe(`https://${bucketName()}.s3.eu-west-1.amazonaws.com/openid/v1/jwks`);
});

test("ACLs blocked and ignored, a public bucket policy allowed; owner-enforced; SSE-S3 (anonymous readers cannot use KMS)", () => {
  expect(one(T.publicAccess).inputs).toMatchObject({
    blockPublicAcls: true,
    ignorePublicAcls: true,
    blockPublicPolicy: false,
    restrictPublicBuckets: false,
  });
  expect(one(T.ownership).inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
  expect(one(T.sse).inputs.rules).toEqual([
    { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
  ]);
  for (const type of [T.publicAccess, T.ownership, T.sse, T.policy]) {
    expect(one(type).inputs.bucket).toBe(`${one(T.bucket).name}-id`);
  }
});

describe("bucket policy", () => {
  const policy = () => JSON.parse(String(one(T.policy).inputs.policy)) as BucketPolicyDocument;
  const tls = { "aws:SecureTransport": "true" };
  const config = () => `${bucketArn()}/.well-known/openid-configuration`;
  const jwks = () => `${bucketArn()}/openid/v1/jwks`;

  test("anyone may GET exactly the two documents over TLS", () => {
    for (const resource of [config(), jwks()]) {
      expect(isAllowed([policy()], { action: "s3:GetObject", resource, context: tls })).toBe(true);
    }
    const allows = policy().Statement.filter((s) => s.Effect === "Allow");
    expect(allows).toHaveLength(1);
    expect(allows[0].Principal).toBe("*");
    expect(list(allows[0].Resource).sort()).toEqual([config(), jwks()].sort());
  });

  test("nothing else: other keys, listing, writes, deleting the documents", () => {
    const refused = [
      { action: "s3:GetObject", resource: `${bucketArn()}/openid/v1/jwks.bak` },
      { action: "s3:GetObject", resource: `${bucketArn()}/demo/etcd/all/snapshot.db` },
      { action: "s3:ListBucket", resource: bucketArn() },
      { action: "s3:PutObject", resource: jwks() },
      { action: "s3:DeleteObject", resource: config() },
      { action: "s3:PutBucketPolicy", resource: bucketArn() },
    ];
    for (const request of refused) expect(isAllowed([policy()], { ...request, context: tls })).toBe(false);
  });

  test("every request without TLS is denied, even for the documents", () => {
    const plain = { "aws:SecureTransport": "false" };
    expect(isDenied([policy()], { action: "s3:GetObject", resource: jwks(), context: plain })).toBe(true);
    expect(isDenied([policy()], { action: "s3:ListBucket", resource: bucketArn(), context: plain })).toBe(
      true,
    );
  });

  test("registered after the public access block (AWS checks a new policy against it)", () => {
    expect(one(T.policy).dependencies).toContain(one(T.publicAccess).urn);
  });
});

describe("discovery documents", () => {
  const objects = () => resources.filter((r) => r.type === T.object);
  const byKey = (key: string) =>
    only(
      objects().filter((o) => o.inputs.key === key),
      `object ${key}`,
    );

  test("exactly the two kube-apiserver paths, as application/json, in the issuer bucket", () => {
    expect(
      objects()
        .map((o) => o.inputs.key)
        .sort(),
    ).toEqual([".well-known/openid-configuration", "openid/v1/jwks"]);
    for (const o of objects()) {
      expect(o.inputs.contentType).toBe("application/json");
      expect(o.inputs.bucket).toBe(`${one(T.bucket).name}-id`);
    }
  });

  test("the discovery document names the issuer and its JWKS URI", () => {
    const doc = rec(JSON.parse(String(byKey(".well-known/openid-configuration").inputs.content)));
    expect(doc.issuer).toBe(outputs.issuerUrl);
    expect(doc.jwks_uri).toBe(`${outputs.issuerUrl}/openid/v1/jwks`);
    expect(doc.id_token_signing_alg_values_supported).toEqual(["RS256"]);
  });

  test("the JWKS holds the SA public key under kube-apiserver's key id", () => {
    const keys = list(rec(JSON.parse(String(byKey("openid/v1/jwks").inputs.content))).keys).map(rec);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: EXPECTED_KID, kty: "RSA", alg: "RS256", use: "sig" });
    const imported = crypto.createPublicKey({
      key: { kty: "RSA", n: String(keys[0].n), e: String(keys[0].e) },
      format: "jwk",
    });
    expect(imported.export({ type: "spki", format: "pem" }).toString()).toBe(PUBLIC_PEM);
  });
});

describe("IAM OIDC provider", () => {
  test("trusts the issuer URL for the STS audience only, without thumbprints", () => {
    const provider = one(T.provider);
    expect(provider.inputs.url).toBe(outputs.issuerUrl);
    expect(provider.inputs.clientIdLists).toEqual(["sts.amazonaws.com"]);
    expect(provider.inputs.thumbprintLists).toBeUndefined();
    expect(outputs.oidcProviderArn).toBe(String(provider.state.arn));
    expect(outputs.oidcProviderArn).toContain(MOCK_ACCOUNT_ID);
  });

  test("is created only after both documents and the public-read policy exist", () => {
    const deps = one(T.provider).dependencies;
    for (const o of resources.filter((r) => r.type === T.object)) expect(deps).toContain(o.urn);
    expect(deps).toContain(one(T.policy).urn);
  });
});

test("a cluster name with '.' is refused: the bucket's wildcard TLS certificate would not cover it", async () => {
  const { issuerBucketNamePrefix, issuerHostFor } = await import(
    "../../components/identity/serviceAccountIssuer"
  );
  expect(() => issuerBucketNamePrefix("demo.example")).toThrow(/contains '\.'/);
  expect(issuerHostFor("b", "cn-north-1")).toBe("b.s3.cn-north-1.amazonaws.com.cn");
});

test("the issuer URL sorts before kubeadm's default issuer for any cluster name (kubeadm may sort repeated flags)", () => {
  const kubeadmDefault = "https://kubernetes.default.svc.cluster.local";
  for (const cluster of ["a", "demo", "kz", "prod", "zzz-cluster", "0-edge"]) {
    const url = `https://${issuerHostFor(`${issuerBucketNamePrefix(cluster)}20250101abcdef`, "eu-west-1")}`;
    expect([kubeadmDefault, url].sort()[0]).toBe(url);
  }
});
