/**
 * Node sandbox: a worker of the real dev stack boots from its rendered user-data on a stock
 * Ubuntu 24.04 PATH (see test/node/sandbox/node.ts for what is real and what is stubbed).
 */
import { SandboxCluster } from "./sandbox/cluster";

let cluster: SandboxCluster;
beforeAll(async () => {
  cluster = await SandboxCluster.create("dev");
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

test("a worker boots against a cluster whose API is up", async () => {
  require("node:fs").writeFileSync(`${cluster.dir}/api-up`, "test");
  require("node:fs").mkdirSync(`${cluster.dir}/api`); require("node:fs").writeFileSync(`${cluster.dir}/api/tokens.json`, '["abcdef.0123456789abcdef"]');
  const w = await cluster.launch({ name: "worker", template: cluster.template("dev-general-lt"), zone: "eu-west-1a", subnet: 10, generation: 0 });
  const r = await w.boot();
  console.log(r.log.slice(-4000));
  expect(r.code).toBe(0);
}, 120_000);
