/**
 * The add-on applier (cloud-init/lib/addons.sh), run for real by bash. Real: two etcd 3.4
 * members on loopback (who leads decides who acts), the AWS CLI downloading the manifest from
 * s3rver, sha256sum, and the add-on manifest the project renders (addons/render.ts). Faked,
 * because they need AWS or a cluster: SSM GetParameter (a shim in front of the real CLI, answering
 * from a file or with ParameterNotFound) and the API server (test/support/fakes/kubectl-addons,
 * which decodes what is applied with the real kubectl). The timer that runs it: addons-timer.test.ts.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addonManifestBundle, renderAddonManifests } from "../../addons/render";
import { ADDON_LABEL, ADDON_NAMESPACE, type AddonManifestPointer } from "../../base/addons";
import { addonsParameterName } from "../../base/ssmPaths";
import { addonInput } from "../addons/fixtures";
import { type EtcdMemberSpec, EtcdTestCluster, run } from "../support/etcdCluster";
import { FAKES_DIR, runLib } from "../support/fakes/bashLib";
import { AWS_CLI, S3TestServer } from "../support/s3";

const FAKE_KUBECTL = join(FAKES_DIR, "kubectl-addons");
const PARAMETER = addonsParameterName("prod-eu");
const MEMBERS: EtcdMemberSpec[] = [
  { name: "master-a", ip: "127.0.88.1" },
  { name: "master-b", ip: "127.0.88.2" },
];
const NOW = 1_800_000_000;

let cluster: EtcdTestCluster;
let leader: EtcdMemberSpec;
let follower: EtcdMemberSpec;
let s3: S3TestServer;
const dirs: string[] = [];
/** Every add-on's objects, as `pulumi up` uploads them. */
const bundle = addonManifestBundle(renderAddonManifests(addonInput()));
const KEY = `prod-eu/addons/${bundle.sha256}.yaml`;

beforeAll(async () => {
  s3 = await S3TestServer.start("k8sha-test-addons");
  await s3.putObject(KEY, Buffer.from(bundle.content));
  cluster = await EtcdTestCluster.create({ clientPort: 25879, peerPort: 25880 });
  await cluster.startNew(MEMBERS);
  for (const m of MEMBERS) {
    const status = await cluster.etcdctlOk(["endpoint", "status", "-w", "json"], [cluster.clientUrl(m.ip)]);
    if (/"member_id":(\d+)/.exec(status)?.[1] === /"leader":(\d+)/.exec(status)?.[1]) leader = m;
  }
  const other = MEMBERS.find((m) => m !== leader);
  if (!leader || !other) throw new Error("no etcd leader");
  follower = other;
}, 30000);

afterAll(async () => {
  await cluster?.cleanup();
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An object as the fake API server keeps it, with its field manager. */
interface Stored {
  object: {
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    data?: Record<string, string>;
  };
  manager: string;
}

function pointer(overrides: Partial<AddonManifestPointer> = {}): AddonManifestPointer {
  return {
    bucket: s3.bucket,
    key: KEY,
    sha256: bundle.sha256,
    enabled: ["cloudControllerManager", "ebsCsiDriver", "clusterAutoscaler", "nodeTerminationHandler"],
    disabled: [],
    ...overrides,
  };
}

/** A master's view: SSM holds `ssm` (absent: no parameter), the API server holds `objects`. */
function scenario(opts: { ssm?: AddonManifestPointer | string; objects?: Stored[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-addons-"));
  dirs.push(dir);
  if (opts.ssm !== undefined)
    writeFileSync(join(dir, "parameter"), typeof opts.ssm === "string" ? opts.ssm : JSON.stringify(opts.ssm));
  writeFileSync(join(dir, "objects.json"), JSON.stringify(opts.objects ?? []));
  // SSM is not s3rver's: GetParameter answers from the file, or as SSM does for a missing name.
  const shim = join(dir, "aws");
  writeFileSync(
    shim,
    `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"${dir}/aws-calls"
if [[ "$1 $2" == "ssm get-parameter" ]]; then
  if [[ -f "${dir}/ssm-error" ]]; then cat "${dir}/ssm-error" >&2; exit 254; fi
  [[ "$4" == "${PARAMETER}" && -f "${dir}/parameter" ]] || {
    echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; }
  cat "${dir}/parameter"; echo; exit 0
fi
exec ${AWS_CLI} "$@"
`,
  );
  chmodSync(shim, 0o755);
  const read = <T>(name: string): T => JSON.parse(readFileSync(join(dir, name), "utf8")) as T;
  const lines = (name: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").trim().split("\n") : [];
  const applier = (member: EtcdMemberSpec, env: Record<string, string> = {}) =>
    runLib(["etcd-tools.sh", "etcd-backup.sh", "leader.sh", "addons.sh"], "addons_apply_once", [], {
      ...cluster.tlsEnv(),
      ...s3.awsEnv(),
      K8SHA_AWS: shim,
      K8SHA_ETCD_ENDPOINT: cluster.clientUrl(member.ip),
      ADDONS_PARAMETER: PARAMETER,
      K8SHA_KUBECTL: FAKE_KUBECTL,
      K8SHA_ADMIN_KUBECONFIG: join(dir, "admin.conf"),
      K8SHA_ADDONS_WORK_DIR: join(dir, "work"),
      K8SHA_ADDONS_NOW: String(NOW),
      FAKE_DIR: dir,
      ...env,
    });
  return {
    dir,
    applier,
    objects: () => read<Stored[]>("objects.json"),
    kubectlCalls: () => lines("calls"),
    awsCalls: () => lines("aws-calls"),
  };
}

const record = (sha: string, appliedAt: string): Stored => ({
  object: {
    kind: "ConfigMap",
    metadata: { name: "k8sha-addons", namespace: ADDON_NAMESPACE },
    data: { sha256: sha, appliedAt },
  },
  manager: "k8sha-addons",
});
const applies = (calls: string[]) => calls.filter((c) => c.startsWith("kubectl apply"));

test("no parameter yet (a cluster before pulumi up wrote it): success, nothing applied", async () => {
  const s = scenario();
  const r = await s.applier(leader);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain(`${PARAMETER} does not exist yet`);
  expect(s.awsCalls()).toEqual([
    `ssm get-parameter --name ${PARAMETER} --query Parameter.Value --output text`,
  ]);
  expect(s.kubectlCalls()).toEqual([]);
});

test("any other SSM error fails the run after bounded retries, nothing applied", async () => {
  const s = scenario({ ssm: pointer() });
  writeFileSync(
    join(s.dir, "ssm-error"),
    "An error occurred (AccessDeniedException) when calling the GetParameter operation",
  );
  const r = await s.applier(leader);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("AccessDeniedException");
  expect(s.awsCalls()).toHaveLength(3); // FAST_RETRY: 3 attempts
  expect(s.kubectlCalls()).toEqual([]);
});

test("an object whose sha256 is not the pointer's is refused: nothing applied, nothing recorded", async () => {
  const s = scenario({ ssm: pointer({ sha256: "0".repeat(64) }) });
  const r = await s.applier(leader);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`its sha256 is ${bundle.sha256}, the pointer says ${"0".repeat(64)}`);
  expect(applies(s.kubectlCalls())).toEqual([]);
  expect(s.objects()).toEqual([]);
});

test("a malformed pointer is refused before any download", async () => {
  const s = scenario({ ssm: JSON.stringify({ ...pointer(), disabled: ["x; rm -rf /"] }) });
  const r = await s.applier(leader);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("not an add-on manifest pointer");
  expect(s.awsCalls().filter((c) => c.includes("s3api"))).toEqual([]);
  expect(s.kubectlCalls()).toEqual([]);
});

test("a good manifest is applied server-side under the field manager, over hand edits, and recorded", async () => {
  // A hand edit of one add-on object: the applier takes its fields back (--force-conflicts).
  const edited: Stored = {
    object: {
      kind: "ServiceAccount",
      metadata: { name: "cloud-controller-manager", namespace: ADDON_NAMESPACE },
    },
    manager: "kubectl-edit",
  };
  const s = scenario({ ssm: pointer(), objects: [edited] });
  const r = await s.applier(leader);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain("sha256 verified");
  const calls = s.kubectlCalls();
  expect(applies(calls)[0]).toMatch(
    /^kubectl apply --server-side --field-manager=k8sha-addons --force-conflicts -f \S+\/manifest\.yaml$/,
  );
  const objects = s.objects();
  const kinds = new Set(bundle.content.match(/^kind: (\w+)$/gm)?.map((l) => l.slice(6)));
  const applied = objects.filter((o) => o.object.kind !== "ConfigMap");
  expect(new Set(applied.map((o) => o.object.kind))).toEqual(kinds);
  expect(applied.length).toBe((bundle.content.match(/^kind: /gm) ?? []).length);
  expect(new Set(objects.map((o) => o.manager))).toEqual(new Set(["k8sha-addons"]));
  const cm = objects.find((o) => o.object.kind === "ConfigMap")?.object;
  expect(cm?.metadata).toEqual({ name: "k8sha-addons", namespace: ADDON_NAMESPACE });
  expect(cm?.data).toEqual({
    sha256: bundle.sha256,
    key: KEY,
    appliedAt: new Date(NOW * 1000).toISOString().replace(".000", ""),
  });
  // The record comes last: a failed apply never looks done.
  expect(applies(calls)).toHaveLength(2);
  expect(applies(calls)[1]).toMatch(/-f \S+\/record\.json$/);
});

test("the same sha256 applied less than an hour ago: nothing applied, nothing downloaded", async () => {
  const recent = new Date((NOW - 600) * 1000).toISOString();
  const s = scenario({ ssm: pointer(), objects: [record(bundle.sha256, recent)] });
  const r = await s.applier(leader);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain("applied less than 60 min ago; nothing to do");
  expect(applies(s.kubectlCalls())).toEqual([]);
  expect(s.awsCalls().filter((c) => c.includes("s3api"))).toEqual([]);
});

test("the same sha256 applied over an hour ago, or another sha256, is applied again", async () => {
  for (const rec of [
    record(bundle.sha256, new Date((NOW - 3700) * 1000).toISOString()),
    record("ab".repeat(32), new Date(NOW * 1000).toISOString()),
  ]) {
    const s = scenario({ ssm: pointer(), objects: [rec] });
    const r = await s.applier(leader);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(applies(s.kubectlCalls())).toHaveLength(2);
  }
});

test("a disabled add-on's labelled objects are deleted, across every kind, others kept", async () => {
  const labelled = (kind: string, name: string, addon: string, namespace?: string): Stored => ({
    object: {
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}), labels: { [ADDON_LABEL]: addon } },
    },
    manager: "k8sha-addons",
  });
  const ntm = [
    labelled("DaemonSet", "aws-node-termination-handler", "nodeTerminationHandler", ADDON_NAMESPACE),
    labelled("ServiceAccount", "aws-node-termination-handler", "nodeTerminationHandler", ADDON_NAMESPACE),
    labelled("ClusterRole", "aws-node-termination-handler", "nodeTerminationHandler"),
    labelled("ClusterRoleBinding", "aws-node-termination-handler", "nodeTerminationHandler"),
  ];
  // Another namespace's object with the same label is not an add-on object of this cluster's.
  const elsewhere = labelled(
    "ServiceAccount",
    "aws-node-termination-handler",
    "nodeTerminationHandler",
    "default",
  );
  const manifest = addonManifestBundle(
    renderAddonManifests(addonInput({ enabled: { ...addonInput().enabled, nodeTerminationHandler: false } })),
  );
  const key = `prod-eu/addons/${manifest.sha256}.yaml`;
  await s3.putObject(key, Buffer.from(manifest.content));
  const s = scenario({
    ssm: pointer({ key, sha256: manifest.sha256, disabled: ["nodeTerminationHandler"] }),
    objects: [...ntm, elsewhere],
  });
  const r = await s.applier(leader);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const left = s.objects();
  expect(left.filter((o) => o.object.metadata.labels?.[ADDON_LABEL] === "nodeTerminationHandler")).toEqual([
    elsewhere,
  ]);
  expect(left.some((o) => o.object.kind === "Deployment")).toBe(true);
  const deletes = s.kubectlCalls().filter((c) => c.includes(" delete "));
  expect(deletes).toEqual([
    expect.stringMatching(
      new RegExp(
        `^kubectl -n ${ADDON_NAMESPACE} delete \\S+ -l ${ADDON_LABEL}=nodeTerminationHandler --ignore-not-found$`,
      ),
    ),
  ]);
});

test("every add-on off: an empty manifest is not applied (kubectl refuses no objects), all four are deleted, recorded", async () => {
  const off = {
    cloudControllerManager: false,
    ebsCsiDriver: false,
    clusterAutoscaler: false,
    nodeTerminationHandler: false,
  };
  const manifest = addonManifestBundle(renderAddonManifests(addonInput({ enabled: off })));
  expect(manifest.content).toBe("");
  const key = `prod-eu/addons/${manifest.sha256}.yaml`;
  await s3.putObject(key, Buffer.from(manifest.content));
  const s = scenario({
    ssm: pointer({
      key,
      sha256: manifest.sha256,
      enabled: [],
      disabled: ["cloudControllerManager", "ebsCsiDriver", "clusterAutoscaler", "nodeTerminationHandler"],
    }),
  });
  const r = await s.applier(leader);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toMatch(/holds no objects/);
  expect(applies(s.kubectlCalls()).some((c) => /manifest\.yaml/.test(c))).toBe(false);
  const deletes = s.kubectlCalls().filter((c) => c.includes(" delete "));
  expect(deletes).toHaveLength(4);
  const recorded = s
    .objects()
    .find((o) => o.object.kind === "ConfigMap" && o.object.metadata.name === "k8sha-addons");
  expect(recorded?.object.data?.sha256).toBe(manifest.sha256);
});

test("the deletion covers every kind an add-on manifest holds (addons/ rendered with everything on)", async () => {
  const r = await run("bash", [
    "-c",
    `source ${join(__dirname, "../../cloud-init/lib/addons.sh")}; printf '%s\\n' "\${ADDON_RESOURCE_TYPES[@]}"`,
  ]);
  const listed = new Set(r.stdout.trim().split("\n"));
  const resourceOf = (apiVersion: string, kind: string) => {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const plural = `${kind.toLowerCase()}${kind.endsWith("s") ? "es" : "s"}`;
    return group ? `${plural}.${group}` : plural;
  };
  const used = renderAddonManifests(addonInput()).flatMap((m) =>
    m.objects.map((o) => resourceOf(o.apiVersion, o.kind)),
  );
  expect(used.length).toBeGreaterThan(10);
  expect([...new Set(used)].filter((t) => !listed.has(t))).toEqual([]);
});

test("a follower does nothing: no SSM read, no kubectl call", async () => {
  const s = scenario({ ssm: pointer() });
  const r = await s.applier(follower);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain("not the etcd leader");
  expect(s.awsCalls()).toEqual([]);
  expect(s.kubectlCalls()).toEqual([]);
});

test("an unreachable API fails the run (the unit shows failed) and records nothing", async () => {
  const s = scenario({ ssm: pointer() });
  writeFileSync(join(s.dir, "api-down"), "");
  const r = await s.applier(leader);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("connection to the server was refused");
  expect(s.objects()).toEqual([]);
});
