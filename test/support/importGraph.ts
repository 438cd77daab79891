/**
 * The project's own import graph, read from the sources: every relative `import ... from`,
 * `export ... from` and `require(...)` of every TypeScript file under the given directories.
 * Used by the layering test; kept separate so the checks can be tried on made-up graphs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** file (relative to the root, without extension) -> the project files it imports. */
export type ImportGraph = Map<string, Set<string>>;

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|require\(\s*"(\.[^"]+)"\s*\)/g;

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : tsFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function resolveModule(root: string, fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate)) return path.relative(root, candidate).replace(/\.ts$/, "");
  }
  return undefined;
}

export function readImportGraph(root: string, entries: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = entries.flatMap((entry) => {
    const full = path.join(root, entry);
    return fs.statSync(full).isDirectory() ? tsFiles(full) : [full];
  });
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    const targets = new Set<string>();
    for (const m of source.matchAll(IMPORT)) {
      const target = resolveModule(root, file, m[1] ?? m[2]);
      if (target !== undefined) targets.add(target);
    }
    graph.set(path.relative(root, file).replace(/\.ts$/, ""), targets);
  }
  return graph;
}

/** Every import cycle, each as the files on it (Tarjan's strongly connected components). */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** `from -> to` for every import that leaves the layers `allowed` permits for `from`'s layer. */
export function layerViolations(
  graph: ImportGraph,
  allowed: Readonly<Record<string, readonly string[]>>,
): string[] {
  const layerOf = (file: string) => file.split("/")[0];
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const permitted = allowed[layerOf(from)];
    if (permitted === undefined) continue;
    for (const to of targets) {
      const layer = layerOf(to);
      if (layer !== layerOf(from) && !permitted.includes(layer)) found.push(`${from} -> ${to}`);
    }
  }
  return found.sort();
}
