/**
 * The properties the PR/deploy flow promises, read from the workflow files themselves:
 * previews commented on the PR with the policy pack, OIDC only, per-stack concurrency,
 * synth artifacts, dev on merge and prod only through the protected environment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** A GitHub expression as written in YAML (built up so it does not read as a JS template). */
const gha = (expr: string) => ["$", "{{ ", expr, " }}"].join("");
const dir = path.join(PROJECT_ROOT, ".github", "workflows");
const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const load = (f: string) => parseYaml(read(f)) as Workflow;
const stepUsing = (job: Job, action: string) => {
  const step = (job.steps ?? []).find((s) => s.uses?.startsWith(`${action}@`));
  if (!step) throw new Error(`no ${action} step`);
  return step;
};
const indexOf = (job: Job, pick: (s: Step) => boolean) => (job.steps ?? []).findIndex(pick);

test("no long-lived AWS keys and no pull_request_target anywhere", () => {
  for (const f of fs.readdirSync(dir)) {
    expect(read(f)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(Object.keys(load(f).on)).not.toContain("pull_request_target");
  }
});

test("PR: preview per stack with PR comment, policy pack, OIDC, installed deps and per-stack concurrency", () => {
  const wf = load("pr-preview.yml");
  expect(Object.keys(wf.on)).toEqual(["pull_request"]);
  const preview = wf.jobs.preview;
  expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
  expect(preview.concurrency?.group).toContain(gha("matrix.stack"));
  expect(preview.concurrency?.group).toContain(gha("github.event.pull_request.number"));
  const pulumiStep = stepUsing(preview, "pulumi/actions");
  expect(pulumiStep.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policy" });
  expect(
    String(stepUsing(preview, "aws-actions/configure-aws-credentials").with?.["role-to-assume"]),
  ).toMatch(/ROLE_ARN/);
  const install = indexOf(preview, (s) => /npm ci/.test(s.run ?? ""));
  expect(install).toBeGreaterThanOrEqual(0);
  expect(install).toBeLessThan(indexOf(preview, (s) => s.uses?.startsWith("pulumi/actions@") === true));
  expect(preview.needs).toBe("test");
  expect(
    fs.existsSync(path.join(PROJECT_ROOT, String(pulumiStep.with?.policyPacks), "PulumiPolicy.yaml")),
  ).toBe(true);
});

test("PR: the synth folder of each stack is uploaded as an artifact", () => {
  const synth = load("pr-preview.yml").jobs.synth;
  const run = (synth.steps ?? []).map((s) => s.run ?? "").find((r) => r.includes("npm run synth"));
  const out = /--out "([^"]+)"/.exec(run ?? "")?.[1];
  expect(out).toBe("synth-out/$STACK");
  const upload = stepUsing(synth, "actions/upload-artifact");
  expect(upload.with?.path).toBe(`synth-out/${gha("matrix.stack")}/`);
});

test("PR: the base branch is synthesized too and the bounded diff goes to the job summary and a PR comment", () => {
  const synth = load("pr-preview.yml").jobs.synth;
  const steps = synth.steps ?? [];
  const at = (pick: (s: Step) => boolean) => steps.findIndex(pick);
  const baseCheckout = at(
    (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref !== undefined,
  );
  expect(steps[baseCheckout]?.with).toMatchObject({
    ref: gha("github.event.pull_request.base.sha"),
    path: "base-checkout",
  });
  const baseSynth = at((s) =>
    /npm run synth -- "\$STACK" --out "\.\.\/synth-base\/\$STACK"/.test(s.run ?? ""),
  );
  const diff = at((s) =>
    /bash scripts\/synth-diff\.sh "synth-base\/\$STACK" "synth-out\/\$STACK" .* \d+ > "synth-diff-\$STACK\.md"/.test(
      s.run ?? "",
    ),
  );
  const summary = at((s) => /cat "synth-diff-\$STACK\.md" >> "\$GITHUB_STEP_SUMMARY"/.test(s.run ?? ""));
  const comment = steps.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"));
  expect(baseCheckout).toBeGreaterThan(0);
  expect(baseSynth).toBeGreaterThan(baseCheckout);
  expect(diff).toBeGreaterThan(baseSynth);
  expect(summary).toBeGreaterThan(diff);
  expect(comment?.with).toMatchObject({
    header: `synth-diff-${gha("matrix.stack")}`,
    path: `synth-diff-${gha("matrix.stack")}.md`,
  });
  // Forks have a read-only token: the comment is skipped for them, the job summary is not.
  expect((comment as Step & { if?: string }).if).toBe(
    "github.event.pull_request.head.repo.full_name == github.repository",
  );
  expect(synth.permissions).toMatchObject({ "pull-requests": "write", contents: "read" });
  expect(fs.existsSync(path.join(PROJECT_ROOT, "scripts", "synth-diff.sh"))).toBe(true);
});

test("merge: dev is deployed, prod only after dev through the protected production environment", () => {
  const wf = load("deploy.yml");
  expect(wf.on).toEqual({ push: { branches: ["main"] } });
  const dev = wf.jobs["up-dev"];
  const prod = wf.jobs["up-prod"];
  expect(stepUsing(dev, "pulumi/actions").with).toMatchObject({ command: "up", policyPacks: "policy" });
  expect(String(stepUsing(dev, "pulumi/actions").with?.["stack-name"])).toMatch(/\/dev$/);
  expect(String(stepUsing(prod, "pulumi/actions").with?.["stack-name"])).toMatch(/\/prod$/);
  expect(prod.environment).toBe("production");
  expect(prod.needs).toBe("up-dev");
  for (const [job, stack] of [
    [dev, "dev"],
    [prod, "prod"],
  ] as const) {
    expect(job.permissions).toMatchObject({ "id-token": "write" });
    // One `up` per stack at a time, and never cancelled halfway (that leaves pending operations).
    expect(job.concurrency).toEqual({ group: `pulumi-${stack}`, "cancel-in-progress": false });
  }
});
