/**
 * The project's component rules, checked on the source with the TypeScript parser (no type
 * check, ~1 s): `k8sha:<module>:<Type>` tokens, `registerOutputs`, documented Args, defaults
 * only from components/defaults.ts, no `pulumi.Config`, no `any`, no `@ts-ignore`, files of at
 * most 300 lines. The graph tests prove `{ parent: this }` on the resources actually registered.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");
const MAX_LINES = 300;

/** Every .ts file under the given project folders (plus top-level files named directly). */
function sources(...entries: string[]): string[] {
  return entries.flatMap((entry) => {
    const full = path.join(ROOT, entry);
    if (!fs.statSync(full).isDirectory()) return [entry];
    return fs
      .readdirSync(full, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => path.join(entry, f));
  });
}

const parse = (file: string) =>
  ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

const COMPONENTS = sources("components");
const PULUMI_SIDE = sources(
  "components",
  "config",
  "synth",
  "policy",
  "provider",
  "examples",
  "program.ts",
  "index.ts",
);

/** `super("<token>", ...)` calls of classes extending pulumi.ComponentResource. */
function componentTokens(file: string): string[] {
  const tokens: string[] = [];
  walk(parse(file), (n) => {
    if (!ts.isClassDeclaration(n)) return;
    const base = n.heritageClauses?.flatMap((h) => h.types.map((t) => t.expression.getText())) ?? [];
    if (!base.includes("pulumi.ComponentResource")) return;
    walk(n, (c) => {
      if (ts.isCallExpression(c) && c.expression.kind === ts.SyntaxKind.SuperKeyword) {
        tokens.push(c.arguments[0]?.getText() ?? "<none>");
      }
    });
  });
  return tokens;
}

test("every component registers as k8sha:<module>:<Type> and registers its outputs", () => {
  const bad: string[] = [];
  let components = 0;
  for (const file of COMPONENTS) {
    const tokens = componentTokens(file);
    components += tokens.length;
    for (const token of tokens)
      if (!/^"k8sha:[a-z]+:[A-Z][A-Za-z]+"$/.test(token)) bad.push(`${file}: ${token}`);
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const registers = text.match(/this\.registerOutputs\(/g)?.length ?? 0;
    if (registers < tokens.length)
      bad.push(`${file}: ${tokens.length} components, ${registers} registerOutputs`);
  }
  expect(components).toBeGreaterThanOrEqual(14);
  expect(bad).toEqual([]);
});

test("every property of the public Args is documented (component Args and the config shapes ClusterArgs reuses)", () => {
  const undocumented: string[] = [];
  const documented = [
    ...COMPONENTS.map((file) => ({ file, names: /Args$/ })),
    { file: "config/types.ts", names: /./ },
  ];
  for (const { file, names } of documented) {
    walk(parse(file), (n) => {
      if (!ts.isInterfaceDeclaration(n) || !names.test(n.name.text)) return;
      if (!n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
      for (const member of n.members) {
        if (ts.isPropertySignature(member) && ts.getJSDocCommentsAndTags(member).length === 0) {
          undocumented.push(`${file}: ${n.name.text}.${member.name.getText()}`);
        }
      }
    });
  }
  expect(undocumented).toEqual([]);
});

test("components fall back only to named constants (config/defaults.ts, components/tuning.ts)", () => {
  // `x ?? <literal>` (string, number, boolean) is a default written outside config/defaults.ts and components/tuning.ts.
  const literalDefaults: string[] = [];
  for (const file of COMPONENTS.filter((f) => !f.endsWith("defaults.ts") && !f.endsWith("tuning.ts"))) {
    walk(parse(file), (n) => {
      if (!ts.isBinaryExpression(n) || n.operatorToken.kind !== ts.SyntaxKind.QuestionQuestionToken) return;
      const right = n.right;
      const literal =
        ts.isStringLiteral(right) ||
        ts.isNoSubstitutionTemplateLiteral(right) ||
        ts.isNumericLiteral(right) ||
        right.kind === ts.SyntaxKind.TrueKeyword ||
        right.kind === ts.SyntaxKind.FalseKeyword;
      if (literal) literalDefaults.push(`${file}: ${n.getText()}`);
    });
  }
  expect(literalDefaults).toEqual([]);
});

test("no pulumi.Config in components, no any / @ts-ignore / eslint-disable anywhere on the Pulumi side", () => {
  const found: string[] = [];
  for (const file of PULUMI_SIDE) {
    const source = parse(file);
    const text = source.getFullText();
    if (/@ts-ignore|@ts-nocheck|eslint-disable/.test(text)) found.push(`${file}: suppression comment`);
    if (
      file.startsWith("components") &&
      /\bpulumi\.Config\b|new Config\(/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""))
    ) {
      found.push(`${file}: reads pulumi.Config`);
    }
    walk(source, (n) => {
      if (n.kind === ts.SyntaxKind.AnyKeyword)
        found.push(`${file}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}: any`);
    });
  }
  expect(found).toEqual([]);
});

test(`files on the Pulumi side are at most ${MAX_LINES} lines`, () => {
  const long = PULUMI_SIDE.map((file) => ({
    file,
    lines: fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").length - 1,
  })).filter((f) => f.lines > MAX_LINES);
  expect(long).toEqual([]);
});
