/**
 * What the mock providers answer (synth/mockRuntime.ts): each new resource's state (its inputs
 * plus the computed attributes the program reads: ids, ARNs, DNS names, real TLS key material)
 * and the provider functions the program invokes.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const MOCK_ACCOUNT_ID = "123456789012";

const keyCache = new Map<string, { privateKeyPem: string; publicKeyPem: string }>();
/** Generated keys are kept on disk so each test file does not pay for RSA generation again. */
const KEY_CACHE_DIR = path.join(os.tmpdir(), "k8sha-mock-keys");

/** Real key material for tls:PrivateKey so the program's SPKI hashing runs on a real key. */
function mockKeyPair(name: string, algorithm: string) {
  const id = `${algorithm}-${name}`.replace(/[^a-zA-Z0-9-]/g, "_");
  const cached = keyCache.get(id);
  if (cached) return cached;
  const file = path.join(KEY_CACHE_DIR, `${id}.json`);
  try {
    const fromDisk = JSON.parse(fs.readFileSync(file, "utf8")) as {
      privateKeyPem: string;
      publicKeyPem: string;
    };
    keyCache.set(id, fromDisk);
    return fromDisk;
  } catch {
    // not cached yet (or unreadable): generate below
  }
  const pair =
    algorithm === "ECDSA"
      ? crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
      : crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const result = {
    privateKeyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  keyCache.set(id, result);
  fs.mkdirSync(KEY_CACHE_DIR, { recursive: true });
  // Write then rename: parallel jest workers never read a half-written file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(result), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return result;
}

function fakeCertPem(name: string): string {
  const body = Buffer.from(`mock certificate for ${name}`).toString("base64");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** The state a mock provider returns for a new resource: inputs plus computed attributes. */
export function mockResourceState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const region = "eu-west-1";
  const service = type.split(":")[1]?.split("/")[0] ?? "x";
  const state: Record<string, unknown> = {
    ...inputs,
    arn: `arn:aws:${service}:${region}:${MOCK_ACCOUNT_ID}:${name}`,
  };
  switch (type) {
    case "tls:index/privateKey:PrivateKey": {
      const keys = mockKeyPair(name, String(inputs.algorithm ?? "RSA"));
      Object.assign(state, {
        privateKeyPem: keys.privateKeyPem,
        privateKeyPemPkcs8: keys.privateKeyPem,
        publicKeyPem: keys.publicKeyPem,
      });
      break;
    }
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      state.certPem = fakeCertPem(name);
      break;
    case "tls:index/certRequest:CertRequest":
      state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\nbW9jaw==\n-----END CERTIFICATE REQUEST-----\n`;
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
      state.dnsName = `${name}-0123456789.elb.${region}.amazonaws.com`;
      state.zoneId = "Z2IFOLAFXWLO4F";
      // The CloudWatch dimension value: `net/<name>/<id>` (the ARN after `loadbalancer/`).
      state.arnSuffix = `net/${String(inputs.name ?? name)}/0123456789abcdef`;
      break;
    case "aws:lb/targetGroup:TargetGroup":
      state.arnSuffix = `targetgroup/${String(inputs.name ?? name)}/0123456789abcdef`;
      break;
    case "aws:autoscaling/group:Group":
      // Without a name, Pulumi auto-names it: the logical name, a dash and 7 random characters.
      state.name = inputs.name ?? `${name}-0a1b2c3`;
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      state.latestVersion = 1;
      break;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      // Like the provider: a prefix gets a 26-character unique suffix (terraform-provider-aws
      // id.PrefixedUniqueId: a timestamp and a counter); here a fixed one, for stable graphs.
      state.bucket =
        inputs.bucket ??
        (inputs.bucketPrefix ? `${String(inputs.bucketPrefix)}20261202000000000000000001` : `${name}-bucket`);
      state.arn = `arn:aws:s3:::${String(state.bucket)}`;
      break;
    case "aws:kms/key:Key":
      state.keyId = `${name}-key-id`;
      state.arn = `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${name}`;
      break;
    case "aws:iam/role:Role":
      state.name = inputs.name ?? name;
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${String(state.name)}`;
      break;
    case "aws:ssm/parameter:Parameter":
      state.arn = `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter${String(inputs.name ?? name)}`;
      break;
    default:
      break;
  }
  if (type.startsWith("random:")) {
    const length = Number(inputs.length ?? 16);
    state.result = crypto
      .createHash("sha256")
      .update(name)
      .digest("hex")
      .replace(/[^a-z0-9]/g, "")
      .slice(0, length)
      .padEnd(length, "0");
  }
  return state;
}

/** Answers for the provider functions the program calls. */
export function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
        state: "available",
      };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/mock`, userId: "mock" };
    case "aws:index/getRegion:getRegion":
      return { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com" };
    case "aws:kms/getKey:getKey":
      // The AWS-managed EBS key, looked up by its alias: answer with a key ARN as AWS does.
      return {
        ...inputs,
        arn: `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/mock-aws-ebs`,
        keyManager: "AWS",
      };
    case "aws:ec2/getAmi:getAmi":
      return {
        id: "ami-0mock0ubuntu2404",
        name: "ubuntu-noble-24.04-amd64-server-mock",
        architecture: "x86_64",
      };
    default:
      return inputs;
  }
}

/** The mocked account's version parameter (absent: a new cluster, nothing deployed). */
export type MockAccount = { deployedKubernetesVersion?: string; deployedEtcdTopology?: string };
export const GET_PARAMETER = "aws:ssm/getParameter:getParameter";
/**
 * Stands in for aws.ssm.getParameter (aws_ssm_parameter data source) against `account`, with its
 * not-found error "reading SSM Parameter (<name>): couldn't find resource" (terraform-provider-aws
 * parameter_data_source.go) as the engine wraps it; the SDK throws the gRPC error's `details`.
 */
export function mockGetParameter(
  inputs: Record<string, unknown>,
  account: MockAccount,
): Record<string, unknown> {
  const name = String(inputs.name ?? "");
  const deployed = {
    "kubernetes-version": account.deployedKubernetesVersion,
    "etcd-topology": account.deployedEtcdTopology,
  };
  const value = deployed[/\/control-plane\/([a-z-]+)$/.exec(name)?.[1] as keyof typeof deployed];
  if (value !== undefined)
    return { ...inputs, id: name, type: "String", value, insecureValue: value, version: 1 };
  const details = `invocation of ${GET_PARAMETER} returned an error: reading SSM Parameter (${name}): couldn't find resource`;
  throw Object.assign(new Error(details), { details });
}
