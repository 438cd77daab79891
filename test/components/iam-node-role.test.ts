import * as aws from "@pulumi/aws";
import { NodeRole } from "../../components/iam/nodeRole";
import { masterPolicyDocument, workerPolicyDocument } from "../../components/iam/policies";
import { masterPolicy, workerPolicy } from "../../components/iam/policyOutputs";
import { byType, type MockedResource, resolve, runWithMocks } from "../support/pki-mocks";

const inputs = {
  clusterName: "demo",
  region: "eu-west-1",
  ssmPrefix: "/k8sha/demo",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k1",
  etcdVolumeArn: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-aaaa",
  stableAddress: { subnetId: "subnet-0a", member: "0" },
  bootBundle: { bucketArn: "arn:aws:s3:::demo-backups", prefix: "demo/boot/" },
};

let resources: MockedResource[];
let resolved: { profileArn: string; masterDoc: unknown; workerDoc: unknown };

beforeAll(async () => {
  const run = await runWithMocks(async () => {
    // The account id arrives as an Output, as it does from the real program.
    const accountId = aws.getCallerIdentityOutput().accountId;
    const masterDoc = masterPolicy({ ...inputs, accountId });
    const workerDoc = workerPolicy({ ...inputs, accountId });
    const role = new NodeRole("master-a", { policy: masterDoc, tags: { "k8sha.io/cluster": "demo" } });
    new NodeRole("workers", { policy: workerDoc });
    return {
      profileArn: await resolve(role.instanceProfileArn),
      masterDoc: await resolve(masterDoc),
      workerDoc: await resolve(workerDoc),
    };
  });
  resources = run.resources;
  resolved = run.value;
});

const of = (type: string, name: string) => {
  const found = byType(resources, type).find((r) => r.name === name);
  if (!found) throw new Error(`${type} ${name} not registered`);
  return found;
};

test("Output-based wrappers build the same documents as the pure builders", () => {
  const accountId = "123456789012";
  expect(resolved.masterDoc).toEqual(masterPolicyDocument({ ...inputs, accountId }));
  expect(resolved.workerDoc).toEqual(workerPolicyDocument({ ...inputs, accountId }));
});

test("role is assumable by EC2 only and carries the inline policy it was given", () => {
  for (const name of ["master-a", "workers"]) {
    const role = of("aws:iam/role:Role", `${name}-role`);
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy));
    expect(trust.Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  }
  const inline = of("aws:iam/rolePolicy:RolePolicy", "master-a-inline");
  expect(JSON.parse(String(inline.inputs.policy))).toEqual(resolved.masterDoc);
  expect(inline.inputs.role).toBe("master-a-role-id");
});

test("Session Manager instead of SSH, from the inline policy: no managed policy, no key pair anywhere", () => {
  // AmazonSSMManagedInstanceCore would allow ssm:GetParameter(s) on every parameter of the account.
  expect(byType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toHaveLength(0);
  const inline = JSON.parse(String(of("aws:iam/rolePolicy:RolePolicy", "workers-inline").inputs.policy));
  expect(inline.Statement.map((s: { Sid: string }) => s.Sid)).toContain("SessionManager");
  expect(byType(resources, "aws:ec2/keyPair:KeyPair")).toHaveLength(0);
});

test("instance profile wraps the role; its ARN is what launch templates get", () => {
  const profile = of("aws:iam/instanceProfile:InstanceProfile", "master-a-profile");
  expect(profile.inputs.role).toBe(of("aws:iam/role:Role", "master-a-role").state.name);
  expect(resolved.profileArn).toBe(profile.state.arn);
});
