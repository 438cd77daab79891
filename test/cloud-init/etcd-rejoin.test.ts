/**
 * Scenario (a): a master is replaced, its etcd volume (data dir + identity file) moves to
 * the new instance, which has a NEW IP in the same zone subnet. Real etcd 3.4 members with
 * mutual TLS on loopback; the project's own bash functions decide the mode, find a healthy
 * peer and update the member's peer URL before the local etcd starts. Stubbed: EC2 moving
 * the volume (the data dir simply stays put) and kubelet starting the etcd static pod
 * (the harness starts etcd with the same data dir).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const M1 = { name: "m1", ip: "127.0.1.10" };
const M2 = { name: "m2", ip: "127.0.2.10" };
const M3 = { name: "m3", ip: "127.0.3.10" };
const M3_REPLACEMENT = { name: "m3", ip: "127.0.3.11" };
const KEYS = 200;

let cluster: EtcdTestCluster;
let volume: string;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 24379, peerPort: 24380 });
  volume = mkdtempSync(join(tmpdir(), "k8sha-volume-"));
});
afterAll(async () => {
  await cluster.cleanup();
  rmSync(volume, { recursive: true, force: true });
});

test("a replaced master rejoins from its volume on a new IP and keeps every key", async () => {
  const initialCluster = cluster.initialCluster([M1, M2, M3]);
  cluster.start(M1, { initialCluster, initialClusterState: "new" });
  cluster.start(M2, { initialCluster, initialClusterState: "new" });
  cluster.start(M3, { initialCluster, initialClusterState: "new", dataDir: join(volume, "data") });
  const oldEndpoints = [M1, M2, M3].map((m) => cluster.clientUrl(m.ip));
  await cluster.waitHealthy(oldEndpoints);
  await cluster.putMany(cluster.clientUrl(M1.ip), "k/", KEYS);

  // What the old master 3 did after its join succeeded: record whose data the volume holds.
  const env = {
    ...cluster.tlsEnv(),
    ...{ ETCD_DIAL_TIMEOUT: "1s", ETCD_COMMAND_TIMEOUT: "1s" },
    ...{
      ETCD_MOUNT: volume,
      ETCD_DATA_DIR: join(volume, "data"),
      CLUSTER_NAME: "prod-eu",
      MASTER_INDEX: "2",
    },
  };
  const wrote = await runLib(
    ["etcd-member.sh"],
    'etcd_write_identity prod-eu "$(etcd_member_id_for_peer_url "$1" "$2")"',
    [cluster.clientUrl(M1.ip), cluster.peerUrl(M3.ip)],
    env,
  );
  expect(wrote.stderr).toContain("etcd identity written");
  const oldMembers = await cluster.memberList(cluster.clientUrl(M1.ip));
  const m3Id = oldMembers.find((m) => m.name === "m3")?.id;

  await cluster.stop("m3");

  // The replacement boots: the volume decides the mode, and the identity names the member.
  const mode = await runLib(["etcd-member.sh", "boot-mode.sh"], "decide_boot_mode", [], env);
  expect(mode.stdout).toBe("rejoin\n");
  const newPeerUrl = cluster.peerUrl(M3_REPLACEMENT.ip);
  const rejoinScript = [
    'healthy="$(etcd_healthy_endpoint "$@")"',
    'id="$(etcd_read_identity member_id)"',
    'etcd_rejoin_update_peer "$healthy" "$id" "$NEW_PEER_URL"',
    'etcd_rejoin_update_peer "$healthy" "$id" "$NEW_PEER_URL"', // a reboot re-runs it
    'echo "$healthy $id"',
  ].join("\n");
  // The dead old address first: etcd_healthy_endpoint must skip it.
  const peersToTry = [cluster.clientUrl(M3.ip), cluster.clientUrl(M2.ip), cluster.clientUrl(M1.ip)];
  const rejoin = await runLib(["etcd-member.sh"], rejoinScript, peersToTry, {
    ...env,
    NEW_PEER_URL: newPeerUrl,
  });
  expect(rejoin.code).toBe(0);
  expect(rejoin.stdout).toBe(`${cluster.clientUrl(M2.ip)} ${m3Id}\n`);
  expect(rejoin.stderr).toContain(`already has peer URL ${newPeerUrl}`);

  // Stub of kubelet starting the etcd static pod: same data dir, new address.
  cluster.start(M3_REPLACEMENT, {
    initialCluster: "ignored=https://127.0.0.1:1",
    initialClusterState: "existing",
    dataDir: join(volume, "data"),
  });
  const newEndpoints = [M1, M2, M3_REPLACEMENT].map((m) => cluster.clientUrl(m.ip));
  await cluster.waitHealthy(newEndpoints);

  const members = await cluster.memberList(cluster.clientUrl(M1.ip));
  expect(members).toHaveLength(3);
  expect(members.find((m) => m.id === m3Id)?.peerUrls).toEqual([newPeerUrl]);
  expect(members.flatMap((m) => m.peerUrls)).not.toContain(cluster.peerUrl(M3.ip));

  // Every key, read from the rejoined member's own copy.
  const pairs = await cluster.getPrefix(cluster.clientUrl(M3_REPLACEMENT.ip), "k/", true);
  expect(pairs.size).toBe(KEYS);
  for (let i = 0; i < KEYS; i++) expect(pairs.get(`k/${i}`)).toBe(`value-${i}`);
});
