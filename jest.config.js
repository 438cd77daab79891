/** Type-checking is done once by `tsc --noEmit`; jest only strips types (swc) to stay fast. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  testTimeout: 60000,
  // The consumer example imports the package by its name, as a real consumer does.
  moduleNameMapper: { "^k8s-ha-aws$": "<rootDir>/components/index.ts" },
  // Most boot tests wait on real etcd, s3rver and the AWS CLI rather than on CPU, so three
  // workers on a 2-core machine roughly halve the wall time (measured: 95 s -> 44 s).
  maxWorkers: 3,
};
