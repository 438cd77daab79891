/**
 * `npm ci` refuses a lockfile that misses any optional dependency of a locked package, even one
 * for another platform. The development registry serves only this platform's binaries, so
 * `npm install` here drops those entries; scripts/complete-lockfile.js restores them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface LockPackage {
  optionalDependencies?: Record<string, string>;
}

test("every optional dependency of a locked package has a lockfile entry (npm ci accepts it)", () => {
  const lock = JSON.parse(readFileSync(join(__dirname, "..", "..", "package-lock.json"), "utf8")) as {
    packages: Record<string, LockPackage>;
  };
  const missing: string[] = [];
  for (const [key, pkg] of Object.entries(lock.packages)) {
    const parentDir = key.startsWith("node_modules/") ? key.slice(0, key.lastIndexOf("node_modules/")) : "";
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      if (!lock.packages[`${parentDir}node_modules/${dep}`] && !lock.packages[`node_modules/${dep}`]) {
        missing.push(`${dep} (optional dependency of ${key || "the project"})`);
      }
    }
  }
  expect(missing).toEqual([]);
});
