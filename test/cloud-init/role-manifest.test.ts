/**
 * The role manifests (cloud-init/roles.ts) against the scripts themselves: every library is
 * shipped to some role, and what a role's scripts source (its entry script, boot-env.sh, which
 * sources every shipped library, those libraries in turn, its operator scripts) and the library
 * functions they call are all in that role's bundle. The `source`/`.` lines are parsed from the
 * scripts, so a new `. "$lib/x.sh"` or a call into a library the role lacks fails here, not on
 * a node.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BOOT_SCRIPT_DIR, ENTRY_PROLOGUE, OPERATOR_SCRIPT_DIR } from "../../cloud-init/render-files";
import { BOOT_ROLES, type BootRole, ROLE_MANIFESTS, roleManifest } from "../../cloud-init/roles";

const LIB_DIR = join(BOOT_SCRIPT_DIR, "lib");
const libraryFiles = readdirSync(LIB_DIR).filter((n) => n.endsWith(".sh"));

/** What a `source`/`.` statement loads. */
type Sourced =
  | { kind: "library"; name: string }
  | { kind: "all-libraries" }
  | { kind: "prologue" }
  | { kind: "settings" }
  | { kind: "unknown"; text: string };

/** The code of a script without its comment lines. */
function code(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line));
}

/**
 * Every `source X` / `. X` in `path`, also inside strings (the backup unit's ExecStart), each
 * resolved to what it loads. The statement ends at `&&`, `||`, `;` or a closing quote. A
 * `. "$VAR"` whose VAR is a `for VAR in WORDS` loop's loads each of the WORDS.
 */
function sourcedBy(path: string): Sourced[] {
  const found: Sourced[] = [];
  const loops = new Map<string, string[]>();
  for (const line of code(path)) {
    const loop = /\bfor (\w+) in (.+?); do\b/.exec(line);
    if (loop?.[1] && loop[2]) loops.set(loop[1], loop[2].trim().split(/\s+/));
    for (const m of line.matchAll(/(?:^|[\s;&|('])(?:source|\.)\s+(["']?[$/][^;&|]*)/g)) {
      const target = (m[1] ?? "").split(/&&|\|\||;|' /)[0]?.trim() ?? "";
      const variable = /^"?\$\{?(\w+)\}?"?$/.exec(target)?.[1];
      const words = variable ? loops.get(variable) : undefined;
      found.push(...(words ? words.map(resolve) : [resolve(target)]));
    }
  }
  return found;
}

/** What a statement's target names: node settings (node.env, a service's env file), the shipped libraries, one library, boot-env.sh. */
function resolve(target: string): Sourced {
  if (/\$\{?(K8SHA_NODE_ENV|env_file|backup_env)\b/.test(target)) return { kind: "settings" };
  if (/(lib|LIB_DIR)\}?"?\/\*\.sh"?$/.test(target)) return { kind: "all-libraries" };
  if (target.endsWith(`/${ENTRY_PROLOGUE}"`)) return { kind: "prologue" };
  const lib = /(?:\$\{?lib\}?|\$\{?K8SHA_LIB_DIR\}?)\/([a-z0-9-]+\.sh)"?$/.exec(target);
  if (lib?.[1]) return { kind: "library", name: lib[1] };
  return { kind: "unknown", text: target };
}

/** The libraries a role's scripts load, following each library's own `source` lines. */
function loadedBy(role: BootRole): { libraries: Set<string>; problems: string[] } {
  const manifest = roleManifest(role);
  const shipped = new Set(manifest.libraries);
  const libraries = new Set<string>();
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, label: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const s of sourcedBy(path)) {
      if (s.kind === "settings") continue;
      if (s.kind === "unknown") problems.push(`${label} sources ${s.text}, which is no shipped file`);
      else if (s.kind === "prologue") visit(join(BOOT_SCRIPT_DIR, ENTRY_PROLOGUE), ENTRY_PROLOGUE);
      else {
        const names = s.kind === "all-libraries" ? [...shipped] : [s.name];
        for (const name of names) {
          if (!shipped.has(name))
            problems.push(`${label} sources lib/${name}, which the ${role} bundle lacks`);
          else {
            libraries.add(name);
            visit(join(LIB_DIR, name), `lib/${name}`);
          }
        }
      }
    }
  };
  visit(join(BOOT_SCRIPT_DIR, manifest.entry), manifest.entry);
  for (const tool of manifest.operatorScripts) visit(join(OPERATOR_SCRIPT_DIR, tool.source), tool.source);
  return { libraries, problems };
}

/** Function name -> the library that defines it. */
const definedIn = new Map<string, string>();
for (const lib of libraryFiles)
  for (const line of code(join(LIB_DIR, lib))) {
    const name = /^([A-Za-z_][A-Za-z0-9_]*)\(\) \{/.exec(line)?.[1];
    if (name) definedIn.set(name, lib);
  }

it("ships every library under cloud-init/lib to at least one role", () => {
  const listed = new Set<string>(Object.values(ROLE_MANIFESTS).flatMap((m) => [...m.libraries]));
  expect(libraryFiles.filter((name) => !listed.has(name))).toEqual([]);
  // ... and lists only libraries that exist.
  expect([...listed].filter((name) => !libraryFiles.includes(name))).toEqual([]);
});

it("parses the source lines it must follow", () => {
  const entry = (name: string) => join(BOOT_SCRIPT_DIR, name);
  expect(sourcedBy(entry("master-boot.sh"))).toEqual([{ kind: "prologue" }]);
  expect(sourcedBy(entry(ENTRY_PROLOGUE))).toEqual([{ kind: "settings" }, { kind: "all-libraries" }]);
  expect(sourcedBy(join(LIB_DIR, "etcd-backup-timer.sh"))).toEqual(
    ["common.sh", "etcd-tools.sh", "etcd-backup.sh"].map((name) => ({ kind: "library", name })),
  );
});

describe.each(BOOT_ROLES)("the %s role", (role) => {
  const manifest = roleManifest(role);

  it("has the entry script the bootstrap starts (bin/<role>-boot.sh) and existing operator scripts", () => {
    expect(manifest.entry).toBe(`${role}-boot.sh`);
    expect(() => readFileSync(join(BOOT_SCRIPT_DIR, manifest.entry))).not.toThrow();
    for (const tool of manifest.operatorScripts)
      expect(() => readFileSync(join(OPERATOR_SCRIPT_DIR, tool.source))).not.toThrow();
  });

  it("sources only libraries its bundle ships, through the entry, its libraries and its operator scripts", () => {
    const { libraries, problems } = loadedBy(role);
    expect(problems).toEqual([]);
    expect([...libraries].sort()).toEqual([...manifest.libraries].sort());
  });

  it("calls no library function that is defined in a library it does not ship", () => {
    const shipped = new Set(manifest.libraries);
    const scripts = [
      join(BOOT_SCRIPT_DIR, manifest.entry),
      ...manifest.libraries.map((lib) => join(LIB_DIR, lib)),
      ...manifest.operatorScripts.map((tool) => join(OPERATOR_SCRIPT_DIR, tool.source)),
    ];
    const missing = scripts.flatMap((path) => {
      const text = code(path).join("\n");
      return [...definedIn]
        .filter(([name, lib]) => !shipped.has(lib) && new RegExp(`(^|[^\\w-])${name}($|[^\\w-])`).test(text))
        .map(([name, lib]) => `${path.replace(`${BOOT_SCRIPT_DIR}/`, "")} calls ${name} (${lib})`);
    });
    expect(missing).toEqual([]);
  });
});

/** The dedicated etcd node's own libraries (external topology): a master runs no etcd of its own there. */
const ETCD_NODE_ONLY = ["etcd-node.sh", "etcd-node-join.sh", "etcd-node-renewal.sh"];

it("gives masters what they always had: every library but the etcd node's, etcd-restore, k8sha-control-plane and k8sha-validate", () => {
  expect([...ROLE_MANIFESTS.master.libraries].sort()).toEqual(
    [...libraryFiles].filter((f) => !ETCD_NODE_ONLY.includes(f)).sort(),
  );
  expect(ROLE_MANIFESTS.master.operatorScripts).toEqual([
    { source: "etcd-restore.sh", name: "etcd-restore" },
    { source: "k8sha-control-plane.sh", name: "k8sha-control-plane" },
    { source: "k8sha-validate.sh", name: "k8sha-validate" },
  ]);
});

it("gives the etcd node no kubeadm, kubelet, container runtime or Kubernetes library", () => {
  const etcd: readonly string[] = ROLE_MANIFESTS.etcd.libraries;
  const kubernetesOnly = [
    "kubeadm.sh",
    "prereqs.sh",
    "cni.sh",
    "addons.sh",
    "stale-nodes.sh",
    "boot-mode.sh",
  ];
  // The health report reads certificates with cert-expiry.sh; kubeadm's renewal stays on masters.
  for (const lib of [...kubernetesOnly, "cert-renewal.sh", "cert-renewal-timer.sh"]) {
    expect(etcd).not.toContain(lib);
  }
  for (const lib of ETCD_NODE_ONLY) expect(etcd).toContain(lib);
});
