#!/usr/bin/env node
/**
 * Adds the lockfile entries npm leaves out when the registry it resolved against serves only
 * this machine's platform binaries (the development mirror answers 404 for e.g.
 * @biomejs/cli-darwin-arm64). Without them `npm ci` refuses the lockfile ("Missing: ... from
 * lock file") everywhere, even on a full registry. Each entry is marked optional with the os/cpu
 * (and libc) encoded in its package name, so npm skips it on other platforms without fetching.
 *
 * Run after any `npm install` that rewrote package-lock.json:  node scripts/complete-lockfile.js
 */
const fs = require("node:fs");
const path = require("node:path");

const LOCK = path.join(__dirname, "..", "package-lock.json");
const OSES = [
  "android",
  "darwin",
  "linux",
  "win32",
  "freebsd",
  "openharmony",
  "netbsd",
  "openbsd",
  "sunos",
  "aix",
];
const CPUS = ["arm64", "x64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "wasm32"];

/** os/cpu/libc from a platform package name such as core-linux-arm-gnueabihf or cli-linux-x64-musl. */
function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OSES.includes(p));
  const cpu = parts.find((p) => CPUS.includes(p));
  if (!os || !cpu) return undefined;
  const entry = { os: [os], cpu: [cpu] };
  if (os === "linux") {
    if (parts.some((p) => p.startsWith("musl"))) entry.libc = ["musl"];
    else if (parts.some((p) => p.startsWith("gnu"))) entry.libc = ["glibc"];
  }
  return entry;
}

const lock = JSON.parse(fs.readFileSync(LOCK, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    // npm hoists these next to their parent's top-level folder.
    const parentDir = key.startsWith("node_modules/") ? key.slice(0, key.lastIndexOf("node_modules/")) : "";
    const target = `${parentDir}node_modules/${dep}`;
    if (packages[target] || packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform) continue; // not a platform binary: leave it for npm to resolve
    packages[target] = { version, ...(pkg.dev ? { dev: true } : {}), optional: true, ...platform };
    added += 1;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`complete-lockfile: added ${added} platform entries\n`);
