/** The hardened launch-template builder shared by masters and workers. */
import { hardenedLaunchTemplateArgs } from "../../components/nodes/launchTemplate";

const base = {
  imageId: "ami-1",
  instanceProfileName: "profile",
  securityGroupIds: ["sg-1"],
  userDataBase64: Buffer.from("#cloud-config\n").toString("base64"),
  rootVolumeGiB: 50,
  tags: { Name: "n" },
};

test("IMDSv2 only, tags not in IMDS, encrypted gp3 root, no key pair, tags on instance and volumes", () => {
  const args = hardenedLaunchTemplateArgs(base);
  expect(args.metadataOptions).toEqual({
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: 2,
    instanceMetadataTags: "disabled",
  });
  expect(args.keyName).toBeUndefined();
  expect(args.blockDeviceMappings).toEqual([
    {
      deviceName: "/dev/sda1",
      ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
    },
  ]);
  const specs = args.tagSpecifications as { resourceType: string }[];
  expect(specs.map((s) => s.resourceType)).toEqual(expect.arrayContaining(["instance", "volume"]));
});

test("the hop limit can be lowered to 1 but never raised above 2", () => {
  const one = hardenedLaunchTemplateArgs({ ...base, metadataHopLimit: 1 });
  expect((one.metadataOptions as { httpPutResponseHopLimit: number }).httpPutResponseHopLimit).toBe(1);
  expect(() => hardenedLaunchTemplateArgs({ ...base, metadataHopLimit: 3 as 2 })).toThrow(/hop/i);
});
