/**
 * Dedicated etcd nodes (external topology) as node sandboxes, each booted from the etcd role's
 * REAL rendered user-data and boot bundle (cloud-init/render.ts, cloud-init/bundle.ts): the
 * bundle is served by s3rver, the etcd CA is put into the fake SSM under the cluster's
 * parameter names, the fake EC2 holds one volume per member, and the "internet" serves the etcd
 * release tarball the boot downloads and checks against its pinned sha256.
 *
 * Stand-ins, said plainly: the release tarball holds the host's etcd and etcdctl 3.4 (Debian),
 * not an upstream 3.5/3.6 build, and its sha256 is the tarball's own; the etcd role is not in
 * the stack's graph yet, so the user-data is rendered from an `EtcdNodeBootConfig` made here
 * rather than read from a launch template.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { formatIpv4, mustParseCidr } from "../../../base/cidr";
import { etcdNodeAddress } from "../../../base/masterAddress";
import { ETCD_CLIENT_PORT } from "../../../base/ports";
import { TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../../../base/tags";
import { renderBootBundle } from "../../../cloud-init/bundle";
import { renderEtcdNodeUserData } from "../../../cloud-init/render";
import type { EtcdNodeBootConfig } from "../../../cloud-init/types";
import { bootBundleKey } from "../../../components/bootBundle";
import { decodeUserData } from "../../../policy/userData";
import { type CertPaths, createCa, issueCert, type TestCa } from "../pki";
import { S3TestServer } from "../s3";
import { hostEtcdVersion, releaseTarball } from "./etcdRelease";
import { FakeAws } from "./fakeAws";
import { LoopbackInterfaces } from "./interfaces";
import { close, imdsAnswers, type Listening, startImds, startInternet } from "./loopback";
import { NodeSandbox } from "./node";

const CLUSTER = "ext";
const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e"];
const BUCKET = "ext-cluster-bucket";
export const BACKUP_PREFIX = "ext/etcd/";

export interface EtcdMember {
  index: number;
  zone: string;
  subnetCidr: string;
  subnetId: string;
  stableAddress: string;
  volumeId: string;
  /** Instances launched for this member so far (each replacement gets the next primary address). */
  generations: number;
}

export class EtcdNodeCluster {
  readonly aws = new FakeAws();
  readonly dir = mkdtempSync(join(tmpdir(), "k8sha-cluster-etcd-"));
  readonly nodes: NodeSandbox[] = [];
  readonly members: EtcdMember[];
  readonly version = hostEtcdVersion();
  /** A client certificate of the etcd CA, for the test's own etcdctl. */
  client?: CertPaths;
  ca?: TestCa;
  private readonly interfaces: LoopbackInterfaces;
  private s3?: S3TestServer;
  private servers: Listening[] = [];
  private internetPort = 0;
  private internetCa?: TestCa;
  private releaseSha256 = "";
  private bundle = { key: "", sha256: "" };

  private constructor(
    readonly count: number,
    readonly net: number,
  ) {
    this.interfaces = new LoopbackInterfaces(net);
    this.members = Array.from({ length: count }, (_, index) => {
      const subnetCidr = `127.${net}.${index * 16}.0/20`;
      return {
        index,
        zone: ZONES[index] as string,
        subnetCidr,
        subnetId: `subnet-etcd${index}`,
        stableAddress: etcdNodeAddress(subnetCidr, index).address,
        volumeId: `vol-etcd${index}${net.toString(16)}`,
        generations: 0,
      };
    });
  }

  static async create(count = 3, net = 100 + Math.floor(Math.random() * 150)): Promise<EtcdNodeCluster> {
    const c = new EtcdNodeCluster(count, net);
    await c.start();
    return c;
  }

  private async start(): Promise<void> {
    await this.aws.start();
    const bundle = renderBootBundle("etcd");
    this.bundle = { key: bootBundleKey(CLUSTER, "etcd", bundle.sha256), sha256: bundle.sha256 };
    this.s3 = await S3TestServer.start(BUCKET);
    await this.s3.putObject(this.bundle.key, Buffer.from(bundle.content));
    this.ca = createCa(join(this.dir, "pki", "etcd"), "etcd-ca");
    this.client = issueCert(this.ca, "test-client", ["127.0.0.1"]);
    this.aws.putParameter(`/k8sha/${CLUSTER}/pki/etcd-ca.crt`, readFileSync(this.ca.cert, "utf8"));
    this.aws.putParameter(`/k8sha/${CLUSTER}/pki/etcd-ca.key`, readFileSync(this.ca.key, "utf8"));
    for (const m of this.members) this.aws.addVolume(m.volumeId, m.zone, join(this.dir, "volumes"));
    const tarball = releaseTarball(join(this.dir, "release"), this.version);
    this.releaseSha256 = createHash("sha256").update(tarball).digest("hex");
    this.internetCa = createCa(join(this.dir, "internet-ca"), "test-internet-ca");
    const web = issueCert(this.internetCa, "web", [], ["github.com"]);
    const path = `github.com/etcd-io/etcd/releases/download/v${this.version}/etcd-v${this.version}-linux-amd64.tar.gz`;
    const internet = await startInternet(web, { [path]: tarball });
    this.internetPort = internet.port;
    this.servers.push(internet);
  }

  /** The boot config of member `index`, as the etcd role's component would render it. */
  bootConfig(index: number, release = { sha256: this.releaseSha256 }): EtcdNodeBootConfig {
    const m = this.members[index];
    if (!m) throw new Error(`no etcd member ${index}`);
    return {
      clusterName: CLUSTER,
      region: "eu-west-1",
      ssmPrefix: `/k8sha/${CLUSTER}`,
      bootBundle: { bucket: BUCKET, key: this.bundle.key, sha256: this.bundle.sha256 },
      memberIndex: index,
      memberCount: this.count,
      availabilityZone: m.zone,
      etcdVolumeId: m.volumeId,
      stableAddress: m.stableAddress,
      memberAddresses: this.members.map((x) => x.stableAddress),
      etcdVersion: this.version,
      etcdReleaseSha256: release.sha256,
      etcd: { heartbeatIntervalMs: 100, electionTimeoutMs: 1000, quotaBackendGiB: 2 },
      backup: { bucket: BUCKET, prefix: BACKUP_PREFIX, intervalMinutes: 15 },
    };
  }

  /**
   * A new instance for member `index` (its first, or a replacement): a primary address in the
   * member's subnet, host 10+generation of the /24 above the reservations; its interface and
   * instance carry the etcd role's tags, as the launch template would give them.
   */
  async launch(
    index: number,
    opts: { sha256?: string; env?: Record<string, string> } = {},
  ): Promise<NodeSandbox> {
    const m = this.members[index];
    if (!m) throw new Error(`no etcd member ${index}`);
    const generation = m.generations++;
    const ip = formatIpv4(mustParseCidr(m.subnetCidr).network + 256 + 10 + generation);
    const ordinal = this.interfaces.count;
    const instanceId = `i-0e${index}${generation}${Math.floor(Math.random() * 1e8).toString(16)}`;
    const dir = join(this.dir, "nodes", `etcd-${index}-g${generation}`);
    mkdirSync(dir, { recursive: true });
    const mac = `0a:00:01:${this.net.toString(16).padStart(2, "0")}:00:${ordinal.toString(16).padStart(2, "0")}`;
    const link = this.interfaces.add(mac, m.stableAddress);
    const tags = { [TAG_CLUSTER]: CLUSTER, [TAG_ROLE]: "etcd", [TAG_ETCD_MEMBER]: String(index) };
    const eni = {
      id: `eni-0e${ordinal.toString(16).padStart(4, "0")}`,
      subnetId: m.subnetId,
      addresses: [ip],
      tags,
    };
    this.aws.instances.set(instanceId, {
      id: instanceId,
      zone: m.zone,
      privateIp: ip,
      state: "running",
      tags,
      deviceDir: join(dir, "root/dev/disk/by-id"),
      eni,
    });
    const imds = await startImds(
      imdsAnswers({
        instanceId,
        zone: m.zone,
        ip,
        hostname: `ip-${ip.replaceAll(".", "-")}.eu-west-1.compute.internal`,
        mac,
        subnetCidr: m.subnetCidr,
        eni,
      }),
    );
    this.servers.push(imds);
    const config = this.bootConfig(index, { sha256: opts.sha256 ?? this.releaseSha256 });
    const userData = decodeUserData(renderEtcdNodeUserData(config));
    const node = new NodeSandbox({
      dir,
      clusterDir: this.dir,
      files: userData.files,
      runcmd: (parse(userData.text) as { runcmd: string[][] }).runcmd,
      ip,
      ownAddress: m.stableAddress,
      connectTo: [
        `169.254.169.254:80:127.0.0.1:${imds.port}`,
        `github.com:443:127.0.0.1:${this.internetPort}`,
      ],
      caBundle: this.internetCa?.cert ?? "",
      endpoints: { s3: this.s3?.endpoint ?? "", other: this.aws.endpoint },
      unitAttempts: 1,
      env: opts.env,
    });
    node.instanceId = instanceId;
    node.link = link;
    this.nodes.push(node);
    return node;
  }

  /** The keys under `prefix` in the cluster bucket (s3rver). */
  async objects(prefix: string): Promise<string[]> {
    return (await this.s3?.listKeys(prefix)) ?? [];
  }

  /**
   * One run of the oneshot service `unit` on `node`, as systemd starts it: its Environment= and
   * EnvironmentFile= settings (nothing of the boot's), then `dropIn` (what a drop-in's
   * Environment= would add), then its ExecStart. What the node's timer
   * would do when it fires; the sandbox runs no timers.
   */
  runService(
    node: NodeSandbox,
    unit: string,
    dropIn: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const text = node.read(`etc/systemd/system/${unit}`);
    const value = (key: string) =>
      text.split("\n").flatMap((l) => (l.startsWith(`${key}=`) ? [l.slice(key.length + 1)] : []));
    const exec = value("ExecStart")[0];
    if (!exec) throw new Error(`${unit} has no ExecStart on ${node.instanceId}`);
    const script = [
      ...value("Environment").map((e) => `export ${e}`),
      ...value("EnvironmentFile").map((f) => `set -a; . ${f}; set +a`),
      // A drop-in's Environment= lines come after the unit's own.
      ...Object.entries(dropIn).map(([k, v]) => `export ${k}='${v}'`),
      exec,
    ].join("\n");
    return node.exec(script);
  }

  /** Every member's client URL, member 0 first. */
  endpoints(): string {
    return this.members.map((m) => `https://${m.stableAddress}:${ETCD_CLIENT_PORT}`).join(",");
  }

  /** The host's etcdctl (v3, mutual TLS with the test client certificate) against `endpoints`. */
  etcdctl(args: string[], endpoints = this.endpoints()): string {
    const env = {
      ...process.env,
      ETCDCTL_API: "3",
      ETCDCTL_CACERT: this.ca?.cert ?? "",
      ETCDCTL_CERT: this.client?.cert ?? "",
      ETCDCTL_KEY: this.client?.key ?? "",
    };
    return execFileSync("/usr/bin/etcdctl", [`--endpoints=${endpoints}`, "--dial-timeout=2s", ...args], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /**
   * Member `index`'s volume comes back blank (no filesystem, no data). Only once no loop device
   * holds the image any more: the lost instance's mount ends with its last process, and its
   * unmount would write dirty blocks back into a file already emptied.
   */
  async blankVolume(index: number): Promise<void> {
    const image = this.aws.volumes.get(this.members[index]?.volumeId ?? "")?.image;
    if (!image) throw new Error(`no etcd volume for member ${index}`);
    for (
      let waited = 0;
      execFileSync("losetup", ["-j", image], { encoding: "utf8" }).trim() !== "";
      waited++
    ) {
      if (waited >= 300) throw new Error(`${image} is still attached to a loop device after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    truncateSync(image, 0);
    truncateSync(image, 8192 * 1024 * 1024);
  }

  /** The instance is lost: its processes stop, EC2 terminates it, its interface (and address) goes. */
  terminate(node: NodeSandbox): void {
    node.stop();
    this.aws.terminate(node.instanceId);
    this.interfaces.remove(node.link);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.stop();
    await new Promise((r) => setTimeout(r, 200));
    await this.aws.stop();
    await this.s3?.stop();
    for (const s of this.servers) await close(s);
    this.interfaces.removeAll();
    if (!process.env.K8SHA_KEEP_SANDBOX) rmSync(this.dir, { recursive: true, force: true });
  }
}
