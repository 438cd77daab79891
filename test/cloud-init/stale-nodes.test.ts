/**
 * remove_stale_control_plane_nodes (cloud-init/lib/stale-nodes.sh), run for real with a fake
 * kubectl on K8SHA_KUBECTL. The fake stands in for the API server only: it serves Node objects
 * from a directory (one JSON file per Node, honouring the control-plane label selector), renders
 * them through the REAL /usr/bin/kubectl jsonpath printer with the template the function sent
 * (`kubectl label --local` prints item by item, so the outer `{range .items[*]}` is stripped),
 * and a delete removes the file. Every call is logged, so deletes can be asserted.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";

const CP_LABEL = "node-role.kubernetes.io/control-plane";
const MY_SUBNET = "10.0.1.0/24";
const ME = "ip-10-0-1-10.eu-west-1.compute.internal";

const FAKE_KUBECTL = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/kubectl.log"
[[ "$1" == --kubeconfig && -n "$2" && "$3" == --request-timeout=* ]] ||
  { echo "fake kubectl: no kubeconfig or unbounded call: $*" >&2; exit 2; }
shift 3
case "$1 $2" in
  "get nodes")
    [[ "$3 $4 $5" == "-l ${CP_LABEL} -o" ]] || { echo "fake kubectl: unexpected $*" >&2; exit 2; }
    prefix='jsonpath={range .items[*]}'
    row="\${6#"$prefix"}"
    row="\${row%\\{end\\}}"
    [[ "$row" != "$6" ]] || { echo "fake kubectl: not a list template: $6" >&2; exit 2; }
    files=()
    for f in "$FAKE_DIR"/nodes/*.json; do
      if [[ -f "$f" ]] && grep -q '"${CP_LABEL}"' "$f"; then files+=(-f "$f"); fi
    done
    ((\${#files[@]} > 0)) || exit 0
    exec /usr/bin/kubectl --kubeconfig /dev/null label --local "\${files[@]}" fake=1 -o "jsonpath=$row" ;;
  "delete node")
    [[ "$4" == --ignore-not-found ]] || { echo "fake kubectl: delete must ignore not-found" >&2; exit 2; }
    rm -f "$FAKE_DIR/nodes/$3.json"
    echo "node \\"$3\\" deleted" ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 2 ;;
esac
`;

interface NodeSpec {
  name: string;
  ip: string;
  /** Ready condition status; undefined = the kubelet never reported one. */
  ready?: "True" | "False" | "Unknown";
  controlPlane?: boolean;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cluster(nodes: NodeSpec[]) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-stale-nodes-"));
  dirs.push(dir);
  mkdirSync(join(dir, "nodes"));
  writeFileSync(join(dir, "kubectl"), FAKE_KUBECTL);
  chmodSync(join(dir, "kubectl"), 0o755);
  for (const n of nodes) {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: n.controlPlane === false ? {} : { [CP_LABEL]: "" } },
      status: {
        addresses: [
          { type: "Hostname", address: n.name },
          { type: "InternalIP", address: n.ip },
        ],
        conditions: [
          { type: "MemoryPressure", status: "False" },
          ...(n.ready ? [{ type: "Ready", status: n.ready }] : []),
        ],
      },
    };
    writeFileSync(join(dir, "nodes", `${n.name}.json`), JSON.stringify(node));
  }
  const remove = (kubectl = join(dir, "kubectl")) =>
    runLib(["etcd-member.sh", "stale-nodes.sh"], 'remove_stale_control_plane_nodes "$@"', [MY_SUBNET, ME], {
      K8SHA_KUBECTL: kubectl,
      K8SHA_ADMIN_KUBECONFIG: join(dir, "admin.conf"),
      FAKE_DIR: dir,
      K8SHA_RETRY_BASE: "0",
      K8SHA_RETRY_CAP: "0",
    });
  const log = () =>
    existsSync(join(dir, "kubectl.log")) ? readFileSync(join(dir, "kubectl.log"), "utf8") : "";
  const deletes = () => log().match(/delete node \S+/g) ?? [];
  const exists = (name: string) => existsSync(join(dir, "nodes", `${name}.json`));
  return { remove, deletes, exists };
}

test("deletes only this zone's NotReady predecessor, never itself, another subnet or a worker; idempotent", async () => {
  const c = cluster([
    { name: ME, ip: "10.0.1.10", ready: "False" },
    { name: "ip-10-0-1-20.old", ip: "10.0.1.20", ready: "Unknown" },
    { name: "ip-10-0-1-21.never-ready", ip: "10.0.1.21" },
    { name: "ip-10-0-2-30.other-zone", ip: "10.0.2.30", ready: "Unknown" },
    { name: "ip-10-0-3-40.other-zone", ip: "10.0.3.40", ready: "True" },
    { name: "ip-10-0-1-50.worker", ip: "10.0.1.50", ready: "Unknown", controlPlane: false },
  ]);
  const first = await c.remove();
  expect(first.stderr).toContain("lost predecessor");
  expect(first.code).toBe(0);
  expect(c.deletes()).toEqual(["delete node ip-10-0-1-20.old", "delete node ip-10-0-1-21.never-ready"]);
  expect(c.exists(ME)).toBe(true);
  expect(c.exists("ip-10-0-2-30.other-zone")).toBe(true);
  expect(c.exists("ip-10-0-1-50.worker")).toBe(true);

  const again = await c.remove();
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`no stale control-plane node in ${MY_SUBNET}`);
  expect(c.deletes()).toHaveLength(2);
});

test("a Ready node in my subnet is never deleted: logged loudly, the boot goes on", async () => {
  const c = cluster([
    { name: ME, ip: "10.0.1.10", ready: "True" },
    { name: "ip-10-0-1-20.alive", ip: "10.0.1.20", ready: "True" },
  ]);
  const r = await c.remove();
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/ip-10-0-1-20\.alive .*still READY/);
  expect(c.deletes()).toEqual([]);
  expect(c.exists("ip-10-0-1-20.alive")).toBe(true);
});

test("an API that cannot be listed fails the step (retried, then fatal), nothing deleted", async () => {
  const c = cluster([{ name: "ip-10-0-1-20.old", ip: "10.0.1.20", ready: "Unknown" }]);
  const r = await c.remove("/bin/false");
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("giving up after 3 attempts");
  expect(r.stderr).toContain("cannot list the control-plane nodes");
  expect(c.exists("ip-10-0-1-20.old")).toBe(true);
});

const MY_STABLE_IP = "10.0.1.5";

/** cluster(), plus remove_stale_control_plane_nodes with extra arguments (MY_STABLE_IP). */
function clusterWithArgs(nodes: NodeSpec[]) {
  const c = cluster(nodes);
  const dir = dirs[dirs.length - 1];
  if (dir === undefined) throw new Error("cluster() made no dir");
  const removeWith = (...extra: string[]) =>
    runLib(
      ["etcd-member.sh", "stale-nodes.sh"],
      'remove_stale_control_plane_nodes "$@"',
      [MY_SUBNET, ME, ...extra],
      {
        K8SHA_KUBECTL: join(dir, "kubectl"),
        K8SHA_ADMIN_KUBECONFIG: join(dir, "admin.conf"),
        FAKE_DIR: dir,
        K8SHA_RETRY_BASE: "0",
        K8SHA_RETRY_CAP: "0",
      },
    );
  return { ...c, removeWith };
}

// The kubelet registers with node-ip = the stable address, so the predecessor's Node (another
// name: a new instance has a new private DNS name) carries MY stable address while it still
// looks Ready (the node lifecycle controller has not marked the dead kubelet yet).
const STABLE_NODES: NodeSpec[] = [
  { name: ME, ip: MY_STABLE_IP, ready: "True" },
  { name: "ip-10-0-1-77.predecessor", ip: MY_STABLE_IP, ready: "True" },
  { name: "ip-10-0-1-30.alive", ip: "10.0.1.30", ready: "True" },
  { name: "ip-10-0-1-50.alive", ip: "10.0.1.50", ready: "True" }, // 10.0.1.5 is a prefix of it
  { name: "ip-10-0-2-5.other-zone", ip: "10.0.2.5", ready: "Unknown" },
];

test("with MY_STABLE_IP: a Ready node at my stable address is deleted; other Ready ones in my subnet are kept", async () => {
  const c = clusterWithArgs(STABLE_NODES);
  const r = await c.removeWith(MY_STABLE_IP);
  expect(r.code).toBe(0);
  expect(c.deletes()).toEqual(["delete node ip-10-0-1-77.predecessor"]);
  expect(r.stderr).toContain(
    `node ip-10-0-1-77.predecessor (${MY_STABLE_IP}) had my stable address ${MY_STABLE_IP}: this zone's lost predecessor`,
  );
  expect(r.stderr).toContain("deleting stale node ip-10-0-1-77.predecessor");
  for (const alive of ["ip-10-0-1-30.alive", "ip-10-0-1-50.alive"]) {
    expect(r.stderr).toMatch(
      new RegExp(`WARNING: control-plane node ${alive.replace(/\./g, "\\.")} .*still READY`),
    );
    expect(c.exists(alive)).toBe(true);
  }
  expect(r.stderr).not.toMatch(/ip-10-0-1-50\.alive .*stable address/);
  expect(c.exists(ME)).toBe(true);
  expect(c.exists("ip-10-0-2-5.other-zone")).toBe(true);
  expect(c.exists("ip-10-0-1-77.predecessor")).toBe(false);
});

test("without MY_STABLE_IP (old behaviour): the Ready node at that address is kept and warned about", async () => {
  const c = clusterWithArgs(STABLE_NODES);
  const r = await c.removeWith();
  expect(r.code).toBe(0);
  expect(c.deletes()).toEqual([]);
  expect(r.stderr).toMatch(/WARNING: control-plane node ip-10-0-1-77\.predecessor .*still READY/);
  expect(r.stderr).not.toContain("had my stable address");
  expect(r.stderr).toContain(`no stale control-plane node in ${MY_SUBNET}`);
  expect(c.exists("ip-10-0-1-77.predecessor")).toBe(true);
});
