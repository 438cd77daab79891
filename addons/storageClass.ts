/**
 * The cluster's default StorageClass for the EBS CSI driver: encrypted gp3 with the cluster's
 * EBS key (the one the root and etcd volumes use), created in the zone of the first pod that
 * uses it. Parameters as documented in kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md.
 */

import { EBS_CSI_DRIVER_NAME } from "./ebsCsiDriver";
import type { StorageClass } from "./k8sTypes";
import { addonMeta } from "./k8sTypes";

export const DEFAULT_STORAGE_CLASS = "gp3";
/** The annotation that makes a class the default of claims that name none. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

export function defaultStorageClass(ebsKmsKeyArn: string): StorageClass {
  if (ebsKmsKeyArn === "") throw new Error("add-ons: the default StorageClass needs the EBS KMS key ARN");
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      ...addonMeta("ebsCsiDriver", "StorageClass", DEFAULT_STORAGE_CLASS),
      annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" },
    },
    provisioner: EBS_CSI_DRIVER_NAME,
    parameters: { type: "gp3", encrypted: "true", kmsKeyId: ebsKmsKeyArn },
    reclaimPolicy: "Delete",
    // EBS volumes live in one zone: creating the volume before the pod is scheduled could put it
    // in a zone the pod cannot run in.
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}
