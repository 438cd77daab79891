/**
 * etcd.topology, etcd.members and etcd.version against the real dev stack: stacked stays the
 * default with one member per master; external is validated in full (member count, zones, the
 * etcd release kubeadm accepts for the Kubernetes minor, the etcd nodes' instance type and root
 * volume). Every refusal names the key, the value and what is allowed.
 */
import {
  etcdVersionProblem,
  MIN_EXTERNAL_ETCD_VERSION,
  pinnedEtcdReleaseSha256,
} from "../../config/etcd-versions";
import { parseConfig } from "../../config/stack";
import { applyOverrides } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem, type RefusalCase } from "../support/configRefusal";
import { acceptedSpec, DIGEST, problemsOf, UNPINNED_RELEASE } from "./etcdRefusals";

test("stacked is the default: one member per master, no etcd release of its own", () => {
  const spec = parseConfig(devConfig);
  expect(spec.etcd.topology).toBe("stacked");
  expect(spec.etcd.members).toBe(spec.masters.count);
  expect(spec.etcd.version).toBeUndefined();
});

test("an explicit stacked topology, or members equal to masters.count, reads the same as the default", () => {
  const spec = parseConfig(applyOverrides(devConfig, { etcd: { topology: "stacked", members: 3 } }));
  expect(spec.etcd).toEqual(parseConfig(devConfig).etcd);
});

const refusals: RefusalCase[] = [
  [
    "a misspelt topology",
    { etcd: { topology: "extrenal" } },
    /k8s-ha:etcd\.topology: "extrenal" is invalid: must be one of stacked, external/,
  ],
  [
    "a member count with stacked etcd",
    { etcd: { members: 5 } },
    /k8s-ha:etcd\.members: 5 is invalid: only with etcd\.topology external; .*masters\.count, 3, sets it/,
  ],
  [
    "an etcd release with stacked etcd",
    { etcd: { version: "3.5.24" } },
    /k8s-ha:etcd\.version: "3\.5\.24" is invalid: only with etcd\.topology external; .*etcd image kubeadm picks/,
  ],
];
test.each(refusals)("%s is refused", (_name, overrides, expected) =>
  expectSingleProblem(overrides, expected),
);

test("a valid external layout is accepted, with the etcd nodes' defaults", () => {
  const explicit = acceptedSpec({
    etcd: { topology: "external", members: 3, version: UNPINNED_RELEASE, releaseSha256: DIGEST },
  });
  expect(explicit.etcd).toMatchObject({
    topology: "external",
    members: 3,
    version: UNPINNED_RELEASE,
    releaseSha256: DIGEST,
    instanceType: "m6i.large",
    rootVolumeGiB: 20,
  });
  // Nothing but the topology: kubeadm's release for Kubernetes 1.34 with its pinned digest.
  const defaults = acceptedSpec({ etcd: { topology: "external" } });
  expect(defaults.etcd.members).toBe(3);
  expect(defaults.etcd.version).toBe("3.6.5");
  expect(defaults.etcd.releaseSha256).toBe(pinnedEtcdReleaseSha256("3.6.5"));
  expect(defaults.etcd.releaseSha256).toMatch(/^[0-9a-f]{64}$/);
});

test.each([
  [
    "an unknown etcd node instance type",
    { etcd: { topology: "external", instanceType: "m6i.larg" } },
    /k8s-ha:etcd\.instanceType: "m6i\.larg" is invalid/,
  ],
  [
    "an etcd node root volume below 20 GiB",
    { etcd: { topology: "external", rootVolumeGiB: 8 } },
    /k8s-ha:etcd\.rootVolumeGiB: 8 is invalid: 20-16384 GiB/,
  ],
  [
    "an etcd node instance type with stacked etcd",
    { etcd: { instanceType: "m6i.large" } },
    /k8s-ha:etcd\.instanceType: "m6i\.large" is invalid: only with etcd\.topology external; .*on the masters; remove it/,
  ],
] as RefusalCase[])("%s is refused", (_name, overrides, expected) =>
  expectSingleProblem(overrides, expected),
);

test.each([
  [4, /k8s-ha:etcd\.members: 4 is invalid: one of 3, 5, 7: an odd quorum of at least three/],
  [1, /k8s-ha:etcd\.members: 1 is invalid: one of 3, 5, 7/],
  [
    5,
    /k8s-ha:etcd\.members: 5 is invalid: at most the number of availability zones \(3\): one member per zone/,
  ],
])("external etcd with %d members is refused", (members, expected) => {
  const problems = problemsOf({ etcd: { topology: "external", members } });
  expect(problems).toHaveLength(1);
  expect(problems.join("\n")).toMatch(expected);
});

test.each([
  ["3.5.23", /older than 3\.5\.24/],
  ["v3.6.5", /must be MAJOR\.MINOR\.PATCH without a leading v/],
  ["3.7.0", /etcd 3\.7 is newer than kubeadm 1\.34 supports/],
])("external etcd release %s under Kubernetes 1.34 is refused", (version, expected) => {
  const problems = problemsOf({ etcd: { topology: "external", version } });
  expect(problems).toHaveLength(1);
  const versionProblem = problems.find((p) => p.includes("k8s-ha:etcd.version"));
  expect(versionProblem).toMatch(expected);
  expect(versionProblem).toContain(`"${version}"`);
});

test("the release range follows the Kubernetes minor kubeadm ships etcd for", () => {
  expect(etcdVersionProblem(MIN_EXTERNAL_ETCD_VERSION, 31)).toBeUndefined();
  expect(etcdVersionProblem("3.5.30", 33)).toBeUndefined();
  expect(etcdVersionProblem("3.6.5", 33)).toMatch(/etcd 3\.6 is newer than kubeadm 1\.33 supports/);
  expect(etcdVersionProblem("3.6.9", 35)).toBeUndefined();
  expect(etcdVersionProblem("3.5.24", 35)).toBeUndefined();
  expect(etcdVersionProblem("4.0.0", 35)).toMatch(/newer than kubeadm 1\.35 supports/);
});

test("the default external release follows kubernetesVersion, with its pinned digest", () => {
  const spec = acceptedSpec({ kubernetesVersion: "1.32.4", etcd: { topology: "external" } });
  expect(spec.etcd.version).toBe("3.5.24");
  expect(spec.etcd.releaseSha256).toBe(pinnedEtcdReleaseSha256("3.5.24"));
  expect(spec.etcd.releaseSha256).not.toBe(pinnedEtcdReleaseSha256("3.6.5"));
});

test("under an unsupported kubernetesVersion a non-string etcd release is still reported", () => {
  const problems = problemsOf({ kubernetesVersion: "1.20.0", etcd: { topology: "external", version: 3.5 } });
  expect(problems.find((p) => p.includes("k8s-ha:etcd.version"))).toMatch(
    /k8s-ha:etcd\.version: 3\.5 is invalid: must be a string/,
  );
  expect(problems.some((p) => p.includes("k8s-ha:kubernetesVersion"))).toBe(true);
});
