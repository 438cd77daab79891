/**
 * Who may assume an add-on role (components/identity/trustPolicy.ts), read by the test IAM
 * evaluator: it does not evaluate principals, but it does evaluate the condition keys STS fills
 * from the token (`<issuer host>:sub`, `<issuer host>:aud`). Only the add-on's own service
 * account in kube-system with a token for sts.amazonaws.com from this cluster's issuer passes.
 * Then the AddonRole component under Pulumi mocks: name prefix within IAM's limit, that trust
 * policy, one inline policy, and the ARN.
 *
 * Subjects are written out literally, so a renamed service account or namespace fails here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonWithRole } from "../../base/addons";
import {
  AddonRole,
  addonRoleNamePrefix,
  ROLE_NAME_PREFIX_MAX_LENGTH,
} from "../../components/identity/addonRole";
import { webIdentityTrustPolicy } from "../../components/identity/trustPolicy";
import { MOCK_ACCOUNT_ID, mockCall, mockResourceState } from "../../synth/mockProviders";
import { list, rec } from "../support/graph";
import { type EvaluatedDocument, isAllowed } from "../support/iam-evaluate";

const HOST = "k8sha-sa-demo-20250101abcdef.s3.eu-west-1.amazonaws.com";
const OTHER_HOST = "k8sha-sa-other-20250101abcdef.s3.eu-west-1.amazonaws.com";
const PROVIDER_ARN = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${HOST}`;
const ROLE_ARN = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/demo-addon`;
const ASSUME = "sts:AssumeRoleWithWebIdentity";

const SUBJECTS: Record<AddonWithRole, string> = {
  cloudControllerManager: "system:serviceaccount:kube-system:cloud-controller-manager",
  ebsCsiDriver: "system:serviceaccount:kube-system:ebs-csi-controller-sa",
  clusterAutoscaler: "system:serviceaccount:kube-system:cluster-autoscaler",
};
const ADDONS = Object.keys(SUBJECTS) as AddonWithRole[];

/**
 * The trust policy as the evaluator reads it. A trust policy names no Resource (the role itself
 * is the resource), so each statement is read as applying to "*".
 */
function evaluated(addon: AddonWithRole): EvaluatedDocument {
  const doc = webIdentityTrustPolicy(PROVIDER_ARN, HOST, SUBJECTS[addon]);
  return { Statement: doc.Statement.map((s) => ({ ...s, Resource: "*" })) };
}

/** The condition context STS presents for a token: its claims under the issuer host. */
const token = (sub: string | undefined, aud: string | undefined, host = HOST) => ({
  ...(sub === undefined ? {} : { [`${host}:sub`]: sub }),
  ...(aud === undefined ? {} : { [`${host}:aud`]: aud }),
});
const mayAssume = (addon: AddonWithRole, context: Record<string, string>, action = ASSUME) =>
  isAllowed([evaluated(addon)], { action, resource: ROLE_ARN, context });

describe.each(ADDONS)("%s role", (addon) => {
  test("its own service account in kube-system, audience sts.amazonaws.com, may assume it", () => {
    expect(mayAssume(addon, token(SUBJECTS[addon], "sts.amazonaws.com"))).toBe(true);
  });

  test("kube-system's default service account may not", () => {
    expect(mayAssume(addon, token("system:serviceaccount:kube-system:default", "sts.amazonaws.com"))).toBe(
      false,
    );
  });

  test("the same service account name in another namespace may not", () => {
    const name = SUBJECTS[addon].split(":").pop();
    expect(mayAssume(addon, token(`system:serviceaccount:default:${name}`, "sts.amazonaws.com"))).toBe(false);
  });

  test("another add-on's service account may not", () => {
    for (const other of ADDONS.filter((a) => a !== addon)) {
      expect(mayAssume(addon, token(SUBJECTS[other], "sts.amazonaws.com"))).toBe(false);
    }
  });

  test("a token for the API server (audience kubernetes) or with no audience may not", () => {
    expect(mayAssume(addon, token(SUBJECTS[addon], "kubernetes"))).toBe(false);
    expect(mayAssume(addon, token(SUBJECTS[addon], "https://kubernetes.default.svc.cluster.local"))).toBe(
      false,
    );
    expect(mayAssume(addon, token(SUBJECTS[addon], undefined))).toBe(false);
  });

  test("the right claims from another cluster's issuer may not (other condition keys)", () => {
    expect(mayAssume(addon, token(SUBJECTS[addon], "sts.amazonaws.com", OTHER_HOST))).toBe(false);
  });

  test("only web identity: plain sts:AssumeRole is not granted", () => {
    expect(mayAssume(addon, token(SUBJECTS[addon], "sts.amazonaws.com"), "sts:AssumeRole")).toBe(false);
  });
});

test("the principal is the cluster's OIDC provider, federated", () => {
  const [statement] = webIdentityTrustPolicy(PROVIDER_ARN, HOST, SUBJECTS.clusterAutoscaler).Statement;
  expect(statement.Principal).toEqual({ Federated: PROVIDER_ARN });
  expect(statement.Action).toBe(ASSUME);
  expect(Object.keys(statement.Condition)).toEqual(["StringEquals"]);
});

test("an issuer host with a scheme or trailing slash is refused (IAM's condition keys carry neither)", () => {
  expect(() => webIdentityTrustPolicy(PROVIDER_ARN, `https://${HOST}`, SUBJECTS.ebsCsiDriver)).toThrow(
    /scheme/,
  );
  expect(() => webIdentityTrustPolicy(PROVIDER_ARN, `${HOST}/`, SUBJECTS.ebsCsiDriver)).toThrow(/trailing/);
});

describe("role name prefix", () => {
  test("short cluster names are kept whole", () => {
    expect(addonRoleNamePrefix("demo", "cloudControllerManager")).toBe("demo-ccm-");
    expect(addonRoleNamePrefix("demo", "ebsCsiDriver")).toBe("demo-ebs-csi-");
    expect(addonRoleNamePrefix("demo", "clusterAutoscaler")).toBe("demo-autoscaler-");
  });

  test("a long cluster name is cut to fit the provider's 38 characters (64 minus a 26-character suffix)", () => {
    expect(ROLE_NAME_PREFIX_MAX_LENGTH).toBe(64 - 26);
    const long = "a-very-long-cluster-name-for-production-eu";
    for (const addon of ADDONS) {
      const prefix = addonRoleNamePrefix(long, addon);
      expect(prefix.length).toBeLessThanOrEqual(38);
      expect(prefix).toMatch(/^[\w+=,.@-]+$/);
      expect(prefix).not.toMatch(/--/);
    }
  });
});

describe("AddonRole under mocks", () => {
  interface Registered {
    type: string;
    name: string;
    parent: string;
    inputs: Record<string, unknown>;
    state: Record<string, unknown>;
  }
  const registered: Registered[] = [];
  const POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Describe", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }],
  });
  let roleArn = "";

  beforeAll(async () => {
    const parents = new Map<string, string>();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const inputs = (args.inputs ?? {}) as Record<string, unknown>;
          const state = mockResourceState(args.type, args.name, inputs);
          const parent = parents.get(`${args.type}::${args.name}`) ?? "";
          registered.push({ type: args.type, name: args.name, parent, inputs, state });
          return { id: `${args.name}-id`, state };
        },
        call: (args) => mockCall(args.token, (args.inputs ?? {}) as Record<string, unknown>),
      },
      "k8s-ha",
      "identity-trust",
      false,
    );
    const settings = require("@pulumi/pulumi/runtime/settings") as {
      getMonitor(): {
        registerResource(
          req: { getType(): string; getName(): string; getParent(): string },
          cb: unknown,
        ): Promise<void>;
      };
    };
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
      return original(req, cb);
    };
    const role = new AddonRole("demo-autoscaler", {
      clusterName: "demo",
      addon: "clusterAutoscaler",
      oidcProviderArn: PROVIDER_ARN,
      issuerHost: HOST,
      policy: POLICY,
      tags: { "k8sha.io/cluster": "demo" },
    });
    const arn = new Promise<string>((done) => role.roleArn.apply((v) => done(v)));
    await pulumi.runtime.disconnect();
    roleArn = await arn;
  });

  const one = (type: string) => {
    const found = registered.filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test("one role and one inline policy, both children of the component", () => {
    expect(registered.map((r) => r.type).sort()).toEqual([
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "k8sha:identity:AddonRole",
    ]);
    for (const r of registered.filter((x) => x.type !== "k8sha:identity:AddonRole")) {
      expect(r.parent).toMatch(/k8sha:identity:AddonRole::demo-autoscaler$/);
    }
  });

  test("the role trusts the cluster-autoscaler service account through the provider, nothing else", () => {
    const role = one("aws:iam/role:Role");
    expect(role.inputs.namePrefix).toBe("demo-autoscaler-");
    const trust = rec(JSON.parse(String(role.inputs.assumeRolePolicy)));
    const statements = list(trust.Statement).map(rec);
    expect(statements).toHaveLength(1);
    expect(statements[0].Principal).toEqual({ Federated: PROVIDER_ARN });
    expect(rec(statements[0].Condition).StringEquals).toEqual({
      [`${HOST}:sub`]: "system:serviceaccount:kube-system:cluster-autoscaler",
      [`${HOST}:aud`]: "sts.amazonaws.com",
    });
    expect(role.inputs.managedPolicyArns).toBeUndefined();
  });

  test("the inline policy is the given document, on that role; the ARN is the role's", () => {
    const inline = one("aws:iam/rolePolicy:RolePolicy");
    expect(inline.inputs.policy).toBe(POLICY);
    expect(inline.inputs.role).toBe(`${one("aws:iam/role:Role").name}-id`);
    expect(roleArn).toBe(String(one("aws:iam/role:Role").state.arn));
  });
});
