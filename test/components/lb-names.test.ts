/** AWS names of the API load balancer and target group: within 32 characters and collision-free. */
import { API_TARGET_GROUP, awsName, targetGroupName } from "../../components/apiLoadBalancer";

test("short cluster names are used as they are", () => {
  expect(awsName("dev", "api")).toBe("dev-api");
  expect(awsName("prod", "api-tg")).toBe("prod-api-tg");
});

test("long cluster names are cut to 32 characters, keep the suffix and stay distinct", () => {
  const a = "platform-team-staging-eu-west-1-blue";
  const b = "platform-team-staging-eu-west-1-green";
  for (const suffix of ["api", "api-tg"]) {
    const [na, nb] = [awsName(a, suffix), awsName(b, suffix)];
    for (const n of [na, nb]) {
      expect(n.length).toBeLessThanOrEqual(32);
      expect(n.endsWith(`-${suffix}`)).toBe(true);
      expect(n).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      expect(n).not.toMatch(/--/);
    }
    expect(na).not.toBe(nb);
  }
});

test("a name never starts with the prefix AWS reserves for internal load balancers", () => {
  expect(awsName("internal", "api").startsWith("internal-")).toBe(false);
  expect(awsName("internal", "api").length).toBeLessThanOrEqual(32);
});

test("the target group keeps its name for the settings it was built with, and moves with any other", () => {
  // Existing stacks keep `<cluster>-api-tg`: renaming it would replace the target group.
  expect(targetGroupName("prod")).toBe("prod-api-tg");
  // A setting that forces a replacement gets a new name, so create-before-delete cannot collide.
  const moved = targetGroupName("prod", { ...API_TARGET_GROUP, protocol: "TLS" });
  expect(moved).not.toBe("prod-api-tg");
  expect(moved).not.toBe(targetGroupName("prod", { ...API_TARGET_GROUP, targetType: "ip" }));
  const long = targetGroupName("platform-team-staging-eu-west-1-blue", { ...API_TARGET_GROUP, port: 443 });
  expect(long.length).toBeLessThanOrEqual(32);
});
