/**
 * lib/prereqs.sh writing into a temp root (K8SHA_ROOT). apt-get, apt-mark, systemctl, modprobe,
 * sysctl, swapoff, containerd, curl and gpg are stubs that log their arguments: they need root or
 * the network, neither of which a test has. The file transforms run for real.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const LIB = join(__dirname, "../../cloud-init/lib");

/** containerd 1.7 (`version = 2`) default config, trimmed to the runc section. */
const CONTAINERD_17 = `version = 2
[plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            BinaryName = ""
            SystemdCgroup = false
`;
/** containerd 2.x (`version = 3`) layout. */
const CONTAINERD_2 = `version = 3
[plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'registry.k8s.io/pause:3.10'
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  BinaryName = ''
  SystemdCgroup = false
`;

const STUB = `#!/usr/bin/env bash
echo "$(basename "$0") $*" >>"$STUB_LOG"
case "$(basename "$0") $1" in
  "containerd config") cat "$CONTAINERD_FIXTURE" ;;
  # kubeadm config images list prints one image per line (cmd/kubeadm/app/cmd/config.go).
  "kubeadm config") printf 'registry.k8s.io/kube-apiserver:v1.34.2\nregistry.k8s.io/pause:3.10.1\nregistry.k8s.io/etcd:3.6.5-0\n' ;;
  "curl "*) while (($#)); do if [[ "$1" == -o ]]; then echo "ARMORED KEY" >"$2"; fi; shift; done ;;
  "gpg "*) while (($#)); do if [[ "$1" == -o ]]; then echo "DEARMORED" >"$2"; fi; shift; done ;;
esac
`;

function setup(name: string, fixture: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), `k8sha-prereqs-${name}-`));
  const root = join(dir, "root");
  const bin = join(dir, "bin");
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(root, "etc/fstab"), "LABEL=root / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
  writeFileSync(join(dir, "containerd.toml"), fixture);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    K8SHA_ROOT: root,
    K8SHA_STATE_DIR: join(dir, "state"),
    K8SHA_RETRY_BASE: "1",
    K8SHA_RETRY_CAP: "0",
    STUB_LOG: join(dir, "log"),
    CONTAINERD_FIXTURE: join(dir, "containerd.toml"),
  };
  const stubs: Record<string, string> = {
    APT_GET: "apt-get",
    APT_MARK: "apt-mark",
    K8SHA_SYSTEMCTL: "systemctl",
    K8SHA_MODPROBE: "modprobe",
    K8SHA_SYSCTL: "sysctl",
    K8SHA_SWAPOFF: "swapoff",
    K8SHA_CONTAINERD: "containerd",
    K8SHA_CURL: "curl",
    K8SHA_GPG: "gpg",
    KUBEADM: "kubeadm",
    AWS: "aws",
  };
  for (const [variable, name] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), STUB);
    chmodSync(join(bin, name), 0o755);
    env[variable] = join(bin, name);
  }
  return env;
}

async function run(env: Record<string, string>, call: string): Promise<void> {
  await execFileAsync(
    "bash",
    ["-c", `set -euo pipefail; . "${LIB}/common.sh"; . "${LIB}/prereqs.sh"; ${call}`],
    { env },
  );
}

const read = (env: Record<string, string>, path: string) => readFileSync(join(env.K8SHA_ROOT, path), "utf8");

describe("lib/prereqs.sh", () => {
  it("prepare_node: swap, modules, sysctls, containerd (systemd cgroup), pinned held packages", async () => {
    const env = setup("all", CONTAINERD_17);
    await run(env, "prepare_node 1.34.2 2>/dev/null");
    expect(read(env, "etc/fstab")).toContain("#k8sha-swapoff# /swap.img none swap sw 0 0");
    expect(read(env, "etc/fstab")).toContain("LABEL=root / ext4 defaults 0 1");
    expect(read(env, "etc/modules-load.d/k8sha.conf")).toBe("overlay\nbr_netfilter\n");
    expect(read(env, "etc/sysctl.d/99-k8sha.conf")).toMatch(
      /net\.ipv4\.ip_forward = 1\n.*bridge-nf-call-iptables = 1/s,
    );
    expect(read(env, "etc/containerd/config.toml")).toContain("SystemdCgroup = true");
    expect(read(env, "etc/apt/sources.list.d/kubernetes.list")).toBe(
      "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n",
    );
    expect(read(env, "etc/apt/keyrings/kubernetes-apt-keyring.gpg")).toBe("DEARMORED\n");
    const log = readFileSync(env.STUB_LOG, "utf8");
    expect(log).toContain("curl -fsSL --max-time 30 -o");
    expect(log).toContain("https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key");
    expect(log).toMatch(
      /apt-get .*install .*kubelet=1\.34\.2-\* kubeadm=1\.34\.2-\* kubectl=1\.34\.2-\* conntrack\n/,
    );
    // kubeadm's pause image, asked of the installed kubeadm, replaces containerd's default.
    expect(log).toContain("kubeadm config images list --kubernetes-version v1.34.2");
    expect(read(env, "etc/containerd/config.toml")).toMatch(
      /^ {4}sandbox_image = "registry.k8s.io\/pause:3.10.1"$/m,
    );
    expect(log).toContain("apt-mark hold kubelet kubeadm kubectl");
    expect(log).toContain("modprobe br_netfilter");
    expect(log).toContain("swapoff -a");
  });

  it("is idempotent: a second run leaves the same files (fstab not commented twice)", async () => {
    const env = setup("twice", CONTAINERD_2);
    await run(env, "disable_swap; load_kernel_modules; apply_sysctls; configure_containerd");
    const first = ["etc/fstab", "etc/containerd/config.toml"].map((p) => read(env, p));
    await run(env, "disable_swap; load_kernel_modules; apply_sysctls; configure_containerd");
    expect(["etc/fstab", "etc/containerd/config.toml"].map((p) => read(env, p))).toEqual(first);
    expect(first[1]).toContain("  SystemdCgroup = true\n");
  });

  it("sets kubeadm's pause image in the containerd 2.x layout too, and fails when no key exists", async () => {
    const env = setup("sandbox2", CONTAINERD_2);
    await run(env, "configure_containerd; configure_sandbox_image 1.34.2 2>/dev/null");
    expect(read(env, "etc/containerd/config.toml")).toMatch(
      /^ {6}sandbox = 'registry.k8s.io\/pause:3.10.1'$/m,
    );
    const bare = setup("sandbox-missing", "version = 3\n  SystemdCgroup = false\n");
    await expect(
      run(bare, "configure_containerd; configure_sandbox_image 1.34.2 2>/dev/null"),
    ).rejects.toThrow();
  });

  it("set_systemd_cgroup fails when the key is missing (a changed containerd layout)", async () => {
    const env = setup("missing", "version = 3\n");
    await expect(run(env, "configure_containerd 2>/dev/null")).rejects.toThrow();
  });

  it("refuses a malformed Kubernetes version", async () => {
    const env = setup("badver", CONTAINERD_17);
    await expect(run(env, "write_kubernetes_repo 1.34 2>/dev/null")).rejects.toThrow();
  });
});
