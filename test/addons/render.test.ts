/**
 * The add-on manifests as a whole: labels and namespaces on every object, the web identity on
 * exactly the pods with a role, RBAC that names objects which exist, disabled add-ons left out,
 * and the bundle: stable bytes and hash, YAML that reads back (as kubectl reads it, YAML 1.1)
 * to the very objects rendered.
 */
import { createHash } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { CLUSTER_SCOPED_KINDS, type K8sObject, MANAGED_BY_LABEL } from "../../addons/k8sTypes";
import { addonManifestBundle, renderAddonManifests } from "../../addons/render";
import {
  ADDON_LABEL,
  ADDON_NAMESPACE,
  ADDON_SERVICE_ACCOUNTS,
  AWS_ADDONS,
  type AwsAddon,
  WEB_IDENTITY_AUDIENCE,
  WEB_IDENTITY_TOKEN_DIR,
  WEB_IDENTITY_TOKEN_FILE,
} from "../../base/addons";
import { addonInput, envOf, KMS_KEY, manifestOf, REGION, ROLE_ARNS, workloads } from "./fixtures";

const manifests = renderAddonManifests(addonInput());
const all = manifests.flatMap((m) => m.objects.map((o) => ({ addon: m.addon, o })));
const hasRole = (addon: AwsAddon): addon is keyof typeof ADDON_SERVICE_ACCOUNTS =>
  addon in ADDON_SERVICE_ACCOUNTS;

describe("every object", () => {
  it("one manifest per add-on, in install order", () => {
    expect(manifests.map((m) => m.addon)).toEqual([...AWS_ADDONS]);
  });

  it("is labelled with its add-on and managed-by k8sha", () => {
    expect(all.length).toBeGreaterThan(30);
    for (const { addon, o } of all) {
      expect([o.kind, o.metadata.name, o.metadata.labels[ADDON_LABEL]]).toEqual([
        o.kind,
        o.metadata.name,
        addon,
      ]);
      expect(o.metadata.labels[MANAGED_BY_LABEL]).toBe("k8sha");
    }
  });

  it("is in the add-on namespace, unless cluster-scoped (then in none)", () => {
    for (const { o } of all) {
      const expected = CLUSTER_SCOPED_KINDS.has(o.kind) ? undefined : ADDON_NAMESPACE;
      expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, expected]);
    }
  });

  it("pods carry the add-on label too, and their selector matches them", () => {
    for (const { addon, o } of all) {
      if (o.kind !== "DaemonSet" && o.kind !== "Deployment") continue;
      const labels = o.spec.template.metadata.labels;
      expect(labels[ADDON_LABEL]).toBe(addon);
      for (const [k, v] of Object.entries(o.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    }
  });

  it("no two objects share a kind, namespace and name", () => {
    const keys = all.map(({ o }) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("bindings name service accounts and roles that exist (or are built into Kubernetes)", () => {
    const exists = (kind: string, name: string) =>
      all.some(({ o }) => o.kind === kind && o.metadata.name === name);
    for (const { o } of all) {
      if (o.kind !== "ClusterRoleBinding" && o.kind !== "RoleBinding") continue;
      if (o.roleRef.name !== "extension-apiserver-authentication-reader") {
        expect(`${o.roleRef.kind}/${o.roleRef.name}: ${exists(o.roleRef.kind, o.roleRef.name)}`).toBe(
          `${o.roleRef.kind}/${o.roleRef.name}: true`,
        );
      }
      for (const s of o.subjects) {
        expect(s.namespace).toBe(ADDON_NAMESPACE);
        expect(exists("ServiceAccount", s.name)).toBe(true);
      }
    }
    for (const { o } of all) {
      if (o.kind !== "DaemonSet" && o.kind !== "Deployment") continue;
      expect(exists("ServiceAccount", o.spec.template.spec.serviceAccountName)).toBe(true);
    }
  });
});

describe("web identity", () => {
  it("is on the three add-ons with a role, in the pod that runs as the role's service account", () => {
    for (const m of manifests) {
      const pods = workloads(m.objects).map((w) => w.spec.template.spec);
      const withRole = pods.filter((p) => p.containers.some((c) => envOf(c).AWS_ROLE_ARN !== undefined));
      if (!hasRole(m.addon)) {
        expect([m.addon, withRole.length]).toEqual([m.addon, 0]);
        expect(pods.flatMap((p) => p.volumes ?? []).some((v) => "projected" in v)).toBe(false);
        continue;
      }
      expect([m.addon, withRole.length]).toEqual([m.addon, 1]);
      const pod = withRole[0];
      expect(pod.serviceAccountName).toBe(ADDON_SERVICE_ACCOUNTS[m.addon]);
      const callers = pod.containers.filter((c) => envOf(c).AWS_ROLE_ARN !== undefined);
      expect(callers).toHaveLength(1);
      expect(envOf(callers[0])).toMatchObject({
        AWS_ROLE_ARN: ROLE_ARNS[m.addon],
        AWS_WEB_IDENTITY_TOKEN_FILE: WEB_IDENTITY_TOKEN_FILE,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_STS_REGIONAL_ENDPOINTS: "regional",
      });
      const mount = callers[0].volumeMounts?.find((v) => v.mountPath === WEB_IDENTITY_TOKEN_DIR);
      expect(mount?.readOnly).toBe(true);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      expect(volume).toEqual({
        name: mount?.name,
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: WEB_IDENTITY_AUDIENCE,
                expirationSeconds: 86400,
                path: "token",
              },
            },
          ],
        },
      });
      expect(`${WEB_IDENTITY_TOKEN_DIR}/token`).toBe(WEB_IDENTITY_TOKEN_FILE);
    }
  });

  it("an enabled add-on with a role but no role ARN is refused, naming it", () => {
    for (const addon of Object.keys(ROLE_ARNS) as (keyof typeof ROLE_ARNS)[]) {
      const roleArns: Partial<Record<keyof typeof ROLE_ARNS, string>> = { ...ROLE_ARNS };
      delete roleArns[addon];
      expect(() => renderAddonManifests(addonInput({ roleArns }))).toThrow(
        new RegExp(`${addon} is enabled but has no IAM role ARN`),
      );
    }
  });
});

describe("enabled add-ons", () => {
  it("a disabled add-on renders nothing and needs no role ARN", () => {
    const input = addonInput({
      enabled: {
        cloudControllerManager: true,
        ebsCsiDriver: true,
        clusterAutoscaler: false,
        nodeTerminationHandler: false,
      },
      roleArns: {
        cloudControllerManager: ROLE_ARNS.cloudControllerManager,
        ebsCsiDriver: ROLE_ARNS.ebsCsiDriver,
      },
    });
    const out = renderAddonManifests(input);
    expect(out.map((m) => m.addon)).toEqual(["cloudControllerManager", "ebsCsiDriver"]);
    const labels = out.flatMap((m) => m.objects.map((o) => o.metadata.labels[ADDON_LABEL]));
    expect(new Set(labels)).toEqual(new Set(["cloudControllerManager", "ebsCsiDriver"]));
    expect(addonManifestBundle(out).content).not.toMatch(/cluster-autoscaler|node-termination-handler/);
  });

  it("the default StorageClass comes with the EBS CSI driver only when asked for", () => {
    const classes = (objects: K8sObject[]) => objects.filter((o) => o.kind === "StorageClass");
    expect(classes(manifestOf(manifests, "ebsCsiDriver").objects)).toHaveLength(1);
    const off = renderAddonManifests(addonInput({ defaultStorageClass: false }));
    expect(classes(manifestOf(off, "ebsCsiDriver").objects)).toHaveLength(0);
    expect(() => renderAddonManifests(addonInput({ ebsKmsKeyArn: "" }))).toThrow(/EBS KMS key/);
    expect(addonManifestBundle(manifests).content).toContain(KMS_KEY);
  });
});

describe("bundle", () => {
  const bundle = addonManifestBundle(manifests);

  it("hash is the SHA-256 of the content's UTF-8 bytes", () => {
    expect(bundle.sha256).toBe(
      createHash("sha256").update(Buffer.from(bundle.content, "utf8")).digest("hex"),
    );
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is stable: the same input, or the manifests in another order, give the same bytes", () => {
    expect(addonManifestBundle(renderAddonManifests(addonInput()))).toEqual(bundle);
    expect(addonManifestBundle([...manifests].reverse())).toEqual(bundle);
  });

  it("changes with a role ARN", () => {
    const other = addonInput({
      roleArns: { ...ROLE_ARNS, clusterAutoscaler: `${ROLE_ARNS.clusterAutoscaler}-2` },
    });
    expect(addonManifestBundle(renderAddonManifests(other)).sha256).not.toBe(bundle.sha256);
  });

  it("reads back to the rendered objects, per add-on and as a whole (YAML 1.1 and 1.2)", () => {
    for (const version of ["1.1", "1.2"] as const) {
      for (const m of manifests) {
        const docs = parseAllDocuments(m.yaml, { version });
        expect(docs.flatMap((d) => d.errors)).toEqual([]);
        expect(docs.map((d) => d.toJS())).toEqual(m.objects);
      }
      const whole = parseAllDocuments(bundle.content, { version }).map((d) => d.toJS());
      expect(whole).toEqual(manifests.flatMap((m) => m.objects));
    }
  });

  it("string fields that look like booleans stay strings (as kubectl reads them)", () => {
    const docs = parseAllDocuments(bundle.content, { version: "1.1" }).map((d) => d.toJS() as K8sObject);
    const sc = docs.find((o) => o.kind === "StorageClass");
    expect(sc?.kind === "StorageClass" && sc.parameters.encrypted).toBe("true");
    expect(bundle.content).toMatch(/encrypted: "true"/);
  });
});
