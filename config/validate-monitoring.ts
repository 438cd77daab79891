/** monitoring.*: the alarms switch and the alarm topic's subscriptions. */
import { MONITORING_DEFAULTS } from "./defaults";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { MonitoringConfig } from "./types";

/**
 * An address SNS can mail: one "@", no spaces, a dotted domain. SNS itself only refuses at
 * Subscribe time, during `pulumi up`, after the topic and its key exist; a typo must fail first.
 */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** True for an absolute `https://host/...` URL: SNS's "https" protocol delivers only to those. */
export function isHttpsEndpoint(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "" && !/\s/.test(value);
  } catch {
    return false;
  }
}

export function isEmailAddress(value: string): boolean {
  return EMAIL.test(value);
}

function checkEach(
  section: Section,
  key: string,
  values: string[],
  ok: (v: string) => boolean,
  allowed: string,
): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    const path = `${section.keyPath(key)}[${i}]`;
    if (!ok(value)) section.problems.add(path, value, allowed);
    else if (seen.has(value)) section.problems.add(path, value, "listed twice; each endpoint once");
    seen.add(value);
  });
}

export function readMonitoring(root: Section): MonitoringConfig {
  const m = root.section("monitoring", SECTION_KEYS.monitoring);
  const d = MONITORING_DEFAULTS;
  const enabled = m.boolean("enabled", d.enabled);
  const emailSubscriptions = m.stringList("emailSubscriptions", d.emailSubscriptions);
  const httpsSubscriptions = m.stringList("httpsSubscriptions", d.httpsSubscriptions);
  checkEach(
    m,
    "emailSubscriptions",
    emailSubscriptions,
    isEmailAddress,
    "an email address, e.g. oncall@example.com",
  );
  checkEach(
    m,
    "httpsSubscriptions",
    httpsSubscriptions,
    isHttpsEndpoint,
    "an https:// URL, e.g. https://events.pagerduty.com/integration/KEY/enqueue",
  );
  if (!enabled && emailSubscriptions.length + httpsSubscriptions.length > 0) {
    m.reject(
      "enabled",
      "true when subscriptions are listed (with monitoring off there is no topic to subscribe to)",
    );
  }
  return { enabled, emailSubscriptions, httpsSubscriptions };
}
