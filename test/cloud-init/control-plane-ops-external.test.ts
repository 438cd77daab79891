/**
 * The etcd side of the control-plane operations on a master of the external topology
 * (cloud-init/lib/control-plane-etcd.sh, control-plane-ops.sh with ETCD_TOPOLOGY=external): the
 * master is no etcd member, so the checks go to every etcd node's client URL (node.env
 * ETCD_ENDPOINTS) and count the etcd nodes (ETCD_MEMBER_COUNT), not the masters; etcdctl uses
 * the API server's client pair. Real: three etcd 3.4 members on loopback and the libraries.
 */
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const LIBS = ["etcd-tools.sh", "etcd-member.sh", "control-plane-ops.sh", "control-plane-etcd.sh"];
const MEMBERS = [
  { name: "ext-etcd-0", ip: "127.0.74.1" },
  { name: "ext-etcd-1", ip: "127.0.74.2" },
  { name: "ext-etcd-2", ip: "127.0.74.3" },
];
let cluster: EtcdTestCluster;
let endpoints: string;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 25479, peerPort: 25480 });
  await cluster.startNew(MEMBERS);
  endpoints = MEMBERS.map((m) => cluster.clientUrl(m.ip)).join(",");
}, 30_000);
afterAll(() => cluster?.cleanup());

const external = (): Record<string, string> => ({
  ...cluster.tlsEnv(),
  ETCD_TOPOLOGY: "external",
  ETCD_ENDPOINTS: endpoints,
  ETCD_MEMBER_COUNT: "3",
  // Where this master's own member would be in stacked etcd: nothing listens there.
  STABLE_IP: "127.0.74.9",
  ETCD_CLIENT_PORT: "25479",
  ETCD_DIAL_TIMEOUT: "1s",
});

test("the etcd preflight of a single-master external cluster counts the three etcd nodes and passes", async () => {
  const r = await runLib(LIBS, 'cpo_preflight_etcd "$(cpo_etcd_members 1)"', [], external());
  expect(r.stdout).not.toMatch(/^FAIL/m);
  expect(r.stdout).toContain("ok etcd-members: 3\n");
  expect(r.stdout).toContain("ok etcd-health: 3 endpoints healthy\n");
  expect(r.stdout).toMatch(/^ok etcd-leader: one leader, https:\/\/127\.0\.74\.\d:25479$/m);
});

test("control: the same master read as stacked asks its own (absent) member and fails", async () => {
  const { ETCD_TOPOLOGY: _t, ...stacked } = external();
  const r = await runLib(LIBS, 'cpo_preflight_etcd "$(cpo_etcd_members 1)"', [], stacked);
  expect(r.stdout).toContain(
    "FAIL etcd-members: cannot list the etcd members through https://127.0.74.9:25479",
  );
});

test("move-leader of an external master is a no-op: it is no etcd member", async () => {
  const r = await runLib(LIBS, 'cpo_move_leader "$STABLE_IP"', [], external());
  expect(r.stdout).toMatch(
    /^ok move-leader: the leader is ext-etcd-\d .*, not at 127\.0\.74\.9: nothing to move$/m,
  );
});

test("etcdctl on an external master defaults to the API server's client pair", async () => {
  const { ETCDCTL_CERT: _c, ETCDCTL_KEY: _k, ...env } = external();
  const r = await runLib(LIBS, 'etcdctl_command "$ETCD_ENDPOINTS"; declare -p ETCDCTL_COMMAND', [], env);
  expect(r.stdout).toContain('="ETCDCTL_CERT=/etc/kubernetes/pki/apiserver-etcd-client.crt"');
  expect(r.stdout).toContain('="ETCDCTL_KEY=/etc/kubernetes/pki/apiserver-etcd-client.key"');
  const stacked = await runLib(LIBS, "etcdctl_command x; declare -p ETCDCTL_COMMAND", [], {});
  expect(stacked.stdout).toContain('="ETCDCTL_CERT=/etc/kubernetes/pki/etcd/healthcheck-client.crt"');
});
