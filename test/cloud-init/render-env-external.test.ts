/**
 * A master's node.env in either topology: stacked keeps exactly its etcd keys (volume, member
 * addresses, mount, data dir); external names only the topology and the master's stable address,
 * and a master config that mixes the two is refused before any user-data is rendered.
 */
import { masterEnv } from "../../cloud-init/render-env";
import type { MasterBootConfig } from "../../cloud-init/types";
import { masterConfig } from "../support/render-fixtures";

const ETCD_KEYS = ["ETCD_VOLUME_ID", "MEMBER_ADDRESSES", "ETCD_MOUNT", "ETCD_DATA_DIR"];
const endpoints = ["https://10.0.0.36:2379", "https://10.0.16.37:2379", "https://10.0.32.38:2379"];

function external(base: MasterBootConfig): MasterBootConfig {
  const { etcdVolumeId: _volume, ...rest } = base;
  return { ...rest, externalEtcd: { endpoints, version: "3.6.5", releaseSha256: "a".repeat(64) } };
}

test("stacked: the etcd member's keys, no topology key", () => {
  const env = masterEnv(masterConfig(1, true));
  for (const key of ETCD_KEYS) expect(env[key]).toBeTruthy();
  expect(env.ETCD_TOPOLOGY).toBeUndefined();
});

test("external: the topology and the stable address, none of the member's keys", () => {
  const base = masterConfig(1, true);
  const env = masterEnv(external(base));
  expect(env.ETCD_TOPOLOGY).toBe("external");
  expect(env.STABLE_IP).toBe(base.stableAddress);
  expect(env.ETCD_ENDPOINTS).toBe(endpoints.join(","));
  expect(env.ETCD_MEMBER_COUNT).toBe("3");
  expect([env.ETCD_VERSION, env.ETCD_RELEASE_SHA256]).toEqual(["3.6.5", "a".repeat(64)]);
  for (const key of ETCD_KEYS) expect(env[key]).toBeUndefined();
});

test("an external master refuses a release digest that is not 64 lower-case hex", () => {
  const cfg = external(masterConfig(0, false));
  expect(() =>
    masterEnv({ ...cfg, externalEtcd: { endpoints, version: "3.6.5", releaseSha256: "A".repeat(64) } }),
  ).toThrow("etcd 3.6.5: the release sha256 must be 64 lower-case hex digits");
});

test("a volume with external etcd, or none with stacked, is refused by name", () => {
  const base = masterConfig(0, false);
  expect(() =>
    masterEnv({ ...base, externalEtcd: { endpoints, version: "3.6.5", releaseSha256: "a".repeat(64) } }),
  ).toThrow("master: etcdVolumeId must be absent with externalEtcd (a master holds no etcd data)");
  const { etcdVolumeId: _volume, ...stackedWithout } = base;
  expect(() => masterEnv(stackedWithout)).toThrow("master: etcdVolumeId is required with stacked etcd");
});
