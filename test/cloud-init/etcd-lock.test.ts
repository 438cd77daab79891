/**
 * etcd_lock_run (etcd-member.sh), which serialises control-plane joins, against a real etcd 3.4
 * member with mutual TLS on loopback: two holders started at the same moment never overlap, the
 * command's exit status comes back, and the lock is free again afterwards.
 */
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const M1 = { name: "m1", ip: "127.0.41.10" };
let cluster: EtcdTestCluster;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 24679, peerPort: 24680 });
  await cluster.startNew([M1]);
});
afterAll(() => cluster.cleanup());

/** Holds the lock for 2 s, printing epoch milliseconds at start and end. */
const holder = (exitCode: number) =>
  runLib(
    ["etcd-member.sh"],
    `work() { date +%s%3N; sleep 2; date +%s%3N; return ${exitCode}; }; etcd_lock_run "$1" test/lock work`,
    [cluster.clientUrl(M1.ip)],
    { ...cluster.tlsEnv(), ETCD_LOCK_WAIT_SECONDS: "30" },
  );

test("two holders take turns, and the command's exit status is returned", async () => {
  const [a, b] = await Promise.all([holder(0), holder(3)]);
  expect(a.code).toBe(0);
  expect(b.code).toBe(3);
  const [a0, a1] = a.stdout.trim().split("\n").map(Number);
  const [b0, b1] = b.stdout.trim().split("\n").map(Number);
  for (const t of [a0, a1, b0, b1]) expect(Number.isFinite(t)).toBe(true);
  expect((a1 as number) <= (b0 as number) || (b1 as number) <= (a0 as number)).toBe(true);
  expect(a.stderr).toContain("released the etcd lock test/lock");
  const again = await holder(0);
  expect(again.code).toBe(0);
}, 60_000);

test("a command that dies (exit) inside the lock still releases it at once", async () => {
  const died = await runLib(
    ["etcd-member.sh"],
    'work() { die "boom"; }; etcd_lock_run "$1" test/lock work',
    [cluster.clientUrl(M1.ip)],
    { ...cluster.tlsEnv(), ETCD_LOCK_WAIT_SECONDS: "30" },
  );
  expect(died.code).not.toBe(0);
  expect(died.stderr).toContain("FATAL: boom");
  expect(died.stderr).toContain("released the etcd lock test/lock");
  // Well inside the lock's 60 s lease: only an explicit release lets the next holder in this fast.
  const next = await runLib(
    ["etcd-member.sh"],
    'etcd_lock_run "$1" test/lock true',
    [cluster.clientUrl(M1.ip)],
    {
      ...cluster.tlsEnv(),
      ETCD_LOCK_WAIT_SECONDS: "10",
    },
  );
  expect(next.code).toBe(0);
}, 60_000);
