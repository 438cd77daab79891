/** One existing VPC for the graph tests of the bring-your-own-VPC path: ids, and the CIDRs its subnets have. */
export const EXISTING_VPC = {
  vpcId: "vpc-0123abcd",
  vpcCidr: "10.50.0.0/16",
  publicSubnetIds: ["subnet-0a1", "subnet-0a2", "subnet-0a3"],
  privateSubnetIds: ["subnet-0b1", "subnet-0b2", "subnet-0b3"],
  privateSubnetCidrs: ["10.50.0.0/20", "10.50.16.0/20", "10.50.32.0/20"],
};
