/**
 * Scenario (b): a master is lost WITH its data (volume unusable); its replacement in the same
 * zone subnet gets a new IP and an empty volume. The project's `etcd_remove_stale_member`
 * removes the predecessor through a healthy peer, then the stubbed join (what `kubeadm join
 * --control-plane` does to etcd: `member add`, then start with --initial-cluster-state
 * existing) brings a fresh member in. Also: the function REFUSES while the same-subnet member
 * is healthy. Real etcd 3.4 with mutual TLS on loopback; "zones" are 127.0.N.0/24.
 */
import { rmSync } from "node:fs";
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const M1 = { name: "m1", ip: "127.0.1.10" };
const M2 = { name: "m2", ip: "127.0.2.10" };
const M3 = { name: "m3", ip: "127.0.3.10" };
const M3_NEW = { name: "m3-new", ip: "127.0.3.11" };
const ZONE3 = "127.0.3.0/24";
const KEYS = 100;

let cluster: EtcdTestCluster;
let env: Record<string, string>;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 24479, peerPort: 24480 });
  env = {
    ...cluster.tlsEnv(),
    ETCD_DIAL_TIMEOUT: "1s",
    ETCD_COMMAND_TIMEOUT: "1s",
    ETCD_STALE_PROBES: "2",
    ETCD_STALE_PROBE_INTERVAL: "0",
  };
  await cluster.startNew([M1, M2, M3]);
  await cluster.putMany(cluster.clientUrl(M1.ip), "r/", KEYS);
});
afterAll(() => cluster.cleanup());

const removeStale = (endpoints: string[]) =>
  runLib(
    ["etcd-member.sh"],
    'healthy="$(etcd_healthy_endpoint "$@")"\netcd_remove_stale_member "$healthy" "$ZONE_CIDR" "$MY_IP"',
    endpoints,
    { ...env, ZONE_CIDR: ZONE3, MY_IP: M3_NEW.ip },
  );

test("refuses to remove a same-subnet member that is still healthy", async () => {
  const result = await removeStale([cluster.clientUrl(M1.ip)]);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("REFUSING");
  expect(result.stdout).toBe("");
  expect(await cluster.memberList(cluster.clientUrl(M1.ip))).toHaveLength(3);
});

test("removes the lost predecessor, then a fresh member joins and receives every key", async () => {
  const before = await cluster.memberList(cluster.clientUrl(M1.ip));
  const lostId = before.find((m) => m.name === "m3")?.id;
  await cluster.kill("m3");
  rmSync(cluster.defaultDataDir("m3"), { recursive: true, force: true });

  // The dead member's own address first: the healthy peer must be found past it.
  const peers = [M3, M1, M2].map((m) => cluster.clientUrl(m.ip));
  const removed = await removeStale(peers);
  expect(removed.code).toBe(0);
  expect(removed.stdout).toBe(`${lostId}\n`);
  const after = await cluster.memberList(cluster.clientUrl(M1.ip));
  expect(after.map((m) => m.name).sort()).toEqual(["m1", "m2"]);

  // A reboot of the new node re-runs the step: nothing more to remove, still success.
  const again = await removeStale(peers);
  expect(again.code).toBe(0);
  expect(again.stdout).toBe("");

  // Stub of kubeadm join's etcd part.
  const newId = await cluster.addMember(cluster.clientUrl(M1.ip), M3_NEW);
  cluster.start(M3_NEW, {
    initialCluster: cluster.initialCluster([M1, M2, M3_NEW]),
    initialClusterState: "existing",
  });
  const endpoints = [M1, M2, M3_NEW].map((m) => cluster.clientUrl(m.ip));
  await cluster.waitHealthy(endpoints);

  const members = await cluster.memberList(cluster.clientUrl(M2.ip));
  expect(members.map((m) => m.name).sort()).toEqual(["m1", "m2", "m3-new"]);
  expect(members.flatMap((m) => m.peerUrls)).not.toContain(cluster.peerUrl(M3.ip));
  // The new member's local copy holds everything written before it existed.
  const pairs = await cluster.getPrefix(cluster.clientUrl(M3_NEW.ip), "r/", true);
  expect(pairs.size).toBe(KEYS);
  for (let i = 0; i < KEYS; i++) expect(pairs.get(`r/${i}`)).toBe(`value-${i}`);

  // What the boot script records on the new volume: the id etcd gave the new member.
  const id = await runLib(
    ["etcd-member.sh"],
    'etcd_member_id_for_peer_url "$1" "$2"',
    [cluster.clientUrl(M1.ip), cluster.peerUrl(M3_NEW.ip)],
    env,
  );
  expect(id.stdout).toBe(`${newId}\n`);
});
