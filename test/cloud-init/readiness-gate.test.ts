/**
 * Runs the real scripts/readiness-gate.sh (real curl, real TLS, real node JSON parsing) against
 * a Node HTTPS server on 127.0.0.1 that imitates kube-apiserver's /readyz and /api/v1/nodes and,
 * like the API server behind the NLB, asks for a client certificate signed by the cluster CA.
 * Certificates come from openssl in a temp dir. Poll interval 1 s so each case takes seconds.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { POOL_LABEL } from "../../base/labels";
import { readinessGateProgram } from "../../components/readinessGate";

const SCRIPT = path.resolve(__dirname, "../../scripts/readiness-gate.sh");
let dir = "";
const pem = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, and a leaf signed by it (server with an IP SAN, or a client with a subject). */
function makeCa(name: string) {
  openssl(
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${name}`],
  );
}
function makeLeaf(name: string, ca: string, subject: string, ext: string) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    ...["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject],
  );
  openssl(
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`],
    ...["-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`],
  );
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
  makeCa("cluster-ca");
  makeCa("other-ca");
  makeLeaf("apiserver", "cluster-ca", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1\n");
  makeLeaf(
    "admin",
    "cluster-ca",
    "/O=kubeadm:cluster-admins/CN=kubernetes-admin",
    "extendedKeyUsage=clientAuth\n",
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface FakeNode {
  name: string;
  ready: boolean;
  master?: boolean;
  pool?: string;
}
const nodeList = (nodes: FakeNode[]) => ({
  kind: "NodeList",
  items: nodes.map((n) => ({
    metadata: {
      name: n.name,
      labels: n.master ? { "node-role.kubernetes.io/control-plane": "" } : { [POOL_LABEL]: n.pool },
    },
    status: { conditions: [{ type: "Ready", status: n.ready ? "True" : "False" }] },
  })),
});
const masters = (ready: boolean[]) =>
  ready.map((r, i) => ({ name: `master-${"abc"[i]}`, ready: r, master: true }));
const workers = (pool: string, ready: boolean[]) =>
  ready.map((r, i) => ({ name: `${pool}-${i}`, ready: r, pool }));

/** Script behaviour per request: n counts calls to that path, starting at 0. */
type Api = { readyz(n: number): boolean; nodes(n: number): FakeNode[] };

async function runGate(api: Api, env: Record<string, string>, argv: string[] = [SCRIPT]) {
  const seen: string[] = [];
  const counts = new Map<string, number>();
  const server = https.createServer(
    { key: pem("apiserver.key"), cert: pem("apiserver.crt"), ca: pem("cluster-ca.crt"), requestCert: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push(`${req.url} ${(req.socket as TLSSocket).authorized ? peer.subject.CN : "anonymous"}`);
      const n = counts.get(req.url ?? "") ?? 0;
      counts.set(req.url ?? "", n + 1);
      if (req.url === "/readyz") {
        const ok = api.readyz(n);
        res.writeHead(ok ? 200 : 500).end(ok ? "ok" : "[-]etcd failed: reason withheld\nreadyz check failed");
      } else if (req.url === "/api/v1/nodes") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(nodeList(api.nodes(n))));
      } else res.writeHead(404).end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const started = Date.now();
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn("bash", argv, {
      env: {
        PATH: process.env.PATH,
        K8SHA_GATE_SERVER: `https://127.0.0.1:${port}`,
        K8SHA_GATE_MASTERS: "3",
        K8SHA_GATE_POOLS: "general=2,spot=0",
        K8SHA_GATE_POOL_LABEL: POOL_LABEL,
        K8SHA_GATE_CA_PEM: pem("cluster-ca.crt"),
        K8SHA_GATE_CERT_PEM: pem("admin.crt"),
        K8SHA_GATE_KEY_PEM: pem("admin.key"),
        K8SHA_GATE_INTERVAL_SECONDS: "1",
        K8SHA_GATE_TIMEOUT_SECONDS: "10",
        K8SHA_GATE_REQUEST_SECONDS: "2",
        ...env,
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
  await new Promise((resolve) => server.close(resolve));
  return { ...result, seen, seconds: (Date.now() - started) / 1000 };
}

test("ready at once: passes on the first poll, authenticating with the admin client certificate", async () => {
  // A curl wrapper records its argv so we can prove no key material is on a command line.
  const argvLog = path.join(dir, "curl-argv.log");
  const wrapper = path.join(dir, "curl-wrapper");
  fs.writeFileSync(wrapper, `#!/usr/bin/env bash\necho "$*" >>"${argvLog}"\nexec curl "$@"\n`, {
    mode: 0o755,
  });
  const r = await runGate(
    {
      readyz: () => true,
      nodes: () => [...masters([true, true, true]), ...workers("general", [true, true])],
    },
    { K8SHA_CURL: wrapper },
  );
  expect(r.out).toContain("progress: control-plane 3/3 Ready; pool general 2/2 Ready; pool spot 0/0 Ready");
  expect(r.out).toContain("readiness gate passed");
  expect(r.code).toBe(0);
  expect(r.seen).toEqual(["/readyz kubernetes-admin", "/api/v1/nodes kubernetes-admin"]);
  const argv = fs.readFileSync(argvLog, "utf8");
  expect(argv).toContain("--cert ");
  expect(argv).not.toContain("BEGIN");
});

test("not ready, then ready: prints progress lines and passes once every group is Ready", async () => {
  const r = await runGate(
    {
      readyz: (n) => n >= 1,
      nodes: (n) =>
        n === 0
          ? [...masters([true, false]), ...workers("general", [false])]
          : [...masters([true, true, true]), ...workers("general", [true, true, false])],
    },
    {},
  );
  expect(r.out).toContain("progress: API not ready yet (/readyz answered HTTP 500");
  expect(r.out).toContain("progress: control-plane 1/3 Ready; pool general 0/2 Ready");
  expect(r.out).toContain("progress: control-plane 3/3 Ready; pool general 2/2 Ready");
  expect(r.code).toBe(0);
});

test("never ready: times out within the bound and names the missing nodes and pools", async () => {
  const r = await runGate(
    { readyz: () => true, nodes: () => [...masters([true, true, false]), ...workers("general", [false])] },
    { K8SHA_GATE_TIMEOUT_SECONDS: "2" },
  );
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("readiness gate timed out after 2s");
  expect(r.out).toContain("control-plane: 2/3 Ready; not Ready: master-c");
  expect(r.out).toContain("pool general: 0/2 Ready; not Ready: general-0; 1 not registered yet");
  expect(r.out).not.toContain("pool spot:");
  expect(r.seconds).toBeLessThan(6);
});

test("wrong CA: fails at once with a clear TLS message instead of waiting for the timeout", async () => {
  const r = await runGate(
    { readyz: () => true, nodes: () => masters([true, true, true]) },
    { K8SHA_GATE_CA_PEM: "", K8SHA_GATE_CA_FILE: path.join(dir, "other-ca.crt") },
  );
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("is not trusted by the given cluster CA");
  expect(r.seen).toEqual([]);
  expect(r.seconds).toBeLessThan(3);
});

test("bad settings are refused before any request", async () => {
  const r = await runGate(
    { readyz: () => true, nodes: () => [] },
    { K8SHA_GATE_SERVER: "http://127.0.0.1:1", K8SHA_GATE_POOLS: "General=x" },
  );
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("K8SHA_GATE_SERVER must be https://host:port");
  expect(r.seen).toEqual([]);
});

test("without the pool label the gate refuses to start instead of counting no worker", async () => {
  const r = await runGate({ readyz: () => true, nodes: () => [] }, { K8SHA_GATE_POOL_LABEL: "" });
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("K8SHA_GATE_POOL_LABEL must be a label key");
  expect(r.seen).toEqual([]);
});

test("the inline program the ReadinessGate component runs (common.sh + script via bash -c) behaves the same", async () => {
  const r = await runGate(
    {
      readyz: () => true,
      nodes: () => [...masters([true, true, true]), ...workers("general", [true, true])],
    },
    {},
    ["-c", readinessGateProgram()],
  );
  expect(r.out).toContain("readiness gate passed: control-plane 3/3 Ready; pool general 2/2 Ready");
  expect(r.code).toBe(0);
});
