import { asRecord, asString, isTrue, ofType } from "../props";
import type { GraphResource, StackPolicy } from "../types";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = [
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketVersioningV2:BucketVersioningV2",
];
const PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const ACL_TYPES = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];
const PUBLIC_ACL = /^public-|authenticated-read/;
const BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";
const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** An unconditional Allow to everyone (`"*"` or `{AWS: "*"}`) makes a bucket public. */
function publicStatements(policyJson: unknown): number {
  if (typeof policyJson !== "string") return 0;
  let doc: Record<string, unknown>;
  try {
    doc = asRecord(JSON.parse(policyJson));
  } catch {
    return 0;
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.map(asRecord).filter((st) => {
    const principal = st.Principal;
    const everyone = principal === "*" || asRecord(principal).AWS === "*";
    return st.Effect === "Allow" && everyone && st.Condition === undefined;
  }).length;
}

/** A bucket's satellite resources point at it through their `bucket` input (a dependency). */
function attachedTo(bucket: GraphResource, all: GraphResource[], types: string[]): GraphResource[] {
  const name = asString(bucket.props.bucket);
  return ofType(all, ...types).filter(
    (r) => r.dependencies.includes(bucket.urn) || (name !== undefined && r.props.bucket === name),
  );
}

/**
 * The service-account issuer's bucket (components/identity/serviceAccountIssuer.ts) is public on
 * purpose: STS fetches the OIDC discovery document and the JWKS without credentials. It is
 * recognised by its parent component's type in the URN, and held to that purpose instead: ACLs
 * blocked and ignored, and every statement that allows everyone allows only s3:GetObject on the
 * two discovery documents. Nothing secret is in it, so versioning is not required.
 */
const ISSUER_PARENT = "k8sha:identity:ServiceAccountIssuer$";
const ISSUER_DOCUMENTS = ["/.well-known/openid-configuration", "/openid/v1/jwks"];

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function issuerBucketProblems(bucket: GraphResource, all: GraphResource[]): string[] {
  const out: string[] = [];
  const blocks = attachedTo(bucket, all, [PUBLIC_ACCESS_BLOCK_TYPE]);
  if (!blocks.some((b) => isTrue(b.props.blockPublicAcls) && isTrue(b.props.ignorePublicAcls))) {
    out.push(
      `issuer bucket ${bucket.name} has no public access block with blockPublicAcls and ignorePublicAcls`,
    );
  }
  for (const p of attachedTo(bucket, all, [BUCKET_POLICY_TYPE])) {
    if (typeof p.props.policy !== "string") continue;
    let doc: Record<string, unknown>;
    try {
      doc = asRecord(JSON.parse(p.props.policy));
    } catch {
      continue;
    }
    for (const st of asList(doc.Statement).map(asRecord)) {
      const everyone = st.Principal === "*" || asRecord(st.Principal).AWS === "*";
      if (st.Effect !== "Allow" || !everyone) continue;
      const actions = asList(st.Action);
      const resources = asList(st.Resource).map(String);
      const onlyGet = actions.length > 0 && actions.every((a) => a === "s3:GetObject");
      const onlyDocuments =
        resources.length > 0 && resources.every((r) => ISSUER_DOCUMENTS.some((d) => r.endsWith(d)));
      if (!onlyGet || !onlyDocuments) {
        out.push(
          `issuer bucket ${bucket.name}: policy ${p.name} allows everyone more than s3:GetObject on the two discovery documents`,
        );
      }
    }
  }
  return out;
}

function bucketProblems(bucket: GraphResource, all: GraphResource[]): string[] {
  if (bucket.urn.includes(ISSUER_PARENT)) return issuerBucketProblems(bucket, all);
  const out: string[] = [];
  const inlineVersioning = isTrue(asRecord(bucket.props.versioning).enabled);
  const versioned =
    inlineVersioning ||
    attachedTo(bucket, all, VERSIONING_TYPES).some(
      (v) => asRecord(v.props.versioningConfiguration).status === "Enabled",
    );
  if (!versioned) out.push(`bucket ${bucket.name} has no versioning with status "Enabled"`);
  const blocks = attachedTo(bucket, all, [PUBLIC_ACCESS_BLOCK_TYPE]);
  if (!blocks.some((b) => BLOCK_FLAGS.every((f) => isTrue(b.props[f])))) {
    out.push(`bucket ${bucket.name} has no public access block with all of ${BLOCK_FLAGS.join(", ")}`);
  }
  const acls = [asString(bucket.props.acl)].concat(
    attachedTo(bucket, all, ACL_TYPES).map((a) => asString(a.props.acl)),
  );
  for (const p of attachedTo(bucket, all, [BUCKET_POLICY_TYPE])) {
    if (publicStatements(p.props.policy) > 0)
      out.push(`bucket ${bucket.name}: policy ${p.name} allows everyone`);
  }
  for (const acl of acls) {
    if (acl && PUBLIC_ACL.test(acl)) out.push(`bucket ${bucket.name} has the public ACL ${acl}`);
  }
  return out;
}

/** etcd snapshots are the cluster's secrets at rest: never public, and recoverable after a bad write. */
export const privateVersionedBucket: StackPolicy = {
  kind: "stack",
  name: "private-versioned-backup-bucket",
  description:
    "Every S3 bucket (the etcd backup bucket) blocks all public access, grants nothing to everyone and has versioning enabled; the service-account issuer's bucket grants everyone only GetObject on its two discovery documents.",
  check(resources) {
    return ofType(resources, ...BUCKET_TYPES).flatMap((b) =>
      bucketProblems(b, resources).map((message) => ({ urn: b.urn, message })),
    );
  },
};
