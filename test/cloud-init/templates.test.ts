/**
 * Templates (cloud-init/placeholders.ts) and their filling at boot (the real lib/template.sh in
 * bash): every template user-data ships is filled completely and parses back, with the values
 * exactly where the renderer put the placeholders; a bad value, an unknown or missing
 * placeholder is refused and nothing is written; braces can never reach a template unquoted.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { type ConfigFile, masterConfigFiles, workerConfigFiles } from "../../cloud-init/config-files";
import { PLACEHOLDERS, type Placeholder, placeholdersIn, renderYaml } from "../../cloud-init/placeholders";
import { fillTemplate } from "../support/fakes/bashLib";
import { masterConfig, workerConfig } from "../support/render-fixtures";

/** A valid value of every kind, as a node would learn it. */
const GOOD: Record<Placeholder, string> = {
  NODE_NAME: "ip-10-64-3-9.eu-west-1.compute.internal",
  NODE_IP: "10.64.3.9",
  BOOTSTRAP_TOKEN: "abcdef.0123456789abcdef",
  DISCOVERY_HASH: `sha256:${"0f".repeat(32)}`,
  INTERFACE: "ens5",
  PROVIDER_ID: "aws:///eu-west-1a/i-0123456789abcdef0",
};

/** Values each check must refuse: YAML syntax, other kinds' values, near misses. */
const BAD: Record<Placeholder, string[]> = {
  NODE_NAME: ['a"b', "Upper.example", "a b", "-lead.example", "x".repeat(64), "a\nb", "{{NODE_IP}}", ""],
  NODE_IP: ["10.0.0.256", "10.0.0", "10.0.0.1/32", "10.0.0.1 ", "01.2.3.4x", ""],
  BOOTSTRAP_TOKEN: ["abcdef.0123456789abcde", "ABCDEF.0123456789abcdef", 'abcdef."123456789abcdef', ""],
  DISCOVERY_HASH: [`sha256:${"0F".repeat(32)}`, `sha1:${"0f".repeat(20)}`, `sha256:${"0f".repeat(31)}`, ""],
  INTERFACE: ["ens 5", 'en"s5', "eth0\n", "a".repeat(16), "-eth0", "a&b", ""],
  PROVIDER_ID: ["aws:///eu-west-1a/vol-1", "i-0123 ; rm", "aws:////i-0123", "aws:///eu-west-1a/i-0123\n", ""],
};

const templates: [string, ConfigFile][] = [
  ...masterConfigFiles(masterConfig(0, true)).map((f): [string, ConfigFile] => [`master ${f.path}`, f]),
  ...workerConfigFiles(workerConfig).map((f): [string, ConfigFile] => [`worker ${f.path}`, f]),
];

/** The template's documents with every placeholder replaced in JS: what bash must produce. */
function expectedDocs(template: string): unknown[] {
  const withValues = parseAllDocuments(template).map((d) => JSON.stringify(d.toJS()));
  return withValues.map((json) =>
    JSON.parse(json.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: Placeholder) => GOOD[name])),
  );
}

describe.each(templates)("%s", (_, file) => {
  it("is filled completely by bash and parses back to the rendered documents with the values in place", () => {
    const names = placeholdersIn(file.content);
    const values = Object.fromEntries(names.map((n) => [n, GOOD[n]]));
    const r = fillTemplate(file.content, values);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const text = readFileSync(r.out, "utf8");
    expect(text).not.toMatch(/\{\{|\}\}/);
    expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual(expectedDocs(file.content));
    expect(statSync(r.out).mode & 0o777).toBe(0o600);
  });
});

it("templates hold only the values a node learns at boot, and each template names the file it fills", () => {
  const used = new Set(templates.flatMap(([, f]) => placeholdersIn(f.content)));
  expect([...used].sort()).toEqual(Object.keys(PLACEHOLDERS).sort());
  for (const [, f] of templates) if (placeholdersIn(f.content).length > 0) expect(f.envKey).toBeDefined();
});

describe.each(Object.keys(PLACEHOLDERS) as Placeholder[])("%s", (name) => {
  const template = `value: "{{${name}}}"\n`;

  it("takes a valid value, as a string even when it would read as a number", () => {
    const r = fillTemplate(template, { [name]: GOOD[name] });
    expect(r.code).toBe(0);
    expect(readFileSync(r.out, "utf8")).toBe(`value: "${GOOD[name]}"\n`);
    if (name === "NODE_NAME") {
      const numeric = fillTemplate(template, { NODE_NAME: "1234" });
      expect(parseAllDocuments(readFileSync(numeric.out, "utf8"))[0]?.toJS()).toEqual({ value: "1234" });
    }
  });

  it.each(BAD[name])("refuses %j, writes nothing and does not log the value", (bad) => {
    const r = fillTemplate(template, { [name]: bad });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`the ${name} value is not valid`);
    if (bad.length > 3) expect(r.stderr).not.toContain(bad);
    expect(existsSync(r.out)).toBe(false);
  });
});

it("refuses an unknown placeholder, one the template lacks, and one left unfilled", () => {
  const unknown = fillTemplate('a: "{{NODE_NAME}}"\n', { NODE_NAME: GOOD.NODE_NAME, COLOUR: "red" });
  expect(unknown.stderr).toContain("the COLOUR value is not valid");
  const absent = fillTemplate('a: "{{NODE_NAME}}"\n', { NODE_NAME: GOOD.NODE_NAME, NODE_IP: GOOD.NODE_IP });
  expect(absent.stderr).toMatch(/has no \{\{NODE_IP\}\}/);
  const left = fillTemplate('a: "{{NODE_NAME}}"\nb: "{{NODE_IP}}"\n', { NODE_NAME: GOOD.NODE_NAME });
  expect(left.stderr).toMatch(/needs a value for \{\{NODE_IP\}\}/);
  for (const r of [unknown, absent, left]) {
    expect(r.code).not.toBe(0);
    expect(existsSync(r.out)).toBe(false);
  }
});

it("the renderer quotes placeholders (keys too) and refuses braces anywhere else", () => {
  expect(renderYaml([{ "{{INTERFACE}}": ["{{NODE_IP}}"], count: 1 }])).toBe(
    '"{{INTERFACE}}":\n  - "{{NODE_IP}}"\ncount: 1\n',
  );
  // YAML 1.1 rules: the key `n` would be the boolean false there, so it is quoted.
  expect(renderYaml([{ n: 1 }])).toBe('"n": 1\n');
  expect(() => renderYaml([{ label: "x-{{NODE_IP}}" }])).toThrow(/not exactly one known placeholder/);
  expect(() => renderYaml([{ label: "{{SECRET}}" }])).toThrow(/not exactly one known placeholder/);
  expect(() => renderYaml([{ label: "}}" }])).toThrow(/not exactly one known placeholder/);
});
