/**
 * AWS correctness defaults of every node and of the API load balancer, in the resource graph of
 * the real dev and prod stacks (Pulumi mocks): the named EBS key, the root volume's own tags,
 * the NLB's deletion protection, replacements of fixed-name resources, the node image kept or
 * pinned.
 */
import { TAG_ETCD_MEMBER, TAG_KUBERNETES_VERSION, TAG_NODE_SPEC, TAG_ROLE } from "../../base/tags";
import { EBS_KEY_ALIAS } from "../../components/tuning";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import {
  mockCall,
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { list, rec } from "../support/graph";

const T = {
  asg: "aws:autoscaling/group:Group",
  volume: "aws:ebs/volume:Volume",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  getKey: "aws:kms/getKey:getKey",
  getAmi: "aws:ec2/getAmi:getAmi",
} as const;
const PINNED_IMAGE = "ami-0123456789abcdef0";

const synths: Record<string, SynthResult> = {};
const specs: Record<string, ClusterSpec> = {};

beforeAll(async () => {
  for (const stack of ["dev", "prod"]) {
    synths[stack] = await synthesize(stack);
    specs[stack] = parseConfig(readStackConfig(stack));
  }
  synths.pinned = await synthesize("dev", { imageId: PINNED_IMAGE });
  // Three synths in a row (the other two are cached when the suite shares a cache dir).
}, 180000);

/** The key ARN the (mocked) getKey of `alias/aws/ebs` returned. */
function ebsKey(result: SynthResult): string {
  const lookups = result.invokes.filter((i) => i.token === T.getKey);
  expect(lookups.length).toBeGreaterThan(0);
  for (const l of lookups) expect(l.inputs.keyId).toBe(EBS_KEY_ALIAS);
  return String(mockCall(T.getKey, { keyId: EBS_KEY_ALIAS }).arn);
}
const tagSpec = (lt: RegisteredResource, type: string) =>
  rec(
    list(lt.inputs.tagSpecifications)
      .map(rec)
      .find((s) => s.resourceType === type)?.tags,
  );
const isMaster = (lt: RegisteredResource) => rec(lt.inputs.tags)[TAG_ROLE] === "master";

describe.each(["dev", "prod"])("%s", (stack) => {
  const s = () => synths[stack] as SynthResult;
  const spec = () => specs[stack] as ClusterSpec;

  test("one launch template per master and per pool", () => {
    expect(ofType(s(), T.lt)).toHaveLength(spec().masters.count + spec().workerPools.length);
  });

  test("every root and etcd volume is encrypted with the AWS-managed EBS key, named by key ARN", () => {
    const key = ebsKey(s());
    for (const lt of ofType(s(), T.lt)) {
      for (const d of list(lt.inputs.blockDeviceMappings)) {
        expect(rec(rec(d).ebs)).toMatchObject({ encrypted: "true", kmsKeyId: key });
      }
    }
    const volumes = ofType(s(), T.volume);
    expect(volumes).toHaveLength(spec().masters.count);
    for (const v of volumes) {
      expect(v.inputs).toMatchObject({ encrypted: true, kmsKeyId: key });
      // An existing volume made under another default key is kept, never replaced by an empty one.
      expect(v.options.ignoreChanges).toContain("kmsKeyId");
    }
  });

  test("the root volume is tagged as a root volume: no etcd-member tag, Name <node>-root", () => {
    for (const lt of ofType(s(), T.lt)) {
      const nodeTags = rec(lt.inputs.tags);
      const root = tagSpec(lt, "volume");
      expect(root[TAG_ETCD_MEMBER]).toBeUndefined();
      expect(root.Name).toBe(`${String(nodeTags.Name)}-root`);
      expect(root[TAG_ROLE]).toBe(nodeTags[TAG_ROLE]);
      // The instance and its interfaces keep the member tag: the stable-address IAM condition needs it.
      expect(tagSpec(lt, "network-interface")).toEqual(nodeTags);
      // A master's instance also carries what its roll gate compares (docs/rolling.md).
      const {
        [TAG_NODE_SPEC]: spec,
        [TAG_KUBERNETES_VERSION]: version,
        ...instanceTags
      } = tagSpec(lt, "instance");
      expect(instanceTags).toEqual(nodeTags);
      if (isMaster(lt)) expect([spec, version]).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/), "1.34.2"]);
      else expect([spec, version]).toEqual([undefined, undefined]);
      if (isMaster(lt)) expect(nodeTags[TAG_ETCD_MEMBER]).toBeDefined();
    }
  });

  test("the NLB's deletion protection follows api.deletionProtection", () => {
    const [lb] = ofType(s(), T.lb);
    expect(lb?.inputs.enableDeletionProtection).toBe(spec().api.deletionProtection);
    expect(lb?.inputs.enableDeletionProtection).toBe(stack === "prod");
  });

  test("a fixed physical name is never replaced create-before-delete, except where the name moves", () => {
    // The target group's name follows the settings that force its replacement (lb-names tests it);
    // SSM parameter paths and the KMS alias are the secrets component's (not checked here).
    const movingName = new Set<string>([T.tg]);
    // A KMS alias is replaced only when its name changes (it points at a key it can update).
    const notHere = new Set(["aws:kms/alias:Alias"]);
    const named = s().resources.filter(
      (r) => r.custom && typeof r.inputs.name === "string" && r.type.startsWith("aws:"),
    );
    for (const r of named) {
      if (movingName.has(r.type) || notHere.has(r.type)) continue;
      expect({ resource: r.name, deleteBeforeReplace: r.options.deleteBeforeReplace }).toEqual({
        resource: r.name,
        deleteBeforeReplace: true,
      });
    }
    // The master ASGs and the NLB are among them (a master's successor needs its volume anyway).
    const dbr = named.filter((r) => r.options.deleteBeforeReplace).map((r) => r.type);
    expect(dbr).toEqual(expect.arrayContaining([T.lb, T.asg]));
  });

  test("no image configured: one Ubuntu lookup, kept by every launch template (ignoreChanges imageId)", () => {
    expect(s().invokes.filter((i) => i.token === T.getAmi).length).toBeGreaterThan(0);
    for (const lt of ofType(s(), T.lt)) {
      expect(lt.inputs.imageId).toBe("ami-0mock0ubuntu2404");
      expect(lt.options.ignoreChanges).toEqual(["imageId"]);
    }
  });
});

test("imageId set: every launch template boots it, no lookup, nothing ignored", () => {
  const s = synths.pinned as SynthResult;
  expect(s.invokes.filter((i) => i.token === T.getAmi)).toEqual([]);
  const templates = ofType(s, T.lt);
  expect(templates.length).toBeGreaterThan(0);
  for (const lt of templates) {
    expect(lt.inputs.imageId).toBe(PINNED_IMAGE);
    // Not ignored: setting or changing imageId is how a running cluster moves to a new image.
    expect(lt.options.ignoreChanges).toEqual([]);
  }
});
