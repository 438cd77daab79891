import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { awsName } from "../apiLoadBalancer";

/**
 * The CloudWatch dimension value of an ELB ARN: what follows `loadbalancer/` for a load
 * balancer (`net/<name>/<id>`), the resource part for a target group (`targetgroup/<name>/<id>`).
 * Source: docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-cloudwatch-metrics.html
 * ("Metric dimensions for Network Load Balancers").
 */
export function elbArnSuffix(arn: string): string {
  const resource = arn.split(":").slice(5).join(":");
  return resource.startsWith("loadbalancer/") ? resource.slice("loadbalancer/".length) : resource;
}

/**
 * The API NLB's and target group's dimension values. ApiLoadBalancer does not expose the NLB's
 * ARN, so it is looked up by its fixed name once the component (NLB, listener) exists; the
 * target group's comes from its ARN. Replace with `arnSuffix` outputs once ApiLoadBalancer has them.
 */
export function apiMetricDimensions(
  clusterName: string,
  api: pulumi.Resource & { targetGroupArn: pulumi.Output<string> },
  parent: pulumi.Resource,
): { loadBalancerArnSuffix: pulumi.Output<string>; targetGroupArnSuffix: pulumi.Output<string> } {
  const lb = aws.lb.getLoadBalancerOutput(
    { name: awsName(clusterName, "api") },
    { parent, dependsOn: [api] },
  );
  return {
    loadBalancerArnSuffix: lb.arn.apply((arn) => elbArnSuffix(String(arn ?? ""))),
    targetGroupArnSuffix: api.targetGroupArn.apply(elbArnSuffix),
  };
}
