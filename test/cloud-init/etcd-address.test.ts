/**
 * The master's stable address (cloud-init/lib/etcd-address.sh), run for real with recorders in
 * place of the AWS CLI, `ip` and `netplan`:
 * - claim_stable_address takes STABLE_IP only from nobody or from this member's predecessor
 *   (same cluster, role=master, same etcd member); any other holder is refused with no assign.
 *   The fake `aws` answers `describe-network-interfaces` with the tab-separated lines the real
 *   CLI prints for the lib's `--output text --query` (ENI, cluster, role, member; None = no tag).
 * - interface_with_mac maps a MAC to a local interface name from `ip -o link show` lines.
 * - persist_stable_address fills the netplan drop-in the renderer made (network-config.ts) with
 *   the interface (exact YAML, mode 0600), generates and adds the address now; the REAL netplan
 *   then merges that drop-in with cloud-init's 50-cloud-init.yaml into one networkd file carrying
 *   both DHCP and the address.
 */
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { stableAddressNetplan } from "../../cloud-init/network-config";
import { renderYaml } from "../../cloud-init/placeholders";
import { runLib } from "../support/fakes/bashLib";

const LIBS = ["imds.sh", "etcd-member.sh", "template.sh", "etcd-address.sh"];
const STABLE_IP = "10.0.0.20";
const ENV = {
  STABLE_IP,
  CLUSTER_NAME: "prod",
  MASTER_INDEX: "1",
  K8SHA_RETRY_MAX: "1",
  K8SHA_RETRY_BASE: "0",
  K8SHA_RETRY_CAP: "0",
};

/** Logs argv (one line per call); describe answers with $FAKE_DIR/holders, or fails. */
const FAKE_AWS = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$FAKE_DIR/aws.log"
case "$1 $2" in
  "ec2 describe-network-interfaces")
    if [[ -f "$FAKE_DIR/describe-error" ]]; then cat "$FAKE_DIR/describe-error" >&2; exit 254; fi
    if [[ -f "$FAKE_DIR/holders" ]]; then cat "$FAKE_DIR/holders"; fi ;;
  "ec2 assign-private-ip-addresses")
    printf '{"NetworkInterfaceId": "%s", "AssignedPrivateIpAddresses": [{"PrivateIpAddress": "%s"}]}\\n' "$4" "$6" ;;
  *) echo "fake aws: unexpected operation: $*" >&2; exit 2 ;;
esac
`;

/** Fake `ip`: `-o link show` prints $FAKE_DIR/links; anything else is only recorded. */
const FAKE_IP = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$FAKE_DIR/ip.log"
if [[ "$*" == "-o link show" ]]; then cat "$FAKE_DIR/links"; fi
`;

const FAKE_NETPLAN = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$FAKE_DIR/netplan.log"
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fakeDir() {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-address-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const [name, text] of [
    ["aws", FAKE_AWS],
    ["ip", FAKE_IP],
    ["netplan", FAKE_NETPLAN],
  ] as const) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : "");
  // The drop-in as the master's user-data ships it.
  writeFileSync(join(dir, "netplan-template.yaml"), renderYaml([stableAddressNetplan(STABLE_IP)]));
  const env = {
    ...ENV,
    NETPLAN_TEMPLATE: join(dir, "netplan-template.yaml"),
    AWS: join(bin, "aws"),
    FAKE_DIR: dir,
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
  };
  const awsCalls = () => read("aws.log").split("\n").filter(Boolean);
  const assigns = () => awsCalls().filter((c) => c.startsWith("ec2 assign-private-ip-addresses"));
  return { dir, bin, env, read, awsCalls, assigns };
}

const DESCRIBE_CALL =
  "ec2 describe-network-interfaces --output text" +
  ` --filters Name=addresses.private-ip-address,Values=${STABLE_IP} Name=subnet-id,Values=subnet-a` +
  ` --query NetworkInterfaces[].[NetworkInterfaceId, TagSet[?Key=='${TAG_CLUSTER}']|[0].Value,` +
  ` TagSet[?Key=='${TAG_ROLE}']|[0].Value, TagSet[?Key=='${TAG_ETCD_MEMBER}']|[0].Value]`;
const ASSIGN_CALL = `ec2 assign-private-ip-addresses --network-interface-id eni-me --private-ip-addresses ${STABLE_IP} --allow-reassignment`;

function claim(holders: string[] | "fail", extraEnv: Record<string, string> = {}) {
  const f = fakeDir();
  Object.assign(f.env, extraEnv);
  if (holders === "fail") {
    writeFileSync(
      join(f.dir, "describe-error"),
      "An error occurred (UnauthorizedOperation) when calling the DescribeNetworkInterfaces operation\n",
    );
  } else if (holders.length > 0) {
    writeFileSync(join(f.dir, "holders"), `${holders.join("\n")}\n`);
  }
  const result = runLib(LIBS, 'claim_stable_address "$@"', ["eni-me", "subnet-a"], f.env);
  return { f, result };
}

describe("claim_stable_address ENI SUBNET", () => {
  test("nobody holds the address: exactly one assign to my ENI, with --allow-reassignment", async () => {
    const { f, result } = claim([]);
    const r = await result;
    expect(r.code).toBe(0);
    expect(f.awsCalls()).toEqual([DESCRIBE_CALL, ASSIGN_CALL]);
    expect(r.stderr).toContain(`assigned ${STABLE_IP} to eni-me`);
    expect(r.stdout).toBe("");
  });

  test("my own ENI already holds it: no assign, logged as already on this instance", async () => {
    const { f, result } = claim(["eni-me\tprod\tmaster\t1"]);
    const r = await result;
    expect(r.code).toBe(0);
    expect(f.awsCalls()).toEqual([DESCRIBE_CALL]);
    expect(r.stderr).toContain(`stable address ${STABLE_IP} is already on this instance's interface eni-me`);
    expect(r.stderr).not.toContain("assigned");
  });

  test("the predecessor (cluster=prod, role=master, member=1) holds it: moved with --allow-reassignment", async () => {
    const { f, result } = claim(["eni-old\tprod\tmaster\t1"]);
    const r = await result;
    expect(r.code).toBe(0);
    expect(f.assigns()).toEqual([ASSIGN_CALL]);
    expect(r.stderr).toContain(
      `stable address ${STABLE_IP} is still on eni-old, the interface of this member's predecessor: moving it`,
    );
    expect(r.stderr).toContain(`assigned ${STABLE_IP} to eni-me`);
  });

  test.each([
    ["another cluster", "eni-x\tother\tmaster\t1", "cluster=other role=master member=1"],
    ["a worker of my cluster", "eni-x\tprod\tworker\t1", "cluster=prod role=worker member=1"],
    ["another master of my cluster", "eni-x\tprod\tmaster\t2", "cluster=prod role=master member=2"],
    ["an untagged interface", "eni-x\tNone\tNone\tNone", "cluster=None role=None member=None"],
  ])(
    "a foreign holder (%s) is refused: non-zero, no assign, the error names it",
    async (_what, line, tags) => {
      const { f, result } = claim([line]);
      const r = await result;
      expect(r.code).not.toBe(0);
      expect(f.assigns()).toEqual([]);
      expect(f.awsCalls()).toEqual([DESCRIBE_CALL]);
      expect(r.stderr).toContain(
        `FATAL: stable address ${STABLE_IP} is held by eni-x (${tags}), which is not master 1 of prod;`,
      );
    },
  );

  test("an etcd node's predecessor (role=etcd, same member) holds it: moved", async () => {
    const { f, result } = claim(["eni-old\tprod\tetcd\t2"], { NODE_ROLE_TAG: "etcd", ETCD_MEMBER: "2" });
    const r = await result;
    expect(r.code).toBe(0);
    expect(f.assigns()).toEqual([ASSIGN_CALL]);
  });

  test.each([
    ["the master with the same member number", "eni-x\tprod\tmaster\t2", "cluster=prod role=master member=2"],
    ["another etcd node", "eni-x\tprod\tetcd\t1", "cluster=prod role=etcd member=1"],
  ])("an etcd node refuses %s as the holder", async (_what, line, tags) => {
    const { f, result } = claim([line], { NODE_ROLE_TAG: "etcd", ETCD_MEMBER: "2" });
    const r = await result;
    expect(r.code).not.toBe(0);
    expect(f.assigns()).toEqual([]);
    expect(r.stderr).toContain(`held by eni-x (${tags}), which is not etcd 2 of prod;`);
  });

  test("the describe call fails: non-zero, no assign", async () => {
    const { f, result } = claim("fail");
    const r = await result;
    expect(r.code).not.toBe(0);
    expect(f.awsCalls()).toEqual([DESCRIBE_CALL]);
    expect(r.stderr).toContain("UnauthorizedOperation");
    expect(r.stderr).toContain(`FATAL: cannot ask EC2 which interface holds ${STABLE_IP}`);
  });
});

const LINKS = [
  "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
  "2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether 0a:1b:2c:3d:4e:5f brd ff:ff:ff:ff:ff:ff",
  "5: k8sa@k8sb: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 1a:2b:3c:4d:5e:6f brd ff:ff:ff:ff:ff:ff link-netnsid 0",
];

describe("interface_with_mac MAC", () => {
  const byMac = (mac: string) => {
    const f = fakeDir();
    writeFileSync(join(f.dir, "links"), `${LINKS.join("\n")}\n`);
    return runLib(LIBS, 'interface_with_mac "$@"', [mac], f.env);
  };

  test.each([
    ["0a:1b:2c:3d:4e:5f", "ens5"],
    ["1a:2b:3c:4d:5e:6f", "k8sa"],
  ])("%s is %s", async (mac, name) => {
    const r = await byMac(mac);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${name}\n`);
  });

  test.each([
    ["an unknown MAC", "0a:1b:2c:3d:4e:60"],
    ["a prefix of a MAC", "0a:1b:2c:3d:4e:5"],
  ])("fails with no output for %s", async (_what, mac) => {
    const r = await byMac(mac);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });
});

const CLOUD_INIT_NETPLAN = `network:
    ethernets:
        ens5:
            dhcp4: true
            dhcp6: false
            match:
                macaddress: 0a:1b:2c:3d:4e:5f
            set-name: ens5
    version: 2
`;
const DROP_IN = `network:
  version: 2
  ethernets:
    "ens5":
      addresses:
        - ${STABLE_IP}/32
`;

function netplanGenerate(root: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "/usr/sbin/netplan",
      ["generate", "--root-dir", root],
      { timeout: 30000 },
      (error, _out, stderr) => resolve({ code: error ? 1 : 0, stderr }),
    );
  });
}

describe("persist_stable_address IFACE", () => {
  test("writes the netplan drop-in (0600), generates, adds the /32 now; real netplan merges it with cloud-init's file", async () => {
    const f = fakeDir();
    const root = join(f.dir, "root");
    const netplanDir = join(root, "etc/netplan");
    const file = join(netplanDir, "60-k8sha-stable-address.yaml");
    const r = await runLib(LIBS, 'persist_stable_address "$@"', ["ens5"], {
      ...f.env,
      K8SHA_NETPLAN_FILE: file,
    });
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(DROP_IN);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(netplanDir)).toEqual(["60-k8sha-stable-address.yaml"]); // no temp file left
    expect(f.read("netplan.log")).toBe("generate\n");
    expect(f.read("ip.log")).toBe(`-4 addr replace ${STABLE_IP}/32 dev ens5\n`);

    // cloud-init's own file: without the drop-in, networkd would get DHCP only.
    const cloudInit = join(netplanDir, "50-cloud-init.yaml");
    writeFileSync(cloudInit, CLOUD_INIT_NETPLAN, { mode: 0o600 });
    const network = join(root, "run/systemd/network/10-netplan-ens5.network");
    const generated = await netplanGenerate(root);
    expect(generated).toEqual({ code: 0, stderr: "" });
    const merged = readFileSync(network, "utf8").split("\n");
    expect(merged).toEqual(expect.arrayContaining(["DHCP=ipv4", `Address=${STABLE_IP}/32`]));

    // Control: the same root without the drop-in has no address (the assertion above can fail).
    const bare = join(f.dir, "bare");
    mkdirSync(join(bare, "etc/netplan"), { recursive: true });
    writeFileSync(join(bare, "etc/netplan/50-cloud-init.yaml"), CLOUD_INIT_NETPLAN, { mode: 0o600 });
    expect((await netplanGenerate(bare)).code).toBe(0);
    const dhcpOnly = readFileSync(join(bare, "run/systemd/network/10-netplan-ens5.network"), "utf8").split(
      "\n",
    );
    expect(dhcpOnly).toContain("DHCP=ipv4");
    expect(dhcpOnly.filter((line) => line.startsWith("Address="))).toEqual([]);
  });

  test("a failing netplan generate is fatal and the address is not added", async () => {
    const f = fakeDir();
    writeFileSync(join(f.bin, "netplan"), `${FAKE_NETPLAN}exit 1\n`);
    const r = await runLib(LIBS, 'persist_stable_address "$@"', ["ens5"], {
      ...f.env,
      K8SHA_NETPLAN_FILE: join(f.dir, "netplan/60-k8sha-stable-address.yaml"),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("netplan generate failed");
    expect(f.read("ip.log")).toBe("");
  });
});
