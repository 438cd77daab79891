/**
 * The AWS add-ons in the real program (index.ts) under Pulumi mocks, dev and prod config: one
 * IAM role per enabled add-on that calls AWS, trusted only through the cluster's issuer; the
 * manifest bundle stored content-addressed in the cluster bucket; the SSM pointer the masters
 * apply naming exactly that object, written only after the last master's roll gate; a switched-off
 * add-on has no role, no objects in the bundle, and is listed for removal. The masters' and
 * workers' boot carries the external cloud provider and the issuer.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { type AddonManifestPointer, serviceAccountSubject } from "../../base/addons";
import { addonsParameterName } from "../../base/ssmPaths";
import { DEFAULT_KUBERNETES_VERSION } from "../../config/defaults";
import {
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { only } from "../support/graph";

const ROLE = "aws:iam/role:Role";
const INLINE = "aws:iam/rolePolicy:RolePolicy";
const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const PARAM = "aws:ssm/parameter:Parameter";
const GATE = "k8sha:controlplane:RollGate";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const ADDON_ROLE = "k8sha:identity:AddonRole";

const results: Record<string, SynthResult> = {};
let noAutoscaler: SynthResult;
let noneWithRoles: SynthResult;

beforeAll(async () => {
  results.dev = await synthesize("dev");
  results.prod = await synthesize("prod");
  noAutoscaler = await synthesize("dev", { addons: { clusterAutoscaler: { enabled: false } } });
  noneWithRoles = await synthesize("dev", {
    addons: {
      cloudControllerManager: { enabled: false },
      ebsCsiDriver: { enabled: false },
      clusterAutoscaler: { enabled: false },
    },
  });
});

const clusterOf = (stack: string) => (stack === "dev" ? "dev" : "prod");

function pointerOf(
  result: SynthResult,
  cluster: string,
): { param: RegisteredResource; value: AddonManifestPointer } {
  const param = only(
    ofType(result, PARAM).filter((p) => p.inputs.name === addonsParameterName(cluster)),
    "add-on pointer parameter",
  );
  return { param, value: JSON.parse(String(param.inputs.insecureValue)) as AddonManifestPointer };
}

function manifestOf(result: SynthResult, key: string): RegisteredResource {
  return only(
    ofType(result, OBJECT).filter((o) => o.inputs.key === key),
    `manifest object ${key}`,
  );
}

const addonRoles = (result: SynthResult) => ofType(result, ADDON_ROLE).map((r) => r.name);

function trustedSubjects(result: SynthResult): string[] {
  return ofType(result, ROLE)
    .map((r) => JSON.parse(String(r.inputs.assumeRolePolicy)) as { Statement: { Condition?: unknown }[] })
    .flatMap((doc) => doc.Statement.map((s) => JSON.stringify(s.Condition ?? {})))
    .flatMap((c) => [...c.matchAll(/system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+/g)].map((m) => m[0]));
}

function decodedUserData(base64: string): string {
  const raw = Buffer.from(base64, "base64");
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString("utf8");
}

describe.each(["dev", "prod"])("%s", (stack) => {
  const cluster = clusterOf(stack);

  test("one role per add-on that calls AWS, each trusting only its own service account", () => {
    const result = results[stack];
    expect(addonRoles(result).sort()).toEqual(
      [
        `${cluster}-addons-cloudControllerManager`,
        `${cluster}-addons-clusterAutoscaler`,
        `${cluster}-addons-ebsCsiDriver`,
      ].sort(),
    );
    expect(trustedSubjects(result).sort()).toEqual(
      [
        serviceAccountSubject("cloudControllerManager"),
        serviceAccountSubject("clusterAutoscaler"),
        serviceAccountSubject("ebsCsiDriver"),
      ].sort(),
    );
    // Each role has exactly one inline policy, and it is a real document with statements.
    const inline = ofType(result, INLINE).filter((p) => String(p.name).startsWith(`${cluster}-addons-`));
    expect(inline).toHaveLength(3);
    for (const p of inline) {
      const doc = JSON.parse(String(p.inputs.policy)) as { Statement: unknown[] };
      expect(doc.Statement.length).toBeGreaterThan(0);
    }
  });

  test("the pointer names the content-addressed manifest in the cluster bucket, whose hash it carries", () => {
    const result = results[stack];
    const { value } = pointerOf(result, cluster);
    expect(value.key).toBe(`${cluster}/addons/${value.sha256}.yaml`);
    const object = manifestOf(result, value.key);
    expect(object.inputs.bucket).toBe(value.bucket);
    const content = String(object.inputs.content);
    expect(createHash("sha256").update(content, "utf8").digest("hex")).toBe(value.sha256);
    expect(value.enabled).toEqual([
      "cloudControllerManager",
      "ebsCsiDriver",
      "clusterAutoscaler",
      "nodeTerminationHandler",
    ]);
    expect(value.disabled).toEqual([]);
    expect(object.options.retainOnDelete).toBe(true);
  });

  test("the pointer changes only after the last master's roll gate (add-ons follow the control plane)", () => {
    const result = results[stack];
    const { param } = pointerOf(result, cluster);
    const gates = ofType(result, GATE)
      .map((g) => g.name)
      .sort();
    expect(gates).toEqual([`${cluster}-cp-0-roll`, `${cluster}-cp-1-roll`, `${cluster}-cp-2-roll`]);
    // dependsOn a component means its children: the last gate's command. Each gate waits for the
    // one before (roll-gate-graph tests), so the last one suffices.
    const direct = param.dependencies.map((urn) => urn.split("::").pop());
    expect(direct).toContain(`${cluster}-cp-2-roll-run`);
    expect(direct).not.toContain(`${cluster}-cp-0-roll-run`);
  });

  test("the version-matched add-ons run the Kubernetes minor of the stack", () => {
    const result = results[stack];
    const { value } = pointerOf(result, cluster);
    const content = String(manifestOf(result, value.key).inputs.content);
    const kubernetesVersion =
      readStackConfig(stack)["k8s-ha:kubernetesVersion"] ?? DEFAULT_KUBERNETES_VERSION;
    const minor = kubernetesVersion.split(".")[1];
    const ccm = [...content.matchAll(/cloud-controller-manager:v1\.(\d+)\.\d+/g)].map((m) => m[1]);
    const ca = [...content.matchAll(/cluster-autoscaler:v1\.(\d+)\.\d+/g)].map((m) => m[1]);
    expect(ccm.length).toBeGreaterThan(0);
    expect(ca.length).toBeGreaterThan(0);
    expect(new Set([...ccm, ...ca])).toEqual(new Set([minor]));
  });
});

test("a switched-off add-on has no role, no objects, and is listed for removal", () => {
  expect(addonRoles(noAutoscaler)).not.toContain("dev-addons-clusterAutoscaler");
  expect(addonRoles(noAutoscaler)).toHaveLength(2);
  const { value } = pointerOf(noAutoscaler, "dev");
  expect(value.disabled).toEqual(["clusterAutoscaler"]);
  expect(value.enabled).not.toContain("clusterAutoscaler");
  const content = String(manifestOf(noAutoscaler, value.key).inputs.content);
  expect(content).not.toMatch(/cluster-autoscaler/);
  expect(content).toMatch(/cloud-controller-manager/);
  // Another manifest, so another key: the masters see the change.
  expect(value.sha256).not.toBe(pointerOf(results.dev, "dev").value.sha256);
});

test("without an add-on that calls AWS there is no issuer, no OIDC provider and no add-on role", () => {
  expect(addonRoles(noneWithRoles)).toEqual([]);
  expect(ofType(noneWithRoles, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
  expect(ofType(noneWithRoles, "k8sha:identity:ServiceAccountIssuer")).toEqual([]);
  const { value } = pointerOf(noneWithRoles, "dev");
  expect(value.enabled).toEqual(["nodeTerminationHandler"]);
  // The masters keep kubeadm's issuer only.
  const userData = ofType(noneWithRoles, LT)
    .map((lt) => decodedUserData(String(lt.inputs.userData)))
    .join("\n");
  expect(userData).not.toMatch(/service-account-jwks-uri/);
});
