/**
 * Who acts for the leader-only timers with external etcd (cloud-init/lib/leader.sh): the master
 * holding kube-controller-manager's Lease. Real: the library, run by bash. Faked: kubectl, a
 * script that answers `get lease` from a file the way kubectl does (the holderIdentity through
 * jsonpath; "NotFound" and exit 1 when the Lease does not exist) and logs every call.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";

const LIBS = ["etcd-tools.sh", "etcd-backup.sh", "leader.sh"];
const NODE = "ip-10-0-1-5.eu-west-1.compute.internal";

function fakeKubectl(holder: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-lease-"));
  const calls = join(dir, "calls");
  writeFileSync(calls, "");
  const kubectl = join(dir, "kubectl");
  // Only the one request leader.sh makes is answered; any other call is an error, as a typo would be.
  writeFileSync(
    kubectl,
    `#!/usr/bin/env bash
echo "$*" >>${JSON.stringify(calls)}
want="--kubeconfig /etc/kubernetes/admin.conf --request-timeout=30s -n kube-system get lease kube-controller-manager -o jsonpath={.spec.holderIdentity}"
[[ "$*" == "$want" ]] || { echo "unexpected kubectl call: $*" >&2; exit 2; }
${
  holder === undefined
    ? `echo 'Error from server (NotFound): leases.coordination.k8s.io "kube-controller-manager" not found' >&2; exit 1`
    : `printf '%s' ${JSON.stringify(holder)}`
}
`,
  );
  chmodSync(kubectl, 0o755);
  return { kubectl, calls: () => readFileSync(calls, "utf8").split("\n").filter(Boolean) };
}

async function leader(holder: string | undefined, node = NODE) {
  const fake = fakeKubectl(holder);
  const r = await runLib(
    LIBS,
    'rc=0; control_plane_leader || rc=$?; echo "rc=$rc $(control_plane_leader_kind)"',
    [],
    {
      ETCD_TOPOLOGY: "external",
      K8SHA_NODE_NAME: node,
      K8SHA_KUBECTL: fake.kubectl,
    },
  );
  return { ...r, calls: fake.calls() };
}

test("the Lease holder's host part is this master's hostname: this master acts", async () => {
  const r = await leader(`ip-10-0-1-5_${"4f1c2d3e-0000-4000-8000-000000000001"}`);
  expect(r.stdout.trim()).toBe("rc=0 kube-controller-manager leader");
  expect(r.calls).toHaveLength(1);
});

test("the full node name is accepted as the holder's host part too", async () => {
  const r = await leader(`${NODE}_4f1c2d3e`);
  expect(r.stdout.trim()).toBe("rc=0 kube-controller-manager leader");
});

test("another master holds the Lease: this one does not act", async () => {
  const r = await leader("ip-10-0-16-9_4f1c2d3e");
  expect(r.stdout.trim()).toBe("rc=1 kube-controller-manager leader");
});

test("a host name that only starts like ours is another master", async () => {
  const r = await leader("ip-10-0-1-55_4f1c2d3e");
  expect(r.stdout.trim()).toBe("rc=1 kube-controller-manager leader");
});

test("no Lease (no controller manager has led yet): cannot tell, after bounded retries", async () => {
  const r = await leader(undefined);
  expect(r.stdout.trim()).toBe("rc=2 kube-controller-manager leader");
  expect(r.stderr).toContain("cannot read the holder of the kube-controller-manager Lease");
  expect(r.calls).toHaveLength(3); // K8SHA_RETRY_MAX of the test's fast retries
});

test("an empty holder (a released Lease) is not read as anyone's", async () => {
  const r = await leader("");
  expect(r.stdout.trim()).toBe("rc=2 kube-controller-manager leader");
});

test("stacked etcd asks etcd, never the Lease", async () => {
  const fake = fakeKubectl("ip-10-0-1-5_x");
  const r = await runLib(LIBS, "control_plane_leader", [], { K8SHA_KUBECTL: fake.kubectl });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("K8SHA_ETCD_ENDPOINT must be set");
  expect(fake.calls()).toEqual([]);
});
