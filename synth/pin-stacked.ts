/**
 * `npm run pin:stacked`: rewrites test/fixtures/stacked/<stack>.sha256 from the dev and prod
 * stacks as they synthesize now. Run it only for a change meant to alter a stacked cluster, and
 * review the changed lines: test/synth/stacked-pin.test.ts fails on any other change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { synthDigest } from "./digest";
import { PROJECT_ROOT, synthesize } from "./mockRuntime";

export const PINNED_STACKS = ["dev", "prod"] as const;
export const PIN_DIR = path.join(PROJECT_ROOT, "test", "fixtures", "stacked");

async function main(): Promise<void> {
  fs.mkdirSync(PIN_DIR, { recursive: true });
  for (const stack of PINNED_STACKS) {
    const file = path.join(PIN_DIR, `${stack}.sha256`);
    fs.writeFileSync(file, synthDigest(await synthesize(stack)));
    console.log(`pinned ${path.relative(PROJECT_ROOT, file)}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
