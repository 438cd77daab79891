/** The permission document of one add-on role: which policy builder serves which add-on. */
import type { AddonWithRole } from "../../base/addons";
import { cloudControllerManagerPolicy } from "../iam/addonPolicies/cloudControllerManager";
import { clusterAutoscalerPolicy } from "../iam/addonPolicies/clusterAutoscaler";
import { ebsCsiDriverPolicy } from "../iam/addonPolicies/ebsCsiDriver";
import type { AddonPolicyScope } from "../iam/addonPolicies/scope";
import type { PolicyDocument } from "../iam/policyDocument";

/** Everything any add-on policy is scoped to, resolved. */
export interface AddonPolicyInputs extends AddonPolicyScope {
  /** The cluster's EBS key: the CSI driver's only KMS key. */
  ebsKmsKeyArn: string;
  /** The cluster's VPC: where the cloud controller may create load-balancer security groups. */
  vpcId: string;
}

export function addonPolicyDocument(addon: AddonWithRole, inputs: AddonPolicyInputs): PolicyDocument {
  const scope: AddonPolicyScope = {
    clusterName: inputs.clusterName,
    region: inputs.region,
    accountId: inputs.accountId,
    partition: inputs.partition,
  };
  switch (addon) {
    case "cloudControllerManager":
      return cloudControllerManagerPolicy({ ...scope, vpcId: inputs.vpcId });
    case "ebsCsiDriver":
      return ebsCsiDriverPolicy({ ...scope, ebsKmsKeyArn: inputs.ebsKmsKeyArn });
    case "clusterAutoscaler":
      return clusterAutoscalerPolicy(scope);
  }
}
