/** The policy list and an engine-free evaluator (used by tests and by the synth summary). */
import { encryptedEbs } from "./rules/encryptedEbs";
import { etcdVolumePerMaster } from "./rules/etcdVolumePerMaster";
import { imdsv2Required } from "./rules/imdsv2";
import { mastersOddDistinctAz } from "./rules/mastersOddDistinctAz";
import { noSecretsInUserData } from "./rules/noSecretsInUserData";
import { noWorldEtcdKubelet } from "./rules/noWorldEtcdKubelet";
import { privateVersionedBucket } from "./rules/privateVersionedBucket";
import type { GraphResource, PolicyDefinition, Violation } from "./types";

export const POLICIES: PolicyDefinition[] = [
  mastersOddDistinctAz,
  etcdVolumePerMaster,
  imdsv2Required,
  encryptedEbs,
  noWorldEtcdKubelet,
  noSecretsInUserData,
  privateVersionedBucket,
];

/** Runs every policy over a graph and returns all violations, in policy order. */
export function evaluatePolicies(resources: GraphResource[], policies = POLICIES): Violation[] {
  return policies.flatMap((p): Violation[] =>
    p.kind === "resource"
      ? resources.flatMap((r) => p.check(r).map((message) => ({ policy: p.name, urn: r.urn, message })))
      : p.check(resources).map((v) => ({ policy: p.name, ...v })),
  );
}
