/**
 * The API load balancer's target group as the rolling gate sees it (ELBv2 query protocol, for
 * the fake endpoint in fakeAws.ts). The NLB itself cannot exist here; its target states follow
 * the service's rules: a registered target is `initial` until its health check passes
 * (`healthy`), `unhealthy` when it fails again; a deregistered one is `draining` for the
 * deregistration delay, then gone; asked for by id when not registered it is `unused`
 * (Target.NotRegistered). An unknown target group is TargetGroupNotFound. The health check is
 * the caller's predicate (the simulation: that master's boot succeeded and its process runs).
 */
import { AwsError } from "./fakeSsm";

interface Target {
  state: "initial" | "healthy" | "unhealthy" | "draining";
  drainedAt?: number;
}

export class FakeTargetGroup {
  readonly targets = new Map<string, Target>();
  /** Every (de)registration, in order: tests assert the gate's order of operations. */
  readonly events: string[] = [];
  arn = "";

  constructor(
    private readonly healthy: (instanceId: string) => boolean,
    /** Seconds a deregistered target drains (the graph's 30 s would only slow the simulation). */
    readonly drainSeconds = 2,
  ) {}

  register(id: string): void {
    this.events.push(`register ${id}`);
    this.targets.set(id, { state: "initial" });
  }

  /** What the health checker found by now (evaluated when asked, like a snapshot of the NLB). */
  private refresh(): void {
    for (const [id, t] of this.targets) {
      if (t.state === "draining") {
        if (Date.now() >= (t.drainedAt ?? 0)) this.targets.delete(id);
        continue;
      }
      t.state = this.healthy(id) ? "healthy" : t.state === "initial" ? "initial" : "unhealthy";
    }
  }

  answer(action: string, form: URLSearchParams): string {
    const arn = form.get("TargetGroupArn") ?? "";
    if (arn !== this.arn) throw new AwsError("TargetGroupNotFound", `Target groups '${arn}' not found`);
    const ids: string[] = [];
    for (let i = 1; form.has(`Targets.member.${i}.Id`); i++)
      ids.push(form.get(`Targets.member.${i}.Id`) ?? "");
    this.refresh();
    switch (action) {
      case "DescribeTargetHealth":
        return this.describe(ids);
      case "RegisterTargets":
        for (const id of ids) this.register(id);
        return "";
      case "DeregisterTargets":
        for (const id of ids) {
          const t = this.targets.get(id);
          this.events.push(`deregister ${id}`);
          if (t && t.state !== "draining") {
            t.state = "draining";
            t.drainedAt = Date.now() + this.drainSeconds * 1000;
          }
        }
        return "";
      default:
        throw new AwsError("InvalidAction", `fake ELBv2 does not serve ${action}`);
    }
  }

  private describe(ids: string[]): string {
    const rows = ids.length
      ? ids.map((id) => [id, this.targets.get(id)?.state ?? "unused"] as const)
      : [...this.targets].map(([id, t]) => [id, t.state] as const);
    const members = rows
      .map(([id, state]) => {
        const reason =
          state === "unused"
            ? "<Reason>Target.NotRegistered</Reason>"
            : state === "draining"
              ? "<Reason>Target.DeregistrationInProgress</Reason>"
              : "";
        return `<member><Target><Id>${id}</Id><Port>6443</Port></Target><HealthCheckPort>6443</HealthCheckPort><TargetHealth><State>${state}</State>${reason}</TargetHealth></member>`;
      })
      .join("");
    return `<TargetHealthDescriptions>${members}</TargetHealthDescriptions>`;
  }
}
