/**
 * The pure-bash helpers behind stale-member detection (`ipv4_in_cidr`, `url_host`) and the
 * identity file round trip. One bash process per table keeps this fast.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";

const CASES: [ip: string, cidr: string, inside: boolean][] = [
  ["10.0.1.5", "10.0.1.0/24", true],
  ["10.0.2.5", "10.0.1.0/24", false],
  ["10.0.255.1", "10.0.0.0/16", true],
  ["10.1.0.1", "10.0.0.0/16", false],
  ["172.16.31.255", "172.16.16.0/20", true],
  ["172.16.32.0", "172.16.16.0/20", false],
  ["192.168.1.7", "192.168.1.7/32", true],
  ["192.168.1.8", "192.168.1.7/32", false],
  ["8.8.8.8", "0.0.0.0/0", true],
  ["127.0.3.11", "127.0.3.0/24", true],
  ["256.0.0.1", "0.0.0.0/0", false], // malformed address
  ["10.0.1", "10.0.0.0/8", false], // malformed address
  ["10.0.1.5", "10.0.1.0/33", false], // malformed prefix
  ["10.0.1.5", "10.0.1.0", false], // no prefix
];

test("ipv4_in_cidr decides subnet membership like an IP library would", async () => {
  const r = await runLib(
    ["etcd-member.sh"],
    'while (($#)); do if ipv4_in_cidr "$1" "$2"; then echo yes; else echo no; fi; shift 2; done',
    CASES.flatMap((c) => [c[0], c[1]]),
  );
  expect(r.stdout.trim().split("\n")).toEqual(CASES.map((c) => (c[2] ? "yes" : "no")));
});

test("url_host extracts the host of peer URLs", async () => {
  const r = await runLib(["etcd-member.sh"], 'for u in "$@"; do url_host "$u"; done', [
    "https://10.0.1.5:2380",
    "https://10.0.1.5:2380/",
    "http://etcd-a.internal:2380",
  ]);
  expect(r.stdout).toBe("10.0.1.5\n10.0.1.5\netcd-a.internal\n");
});

test("the identity file round-trips cluster, member id and peer URL; missing fields fail", async () => {
  const mount = mkdtempSync(join(tmpdir(), "k8sha-identity-"));
  try {
    const script = [
      "etcd_read_identity cluster && echo unexpected",
      "etcd_write_identity prod 8e9e05c52164694d https://10.0.0.20:2380",
      "etcd_read_identity cluster",
      "etcd_read_identity member_id",
      "etcd_read_identity peer_url",
      "etcd_read_identity nope || echo missing",
      // A volume written before stable addresses: no peer URL.
      "etcd_write_identity prod 8e9e05c52164694d",
      "etcd_read_identity peer_url || echo no-peer-url",
    ].join("\n");
    const r = await runLib(["etcd-member.sh"], script, [], { ETCD_MOUNT: mount });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("prod\n8e9e05c52164694d\nhttps://10.0.0.20:2380\nmissing\nno-peer-url\n");
  } finally {
    rmSync(mount, { recursive: true, force: true });
  }
});
