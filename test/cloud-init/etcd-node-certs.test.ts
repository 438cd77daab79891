/**
 * An etcd node's certificates (lib/etcd-node.sh `etcd_member_certs`), made by the real openssl
 * from an etcd CA served by a stub `aws` (it prints the parameter's file: SSM cannot exist
 * here), then used by REAL etcd 3.4: the SANs the library writes are what etcd needs, and a peer
 * certificate without the address its connections come from is refused by etcd itself (its
 * peer listener checks the client certificate against the remote address, client/pkg/transport
 * listener_tls.go `checkSAN` in etcd-io/etcd). On EC2 that address is the instance's primary
 * address; on loopback it is 127.0.0.1.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";
import { createCa, type TestCa } from "../support/pki";

const LIBS = ["ssm.sh", "etcd-member.sh", "etcd-node.sh"];
const STUB_AWS = `#!/usr/bin/env bash
# stub: aws ssm get-parameter --name NAME ... prints $STUB_SSM_DIR/<basename NAME>
set -euo pipefail
while (($#)); do if [[ "$1" == --name ]]; then name="$2"; fi; shift; done
cat "$STUB_SSM_DIR/\${name##*/}"
`;

let dir: string;
let ca: TestCa;
const procs: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "k8sha-etcd-node-certs-"));
  ca = createCa(join(dir, "ca"), "etcd-ca");
  mkdirSync(join(dir, "ssm"));
  writeFileSync(join(dir, "ssm", "etcd-ca.crt"), readFileSync(ca.cert));
  writeFileSync(join(dir, "ssm", "etcd-ca.key"), readFileSync(ca.key));
  writeFileSync(join(dir, "aws"), STUB_AWS);
  chmodSync(join(dir, "aws"), 0o755);
});

afterAll(() => {
  for (const p of procs) {
    p.stdout?.removeAllListeners();
    p.stderr?.removeAllListeners();
    p.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Member `index`'s certificates as the library makes them, with `script` run afterwards. */
async function certsOf(index: number, stableIp: string, nodeIp: string, script = "etcd_member_certs") {
  const pki = join(dir, `pki-${index}`);
  const r = await runLib(LIBS, script, [], {
    AWS: join(dir, "aws"),
    STUB_SSM_DIR: join(dir, "ssm"),
    SSM_PREFIX: "/k8sha/ext",
    CLUSTER_NAME: "ext",
    ETCD_MEMBER: String(index),
    STABLE_IP: stableIp,
    NODE_IP: nodeIp,
    ETCD_LOCAL_ENDPOINT: `https://${stableIp}:23791`,
    K8SHA_ETCD_PKI_DIR: pki,
  });
  return { r, pki };
}

function text(cert: string): string {
  return execFileSync("openssl", ["x509", "-in", cert, "-noout", "-text"], { encoding: "utf8" });
}

test("server and peer certificates name every address and the member, signed by the etcd CA, whose key is gone", async () => {
  const { r, pki } = await certsOf(1, "10.0.16.37", "10.0.17.11");
  expect(r.code).toBe(0);
  // The peer port admits only the peer certificates' common name (--peer-cert-allowed-cn).
  expect(text(join(pki, "server.crt"))).toContain("Subject: CN = ext-etcd-1");
  expect(text(join(pki, "peer.crt"))).toContain("Subject: CN = k8sha-etcd-peer");
  for (const name of ["server", "peer"]) {
    const t = text(join(pki, `${name}.crt`));
    for (const san of [
      "IP Address:10.0.16.37",
      "IP Address:10.0.17.11",
      "IP Address:127.0.0.1",
      "DNS:ext-etcd-1",
    ]) {
      expect(t).toContain(san);
    }
    expect(t).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(
      execFileSync("openssl", ["verify", "-CAfile", ca.cert, join(pki, `${name}.crt`)]).toString(),
    ).toMatch(/OK/);
  }
  expect(text(join(pki, "client.crt"))).not.toContain("Subject Alternative Name");
  expect(existsSync(join(pki, "ca.key"))).toBe(false);
  expect(
    execFileSync("stat", ["-c", "%a", join(pki, "peer.key")])
      .toString()
      .trim(),
  ).toBe("600");
});

test("a failed issue fails the step, naming the certificate, and still deletes the CA key", async () => {
  // A CA key that does not belong to the CA certificate: openssl refuses to sign.
  const other = createCa(join(dir, "other-ca"), "other");
  writeFileSync(join(dir, "ssm", "etcd-ca.key"), readFileSync(other.key));
  const { r, pki } = await certsOf(3, "10.0.48.39", "10.0.49.11");
  writeFileSync(join(dir, "ssm", "etcd-ca.key"), readFileSync(ca.key));
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot issue the etcd server certificate");
  expect(existsSync(join(pki, "ca.crt"))).toBe(true);
  expect(existsSync(join(pki, "ca.key"))).toBe(false);
});

test("an unreadable etcd CA fails the step, naming it", async () => {
  rmSync(join(dir, "ssm", "etcd-ca.key"));
  const { r } = await certsOf(2, "10.0.32.38", "10.0.33.11");
  writeFileSync(join(dir, "ssm", "etcd-ca.key"), readFileSync(ca.key));
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot read the etcd CA key from SSM");
});

/** A real etcd member with the library's certificates of `pki`, on `ip`. */
function startMember(name: string, ip: string, pki: string, initial: string): { log: () => string } {
  const data = join(dir, `data-${name}`);
  const p = spawn(
    "/usr/bin/etcd",
    [
      `--name=${name}`,
      `--data-dir=${data}`,
      `--listen-peer-urls=https://${ip}:23801`,
      `--initial-advertise-peer-urls=https://${ip}:23801`,
      `--listen-client-urls=https://${ip}:23791`,
      `--advertise-client-urls=https://${ip}:23791`,
      `--initial-cluster=${initial}`,
      "--initial-cluster-state=new",
      `--cert-file=${pki}/server.crt`,
      `--key-file=${pki}/server.key`,
      "--client-cert-auth=true",
      `--trusted-ca-file=${pki}/ca.crt`,
      `--peer-cert-file=${pki}/peer.crt`,
      `--peer-key-file=${pki}/peer.key`,
      "--peer-client-cert-auth=true",
      `--peer-trusted-ca-file=${pki}/ca.crt`,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin" } },
  );
  procs.push(p);
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
  };
  p.stdout?.on("data", keep);
  p.stderr?.on("data", keep);
  return { log: () => out };
}

async function healthy(ip: string, pki: string, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 2; i++) {
    try {
      execFileSync(
        "/usr/bin/etcdctl",
        [
          `--endpoints=https://${ip}:23791`,
          "--dial-timeout=1s",
          "--command-timeout=1s",
          "endpoint",
          "health",
        ],
        {
          env: {
            ETCDCTL_API: "3",
            ETCDCTL_CACERT: `${pki}/ca.crt`,
            ETCDCTL_CERT: `${pki}/client.crt`,
            ETCDCTL_KEY: `${pki}/client.key`,
          },
          stdio: "ignore",
        },
      );
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

test("real etcd accepts the library's peer certificates and refuses one without the connection's source address", async () => {
  // Connections between loopback addresses come from 127.0.0.1: the "primary address" here.
  const good = await certsOf(10, "127.0.6.1", "127.0.0.1");
  const peer = await certsOf(11, "127.0.6.2", "127.0.0.1");
  expect(good.r.code).toBe(0);
  expect(peer.r.code).toBe(0);
  const initial = "a=https://127.0.6.1:23801,b=https://127.0.6.2:23801";
  const a = startMember("a", "127.0.6.1", good.pki, initial);
  startMember("b", "127.0.6.2", peer.pki, initial);
  expect(await healthy("127.0.6.1", good.pki, 20)).toBe(true);
  // (An "EOF" rejection is a probe that hung up mid-handshake; a certificate refusal says x509.)
  expect(a.log()).not.toMatch(/rejected connection .*x509/);
  for (const p of procs.splice(0)) p.kill("SIGKILL");

  // Member d's peer certificate reissued (the library's own issuer) with its stable address only.
  const bad = await certsOf(
    12,
    "127.0.6.4",
    "127.0.0.1",
    'etcd_member_certs && write_secret_file "$SSM_PREFIX/pki/etcd-ca.key" "$K8SHA_ETCD_PKI_DIR/ca.key" 0600 && _etcd_issue peer serverAuth,clientAuth "IP:$STABLE_IP" "$ETCD_PEER_CN"',
  );
  expect(bad.r.code).toBe(0);
  expect(text(join(bad.pki, "peer.crt"))).not.toContain("IP Address:127.0.0.1");
  const initial2 = "c=https://127.0.6.3:23801,d=https://127.0.6.4:23801";
  const good2 = await certsOf(13, "127.0.6.3", "127.0.0.1");
  const c = startMember("c", "127.0.6.3", good2.pki, initial2);
  startMember("d", "127.0.6.4", bad.pki, initial2);
  // c refuses every connection d opens. c's own streams to d still carry raft (rafthttp's
  // readers dial the sender), so this shows in c's log and in what d sends over its own
  // connections (the pipeline: snapshots, proposals forwarded), not as a lost quorum at once.
  await healthy("127.0.6.3", good2.pki, 8);
  expect(c.log()).toMatch(
    /rejected connection from "127\.0\.0\.1:\d+" \(error "x509: certificate is valid for 127\.0\.6\.4, not 127\.0\.0\.1"/,
  );
}, 60_000);
