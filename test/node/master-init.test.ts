import { SandboxCluster } from "./sandbox/cluster";

let cluster: SandboxCluster;
beforeAll(async () => {
  cluster = await SandboxCluster.create("dev");
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

test("master 0 inits", async () => {
  const m = await cluster.launch({ name: "cp-0", template: cluster.template("dev-cp-0-lt"), zone: "eu-west-1a", subnet: 1, generation: 0 });
  const r = await m.boot();
  console.log(r.log.slice(-5000));
  expect(r.code).toBe(0);
}, 120_000);
