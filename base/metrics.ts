/** CloudWatch namespace of every node metric; the master IAM policy allows only this one. */
export const METRICS_NAMESPACE = "K8sHA";
