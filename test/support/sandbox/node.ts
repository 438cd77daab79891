/**
 * The node sandbox: one EC2 node of the cluster, as far as it can exist on this machine.
 *
 * The boot runs in a private mount namespace (`unshare -m`) in which the node's own directories
 * (/etc/k8sha, /etc/kubernetes, /opt/k8sha, /var/lib/k8sha, /var/lib/etcd-volume, /root, ...)
 * are bind mounts of this sandbox's folders, and /usr/bin, /usr/sbin and /usr/local/bin hold
 * ONLY the commands a stock Ubuntu 24.04 server AMI ships (test/support/sandbox/ami/*.commands), each a
 * link to the host's binary of the same package, plus what the boot itself installs. So the
 * scripts run with their real paths and the real default PATH, and a command the boot calls but
 * never installs fails as "command not found", naming it.
 *
 * Real here: bash and every AMI command, curl, openssl, mkfs.ext4/blkid/mount on a loop device
 * standing for the EBS volume, the AWS CLI (against s3rver and the fake EC2/SSM endpoint), etcd
 * and etcdctl 3.4 (Debian) standing in for the etcd image's binaries.
 * Stubbed (cannot exist here; test/support/sandbox/fakes, each says what it models): apt-get and
 * apt-mark (installing a package places that package's commands), snap, systemctl, modprobe,
 * sysctl, swapoff, containerd/ctr, kubelet, kubeadm and kubectl.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ETCD_CLIENT_PORT } from "../../../base/ports";
import type { DecodedFile } from "../../../policy/userData";

export const AMI_COMMANDS_FILE = resolve(__dirname, "ami/ubuntu-24.04-server.commands");
const FAKES = resolve(__dirname, "fakes");

/** AMI commands that the sandbox replaces by a stub, and why. */
export const STUBBED_AMI_COMMANDS: Record<string, string> = {
  systemctl: "no systemd runs the sandbox; the stub checks unit files exist and records calls",
  journalctl: "no journal",
  "apt-get": "no package mirror; installing a package places exactly that package's commands",
  "apt-mark": "records holds",
  snap: "no snapd; `snap install aws-cli` places the AWS CLI",
  modprobe: "kernel modules are the host's",
  sysctl: "would change the host kernel's settings",
  swapoff: "would switch off the host's swap",
};

/** Node directories that are the sandbox's own inside its mount namespace. */
const NODE_DIRS = [
  "/etc",
  "/opt/k8sha",
  "/var/lib",
  "/var/tmp",
  "/root",
  "/snap/bin",
  "/dev/disk/by-id",
  "/usr/local/bin",
  "/usr/local/sbin",
];

export function amiCommands(file = AMI_COMMANDS_FILE): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[0] ?? "");
}

/** Where the host has the command (usr/bin or usr/sbin) and the real file behind it. */
function hostPath(command: string): { dir: string; real: string } {
  for (const dir of ["bin", "sbin"]) {
    try {
      return { dir, real: realpathSync(join("/usr", dir, command)) };
    } catch {
      // next
    }
  }
  throw new Error(`the host lacks ${command}, which the AMI ships: install its Debian package`);
}

export interface NodeOptions {
  /** Sandbox folder (created). */
  dir: string;
  /** Shared cluster folder: fake API state, volumes, the etcd image stand-in. */
  clusterDir: string;
  /** cloud-init write_files of the node's rendered user-data. */
  files: DecodedFile[];
  /** cloud-init runcmd of the rendered user-data. */
  runcmd: string[][];
  /** The instance's primary private address (IMDS local-ipv4), on loopback. */
  ip: string;
  /**
   * Where the node's own services listen (what 127.0.0.1 is on a real node, which here all
   * nodes share): a master's stable address, a worker's primary address.
   */
  ownAddress: string;
  /** `connect-to` lines for curl: HOST:PORT:127.0.0.1:LOCALPORT. */
  connectTo: string[];
  /** CA bundle curl trusts (the test "internet" CA). */
  caBundle: string;
  /** Endpoints the AWS CLI is sent to, by service (what --endpoint-url would be). */
  endpoints: { s3: string; other: string };
  /** Longest retry back-off in seconds (K8SHA_RETRY_CAP; the node default is 30). */
  retryCap?: number;
  /** Left out of PATH: proves a missing command fails the boot with its name. */
  withoutAmiCommands?: string[];
  /** Attempts of the boot unit before the sandbox stops retrying (systemd: no limit). */
  unitAttempts?: number;
  /** Seconds between the boot unit's attempts (the unit says 60; the sandbox's clock is faster). */
  restartSec?: number;
  /** More of the boot's environment (e.g. K8SHA_RETRY_MAX, to give up sooner). */
  env?: Record<string, string>;
  /**
   * Whether the node runs an etcd member its tools reach locally (default true). Not a stateless
   * master of the external topology: like a real one, its tools find no local endpoint set and
   * must use the etcd nodes'.
   */
  localEtcd?: boolean;
}

export interface BootResult {
  code: number;
  log: string;
}

/** Absolute host paths the fakes use (they are stubs, not node software). */
function fakeEnv(o: NodeOptions, hostUsr: string): string {
  const vars: Record<string, string> = {
    SANDBOX: o.dir,
    PROJECT_DIR: resolve(__dirname, "../../.."),
    CLUSTER_DIR: o.clusterDir,
    HOST_USR: hostUsr,
    NODE_BIN: join(hostUsr, "bin", "node"),
    FAKES_DIR: join(o.dir, "fakes"),
    NODE_IP: o.ownAddress,
    PRIMARY_IP: o.ip,
    AWS_REAL: join(hostUsr, "bin", "aws"),
    AWS_S3_ENDPOINT: o.endpoints.s3,
    AWS_OTHER_ENDPOINT: o.endpoints.other,
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}='${v}'`)
    .join("\n");
}

export class NodeSandbox {
  /** The EC2 instance id the fake EC2 knows this node by (set by the cluster). */
  instanceId = "";
  /** The veth standing for its primary interface (set by the cluster). */
  link = "";
  readonly root: string;
  readonly hostUsr: string;

  constructor(readonly o: NodeOptions) {
    this.root = join(o.dir, "root");
    this.hostUsr = join(o.dir, "host-usr");
    for (const d of [...NODE_DIRS, "/usr/bin", "/usr/sbin"])
      mkdirSync(join(this.root, d), { recursive: true });
    mkdirSync(this.hostUsr, { recursive: true });
    // The node's /etc starts as a copy of this machine's (an AMI's /etc is the image's own).
    execFileSync("cp", ["-a", "/etc/.", join(this.root, "etc")]);
    writeFileSync(join(this.root, "etc/fstab"), "# /etc/fstab of the node sandbox\n");
    this.linkAmiCommands();
    this.installFakes();
    for (const f of o.files) {
      const path = join(this.root, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content, { mode: Number.parseInt(f.permissions ?? "0644", 8) });
    }
    writeFileSync(
      join(this.root, "root/.curlrc"),
      `${o.connectTo.map((c) => `connect-to = "${c}"`).join("\n")}\ncacert = "${o.caBundle}"\n`,
    );
  }

  private linkAmiCommands(): void {
    const skip = new Set([...Object.keys(STUBBED_AMI_COMMANDS), ...(this.o.withoutAmiCommands ?? [])]);
    for (const command of amiCommands()) {
      if (skip.has(command)) continue;
      const { dir, real } = hostPath(command);
      symlinkSync(join(this.hostUsr, real.replace(/^\/usr\//, "")), join(this.root, "usr", dir, command));
    }
  }

  /** Stubs of AMI commands go where the AMI has them; the fakes of packages wait for apt-get. */
  private installFakes(): void {
    const fakes = join(this.o.dir, "fakes");
    mkdirSync(fakes, { recursive: true });
    writeFileSync(join(fakes, "fake.env"), `${fakeEnv(this.o, this.hostUsr)}\n`);
    for (const name of readdirSync(FAKES)) {
      const body = readFileSync(join(FAKES, name), "utf8").replaceAll("@FAKE_ENV@", join(fakes, "fake.env"));
      writeFileSync(join(fakes, name), body);
      chmodSync(join(fakes, name), 0o755);
    }
    for (const stub of Object.keys(STUBBED_AMI_COMMANDS)) {
      const dir = ["modprobe", "sysctl", "swapoff"].includes(stub) ? "usr/sbin" : "usr/bin";
      copyFileSync(join(fakes, stub), join(this.root, dir, stub));
      chmodSync(join(this.root, dir, stub), 0o755);
    }
  }

  /** The namespace set-up: the node's directories and its /usr over the host's. */
  private mountScript(): string {
    const binds = [...NODE_DIRS, "/usr/bin", "/usr/sbin"]
      .map((d) => `mkdir -p '${d}' && mount --bind '${join(this.root, d)}' '${d}'`)
      .join("\n");
    return [
      "set -euo pipefail",
      `mount --rbind /usr '${this.hostUsr}'`,
      binds,
      // A booting instance's /run is an empty tmpfs (netplan generate writes there).
      "mount -t tmpfs -o mode=755 tmpfs /run",
    ].join("\n");
  }

  /**
   * A clean environment (nothing of the test process leaks in): what cloud-init's runcmd and the
   * SSM agent's scripts get on Ubuntu, plus the sandbox's settings. On a real node the local etcd
   * is 127.0.0.1; here every node shares loopback, so its own address is given (to a node with a
   * local member only).
   */
  private nodeEnvironment(): string {
    return [
      "/usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\",
      "  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_PAGER= \\",
      `  K8SHA_RETRY_BASE=1 K8SHA_RETRY_CAP=${this.o.retryCap ?? 3} ETCD_VOLUME_POLL_BASE=1 \\`,
      this.o.localEtcd === false
        ? "  \\"
        : `  ETCD_LOCAL_ENDPOINT=https://${this.o.ownAddress}:${ETCD_CLIENT_PORT} K8SHA_ETCD_ENDPOINT=https://${this.o.ownAddress}:${ETCD_CLIENT_PORT} \\`,
      `  SANDBOX_RESTART_SEC=${this.o.restartSec ?? 2} ${this.o.unitAttempts ? `SANDBOX_UNIT_ATTEMPTS=${this.o.unitAttempts}` : ""} \\`,
      `  ${Object.entries(this.o.env ?? {})
        .map(([k, v]) => `${k}='${v}'`)
        .join(" ")} \\`,
    ].join("\n");
  }

  /**
   * The namespace set-up, then cloud-init's runcmd with a clean environment. A holder process
   * keeps the namespace (and what the boot mounts in it, the etcd volume) for as long as the
   * instance runs, as a real instance's mounts outlive any one service: an operator's command
   * sees the mounted volume even while etcd is stopped.
   */
  private enterScript(): string {
    return [
      this.mountScript(),
      `mkdir -p '${join(this.o.dir, "pods")}'`,
      `'${this.hostUsr}/bin/setsid' '${this.hostUsr}/bin/sleep' infinity </dev/null >/dev/null 2>&1 &`,
      `echo "$!" >'${join(this.o.dir, "pods", "namespace.pid")}'`,
      `exec ${this.nodeEnvironment()}`,
      `  /bin/sh '${join(this.o.dir, "runcmd")}'`,
    ].join("\n");
  }

  /** Whether the node's etcd "static pod" runs. */
  etcdRunning(): boolean {
    return this.etcdPid() !== undefined;
  }

  /** The pid of the node's etcd "static pod" when it runs: its mount namespace has the etcd volume. */
  private etcdPid(): number | undefined {
    return this.livePid("pods/etcd.pid");
  }

  /** The pid in the node's file `file` when that process lives. */
  private livePid(file: string): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.o.dir, file), "utf8").trim());
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /**
   * `script` as root on the node, as the SSM agent runs AWS-RunShellScript: in the node's mount
   * namespace while the instance runs (the namespace its boot set up, the etcd volume mounted),
   * else in a fresh one; bounded by `timeoutSeconds` (exit 124, as `timeout` gives). stdout and
   * stderr are kept apart, as the agent keeps them.
   */
  exec(script: string, timeoutSeconds = 600): Promise<{ code: number; stdout: string; stderr: string }> {
    this.execs = (this.execs ?? 0) + 1;
    const seq = this.execs;
    const file = join(this.o.dir, `exec-${seq}.sh`);
    writeFileSync(file, script);
    const run = `${this.nodeEnvironment()}\n  timeout ${timeoutSeconds} /bin/bash '${file}'`;
    const pid = this.livePid("pods/namespace.pid") ?? this.etcdPid();
    const argv = pid
      ? ["nsenter", "-t", String(pid), "-m", "--", "/bin/bash", "-c", `exec ${run}`]
      : ["unshare", "-m", "--propagation", "private", "bash", "-c", `${this.mountScript()}\nexec ${run}`];
    return new Promise((resolveRun) => {
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("close", (code) => {
        appendFileSync(join(this.o.dir, "exec.log"), `== ${script}\n${stdout}${stderr}== exit ${code}\n`);
        resolveRun({ code: code ?? 1, stdout, stderr });
      });
    });
  }
  private execs?: number;
  /** The current boot's process (the group leader of everything the boot started). */
  private bootProcess?: ChildProcess;

  /**
   * Run cloud-init's runcmd (the first boot), or `argv` instead (what systemd starts on a
   * reboot), until every process it started has ended: the boot unit's attempts included
   * (runcmd only starts the unit). The code is the unit's last attempt's, when it ran.
   */
  boot(argv?: string[][]): Promise<BootResult> {
    const script = join(this.o.dir, "enter.sh");
    const saved = this.o.runcmd;
    if (argv) this.o.runcmd = argv;
    writeFileSync(script, this.enterScript());
    // cloud-init's runcmd module writes one shell-quoted line per entry into a #!/bin/sh script.
    writeFileSync(
      join(this.o.dir, "runcmd"),
      `#!/bin/sh\n${(argv ?? this.o.runcmd).map((a) => a.map((x) => `'${x.replaceAll("'", "'\\''")}'`).join(" ")).join("\n")}\n`,
    );
    this.o.runcmd = saved;
    for (const d of [...NODE_DIRS]) mkdirSync(d, { recursive: true }); // mount points on the host: empty dirs
    // A boot starts the machine afresh: an earlier boot's namespace (and its mounts) is gone.
    const holder = this.livePid("pods/namespace.pid");
    if (holder) process.kill(holder, "SIGKILL");
    const result = join(this.o.dir, "unit-runs", "k8sha-boot.service.result");
    rmSync(result, { force: true });
    return new Promise((resolveBoot) => {
      // Its own process group, so that stop() ends the boot with everything it started.
      const child = spawn("unshare", ["-m", "--propagation", "private", "bash", script], {
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      this.bootProcess = child;
      let log = "";
      const record = (d: Buffer) => {
        log += d.toString();
        // Output still in the pipe when the sandbox is torn down has no file to go to.
        if (existsSync(this.o.dir)) appendFileSync(join(this.o.dir, "boot.log"), d);
      };
      child.stdout.on("data", record);
      child.stderr.on("data", record);
      child.on("close", (code) => {
        let unit = Number.NaN;
        try {
          unit = Number(readFileSync(result, "utf8").trim());
        } catch {
          // the unit did not run in this boot
        }
        resolveBoot({ code: Number.isNaN(unit) ? (code ?? 1) : unit, log });
      });
    });
  }

  /** A file on the node, by its node path. */
  read(path: string): string {
    try {
      return readFileSync(join(this.root, path), "utf8");
    } catch {
      return "";
    }
  }

  /** A file as the node sees it inside its mount namespace (e.g. on the mounted etcd volume). */
  readMounted(path: string): string {
    const pid = readFileSync(join(this.o.dir, "pods/etcd.pid"), "utf8").trim();
    return execFileSync("nsenter", ["-t", pid, "-m", "cat", path], { encoding: "utf8" });
  }

  /** SIGSTOP (or, with `resume`, SIGCONT) to the node's etcd: a member that hangs, then recovers. */
  freezeEtcd(resume = false): void {
    const pid = readFileSync(join(this.o.dir, "pods/etcd.pid"), "utf8").trim();
    process.kill(Number(pid), resume ? "SIGCONT" : "SIGSTOP");
  }

  /**
   * Stop what the node left running, as an instance stop or termination would: its etcd "static
   * pod" and a boot still in progress (e.g. a boot unit retrying on an instance a test terminated).
   */
  stop(): void {
    try {
      execFileSync("bash", [join(this.o.dir, "fakes", "stop-pods")], { stdio: "ignore" });
    } catch {
      // nothing was running
    }
    const boot = this.bootProcess;
    if (boot?.pid !== undefined && boot.exitCode === null && boot.signalCode === null) {
      try {
        process.kill(-boot.pid, "SIGKILL");
      } catch {
        // the boot's processes ended meanwhile
      }
    }
  }
}
