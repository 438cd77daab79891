/**
 * How etcd-member.sh walks a list of endpoints, against a real one-member etcd 3.4 (mutual TLS,
 * loopback) plus an address where nothing listens:
 * - etcd_try_each goes on to the next endpoint when one fails and logs the failure with
 *   etcdctl's OWN error line;
 * - a client-side problem (a missing CA file) shows up in the log as etcdctl's complaint about the
 *   file, not as an unhealthy cluster;
 * - under `retry`, every attempt tries every endpoint again from the first one, so an endpoint
 *   that only comes up after the first attempt is reached.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EtcdTestCluster } from "../support/etcdCluster";
import { runLib } from "../support/fakes/bashLib";

const LIVE_MEMBER = { name: "live", ip: "127.0.42.10" };
const DEAD_IP = "127.0.42.99"; // nothing ever listens here

let cluster: EtcdTestCluster;
let LIVE: string;
let DEAD: string;

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 24779, peerPort: 24780 });
  await cluster.startNew([LIVE_MEMBER]);
  LIVE = cluster.clientUrl(LIVE_MEMBER.ip);
  DEAD = cluster.clientUrl(DEAD_IP);
});
afterAll(() => cluster.cleanup());

const env = (extra: Record<string, string> = {}) => ({
  ...cluster.tlsEnv(),
  ETCD_DIAL_TIMEOUT: "1s",
  ETCD_COMMAND_TIMEOUT: "1s",
  K8SHA_RETRY_MAX: "1",
  ...extra,
});

/** The log lines etcd_try_each writes for a failed endpoint. */
const failures = (stderr: string, endpoint: string) =>
  stderr.split("\n").filter((line) => line.includes(` at ${endpoint} failed: `));

test("etcd_try_each: a dead first endpoint is logged with etcdctl's error, the second one answers", async () => {
  const expected = await cluster.etcdctlOk(["member", "list", "-w", "simple"], [LIVE]);
  expect(expected).toContain(LIVE);

  const r = await runLib(
    ["etcd-member.sh"],
    'etcd_try_each "$@"',
    [`${DEAD},${LIVE}`, "member", "list", "-w", "simple"],
    env(),
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(expected);
  const dead = failures(r.stderr, DEAD);
  expect(dead).toHaveLength(1);
  // etcdctl's own last lines (the cause, then its verdict), not just a verdict of ours.
  expect(dead[0]).toMatch(
    /etcdctl member at \S+ failed: .*all SubConns are in TransientFailure.* Error: context deadline exceeded$/,
  );
  expect(failures(r.stderr, LIVE)).toEqual([]);
});

test("_etcd_first_healthy: a missing CA file is reported as etcdctl's complaint about the file", async () => {
  const missing = join(cluster.dir, "no-such-ca.crt");
  const r = await runLib(
    ["etcd-member.sh"],
    '_etcd_first_healthy "$@"',
    [LIVE],
    env({ ETCDCTL_CACERT: missing }),
  );
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  const live = failures(r.stderr, LIVE);
  expect(live).toHaveLength(1);
  expect(live[0]).toContain(`etcdctl endpoint at ${LIVE} failed: `);
  expect(live[0]).toContain(`open ${missing}: no such file or directory`);
  expect(live[0]).not.toContain("unhealthy");

  // Control: the same call with the real CA succeeds (the member itself is fine).
  const ok = await runLib(["etcd-member.sh"], '_etcd_first_healthy "$@"', [LIVE], env());
  expect(ok.code).toBe(0);
  expect(ok.stdout).toBe(`${LIVE}\n`);
});

test("retry etcd_try_each: each attempt tries every endpoint again, so a late second endpoint is reached", async () => {
  const expected = await cluster.etcdctlOk(["member", "list", "-w", "simple"], [LIVE]);
  await cluster.kill(LIVE_MEMBER.name);
  const log = join(cluster.dir, "retry.log");
  rmSync(log, { force: true });
  const running = runLib(
    ["etcd-member.sh"],
    'exec 2>"$RETRY_LOG"\nretry etcd_try_each "$@"',
    [`${DEAD},${LIVE}`, "member", "list", "-w", "simple"],
    env({ RETRY_LOG: log, K8SHA_RETRY_MAX: "3", K8SHA_RETRY_BASE: "2", K8SHA_RETRY_CAP: "2" }),
  );
  const readLog = () => {
    try {
      return readFileSync(log, "utf8");
    } catch {
      return "";
    }
  };
  // Bring the member back only once the first attempt has failed on BOTH endpoints.
  const deadline = Date.now() + 15000;
  while (!readLog().includes("attempt 1/3 failed") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const firstAttempt = readLog();
  expect(firstAttempt).toContain("attempt 1/3 failed");
  expect(failures(firstAttempt, DEAD)).toHaveLength(1);
  expect(failures(firstAttempt, LIVE)).toHaveLength(1);
  cluster.start(LIVE_MEMBER, {
    initialCluster: cluster.initialCluster([LIVE_MEMBER]),
    initialClusterState: "new",
  });

  const r = await running;
  const stderr = readLog();
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(expected);
  const attempts = (stderr.match(/attempt \d\/3 failed/g) ?? []).length + 1;
  expect(attempts).toBeGreaterThanOrEqual(2);
  // Every attempt started over at the first endpoint, and the last one got through to the second.
  expect(failures(stderr, DEAD)).toHaveLength(attempts);
  expect(failures(stderr, LIVE)).toHaveLength(attempts - 1);
  expect(stderr).not.toContain("giving up");
  await cluster.waitHealthy([LIVE]);
});
