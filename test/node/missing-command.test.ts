/**
 * The node sandbox fails a boot that calls a command the node does not have, naming it: here a
 * worker whose PATH lacks one command the AMI really ships (sha256sum), which the bootstrap needs
 * to verify its bundle.
 */
import { SandboxCluster } from "../support/sandbox/cluster";

let cluster: SandboxCluster;
beforeAll(async () => {
  cluster = await SandboxCluster.create("dev");
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

test("a command missing from the node fails the boot with its name", async () => {
  const w = await cluster.launch(
    {
      name: "worker",
      template: cluster.template("dev-general-lt"),
      zone: "eu-west-1a",
      generation: 0,
    },
    { withoutAmiCommands: ["sha256sum"], unitAttempts: 1 },
  );
  const r = await w.boot();
  expect(r.code).not.toBe(0);
  expect(r.log).toMatch(/sha256sum: (command )?not found/);
  expect(w.read("var/lib/k8sha/boot-failed")).toMatch(/^step=bootstrap /);
}, 60_000);
