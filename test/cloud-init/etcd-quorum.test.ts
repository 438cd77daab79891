/**
 * Scenario (c): quorum arithmetic on a real 3-member etcd 3.4 cluster (mutual TLS, loopback).
 * One member down: writes succeed through the healthy peer `etcd_healthy_endpoint` picks.
 * Two down: writes are refused and no endpoint reports healthy. After recovery every
 * acknowledged write is readable on every member's local copy.
 */
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const M1 = { name: "m1", ip: "127.0.1.10" };
const M2 = { name: "m2", ip: "127.0.2.10" };
const M3 = { name: "m3", ip: "127.0.3.10" };
const WRITES = 30;

let cluster: EtcdTestCluster;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 24579, peerPort: 24580 });
  await cluster.startNew([M1, M2, M3]);
});
afterAll(() => cluster.cleanup());

const healthyEndpoint = (endpoints: string[]) =>
  runLib(["etcd-member.sh"], 'etcd_healthy_endpoint "$@"', endpoints, {
    ...cluster.tlsEnv(),
    ETCD_DIAL_TIMEOUT: "1s",
    ETCD_COMMAND_TIMEOUT: "1s",
    K8SHA_RETRY_MAX: "1",
  });

test("2 of 3 accept writes, 1 of 3 refuses them, and no acknowledged write is lost", async () => {
  const all = [M3, M2, M1].map((m) => cluster.clientUrl(m.ip));
  await cluster.kill("m3");
  // If m3 led, the other two first elect a new leader (until then no member reports healthy).
  await cluster.waitHealthy([M2, M1].map((m) => cluster.clientUrl(m.ip)));

  const picked = await healthyEndpoint(all);
  expect(picked.stdout).toBe(`${cluster.clientUrl(M2.ip)}\n`);
  let acknowledged = 0;
  for (let i = 0; i < WRITES; i++) {
    const put = await cluster.etcdctl(["put", `ack/${i}`, `v${i}`], [picked.stdout.trim()]);
    if (put.code === 0) acknowledged++;
  }
  expect(acknowledged).toBe(WRITES);

  await cluster.kill("m2");
  for (let i = 0; i < 2; i++) {
    const put = await cluster.etcdctl(["put", `refused/${i}`, "x"], [cluster.clientUrl(M1.ip)], "1s");
    expect(put.code).not.toBe(0);
  }
  const none = await healthyEndpoint([cluster.clientUrl(M1.ip)]); // the survivor alone
  expect(none.code).not.toBe(0);
  expect(none.stdout).toBe("");

  // Recovery: both members restart from their data dirs (flags ignored: data exists).
  for (const m of [M2, M3]) {
    cluster.start(m, {
      initialCluster: cluster.initialCluster([M1, M2, M3]),
      initialClusterState: "existing",
    });
  }
  await cluster.waitHealthy(all);
  for (const m of [M1, M2, M3]) {
    const pairs = await cluster.getPrefix(cluster.clientUrl(m.ip), "ack/", true);
    expect(pairs.size).toBe(acknowledged);
    for (let i = 0; i < WRITES; i++) expect(pairs.get(`ack/${i}`)).toBe(`v${i}`);
  }
});
