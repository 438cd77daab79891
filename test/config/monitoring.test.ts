/**
 * The `monitoring` section: on by default with no subscriptions, subscriptions kept as given,
 * and each bad value refused by key and index with what is allowed, as the only problem.
 */

import { parseConfig } from "../../config/stack";
import { isEmailAddress, isHttpsEndpoint } from "../../config/validate-monitoring";
import { applyOverrides } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem, type RefusalCase } from "../support/configRefusal";

test("defaults: enabled, no subscriptions", () => {
  expect(parseConfig(devConfig).monitoring).toEqual({
    enabled: true,
    emailSubscriptions: [],
    httpsSubscriptions: [],
  });
});

test("subscriptions are kept as given", () => {
  const monitoring = {
    emailSubscriptions: ["oncall@example.com", "ops+k8s@example.org"],
    httpsSubscriptions: ["https://hooks.example.com/sns?x=1"],
  };
  expect(parseConfig(applyOverrides(devConfig, { monitoring })).monitoring).toEqual({
    enabled: true,
    ...monitoring,
  });
});

test("monitoring can be turned off", () => {
  expect(parseConfig(applyOverrides(devConfig, { monitoring: { enabled: false } })).monitoring.enabled).toBe(
    false,
  );
});

const cases: RefusalCase[] = [
  [
    "an email without a domain",
    { monitoring: { emailSubscriptions: ["oncall"] } },
    /k8s-ha:monitoring\.emailSubscriptions\[0\]: "oncall" is invalid: an email address/,
  ],
  [
    "an email with a space",
    { monitoring: { emailSubscriptions: ["ok@example.com", "on call@example.com"] } },
    /k8s-ha:monitoring\.emailSubscriptions\[1\]: "on call@example.com" is invalid: an email address/,
  ],
  [
    "an http (not https) endpoint",
    { monitoring: { httpsSubscriptions: ["http://hooks.example.com/x"] } },
    /k8s-ha:monitoring\.httpsSubscriptions\[0\]: "http:\/\/hooks\.example\.com\/x" is invalid: an https:\/\/ URL/,
  ],
  [
    "an endpoint that is not a URL",
    { monitoring: { httpsSubscriptions: ["hooks.example.com"] } },
    /k8s-ha:monitoring\.httpsSubscriptions\[0\]: "hooks\.example\.com" is invalid: an https:\/\/ URL/,
  ],
  [
    "the same address twice",
    { monitoring: { emailSubscriptions: ["a@example.com", "a@example.com"] } },
    /k8s-ha:monitoring\.emailSubscriptions\[1\]: "a@example.com" is invalid: listed twice/,
  ],
  [
    "subscriptions with monitoring off",
    { monitoring: { enabled: false, emailSubscriptions: ["a@example.com"] } },
    /k8s-ha:monitoring\.enabled: false is invalid: true when subscriptions are listed/,
  ],
  [
    "a non-boolean switch",
    { monitoring: { enabled: "yes" } },
    /k8s-ha:monitoring\.enabled: "yes" is invalid/,
  ],
  [
    "an unknown key",
    { monitoring: { smsSubscriptions: ["+15550100"] } },
    /k8s-ha:monitoring\.smsSubscriptions: .*unknown key "smsSubscriptions"/,
  ],
];

test.each(cases)("refuses %s", (_name, overrides, expected) => {
  expectSingleProblem(overrides, expected);
});

test.each([
  ["oncall@example.com", true],
  ["a@b.co", true],
  ["@example.com", false],
  ["a@b", false],
])("isEmailAddress(%s) is %s", (value, ok) => {
  expect(isEmailAddress(value)).toBe(ok);
});

test.each([
  ["https://example.com", true],
  ["https://example.com:8443/path?q=1", true],
  ["http://example.com", false],
  ["ftp://example.com", false],
  ["https://", false],
  ["https://exa mple.com", false],
])("isHttpsEndpoint(%s) is %s", (value, ok) => {
  expect(isHttpsEndpoint(value)).toBe(ok);
});
