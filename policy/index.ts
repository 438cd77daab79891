/**
 * The k8s-ha policy pack: `pulumi preview --policy-pack policy`. Each policy's logic lives in
 * rules/ as a pure function over plain resources (unit-tested against the real dev and prod
 * graphs); this file only adapts it to @pulumi/policy. Every policy is mandatory.
 */
import {
  PolicyPack,
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { POLICIES } from "./registry";
import type { GraphResource } from "./types";

function toGraph(r: PolicyResource): GraphResource {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.props,
    dependencies: r.dependencies.map((d) => d.urn),
  };
}

const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = POLICIES.map((p) =>
  p.kind === "resource"
    ? {
        name: p.name,
        description: p.description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
          const resource = {
            type: args.type,
            name: args.name,
            urn: args.urn,
            props: args.props,
            dependencies: [],
          };
          for (const message of p.check(resource)) reportViolation(message);
        },
      }
    : {
        name: p.name,
        description: p.description,
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
          for (const v of p.check(args.resources.map(toGraph)))
            reportViolation(v.message, v.urn || undefined);
        },
      },
);

new PolicyPack("k8s-ha", { policies });
