/** The hardened launch-template builder shared by masters and workers. */
import { hardenedLaunchTemplateArgs } from "../../components/nodes/launchTemplate";

const base = {
  imageId: "ami-1",
  instanceProfileName: "profile",
  securityGroupIds: ["sg-1"],
  userDataBase64: Buffer.from("#cloud-config\n").toString("base64"),
  rootVolumeGiB: 50,
  ebsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
  tags: { Name: "n" },
};

test("IMDSv2 only, hop limit 1, tags not in IMDS, gp3 root encrypted with the named key, no key pair", () => {
  const args = hardenedLaunchTemplateArgs(base);
  expect(args.metadataOptions).toEqual({
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: 1,
    instanceMetadataTags: "disabled",
  });
  expect(args.keyName).toBeUndefined();
  expect(args.blockDeviceMappings).toEqual([
    {
      deviceName: "/dev/sda1",
      ebs: {
        volumeSize: 50,
        volumeType: "gp3",
        encrypted: "true",
        kmsKeyId: base.ebsKmsKeyArn,
        deleteOnTermination: "true",
      },
    },
  ]);
  const specs = args.tagSpecifications as { resourceType: string }[];
  expect(specs.map((s) => s.resourceType)).toEqual(expect.arrayContaining(["instance", "volume"]));
});

test("a caller with a documented need may raise the hop limit to 2, never above", () => {
  const two = hardenedLaunchTemplateArgs({ ...base, metadataHopLimit: 2 });
  expect((two.metadataOptions as { httpPutResponseHopLimit: number }).httpPutResponseHopLimit).toBe(2);
  expect(() => hardenedLaunchTemplateArgs({ ...base, metadataHopLimit: 3 as 2 })).toThrow(/hop/i);
});

test("the root volume gets its own tags; instance and interfaces keep the node's", () => {
  const args = hardenedLaunchTemplateArgs({ ...base, rootVolumeTags: { Name: "n-root" } });
  const specs = args.tagSpecifications as { resourceType: string; tags: Record<string, string> }[];
  expect(Object.fromEntries(specs.map((s) => [s.resourceType, s.tags]))).toEqual({
    instance: { Name: "n" },
    volume: { Name: "n-root" },
    "network-interface": { Name: "n" },
  });
});
