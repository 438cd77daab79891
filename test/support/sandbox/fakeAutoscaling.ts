/**
 * The EC2 Auto Scaling calls of the rolling gate (scripts/roll-master.sh), served by the fake
 * endpoint (fakeAws.ts) in the query protocol's XML. What cannot exist here is the service, so
 * the answers are stubbed, but they behave like it: `TerminateInstanceInAutoScalingGroup` with
 * `--no-should-decrement-desired-capacity` terminates the instance and launches a replacement
 * from the group's CURRENT launch template (the simulation's `replace` callback does what EC2
 * would), with a "Terminating" then a "Launching" activity in progress meanwhile; with a
 * decrement below the minimum it fails with ValidationError, as AWS does; an instance no group
 * manages is ValidationError "Instance Id not found". A new instance is InService once it runs
 * (EC2 health checks, no lifecycle hook), before its boot ends.
 */
import { indexed, xmlEscape } from "./ec2Query";
import { AwsError } from "./fakeSsm";

export interface FakeGroupInstance {
  id: string;
  zone: string;
  lifecycle: "Pending" | "InService" | "Terminating";
}

export interface FakeActivity {
  id: string;
  description: string;
  status: "InProgress" | "Successful" | "Failed";
  start: Date;
  end?: Date;
}

export interface FakeGroup {
  name: string;
  minSize: number;
  maxSize: number;
  desired: number;
  instances: FakeGroupInstance[];
  activities: FakeActivity[];
}

/** What EC2 does for a group's replacement: terminate `instanceId`, then launch and return the new instance. */
export type ReplaceInstance = (
  group: FakeGroup,
  instanceId: string,
) => Promise<Omit<FakeGroupInstance, "lifecycle">>;

const iso = (d: Date) => d.toISOString();

export class FakeAutoscaling {
  readonly groups = new Map<string, FakeGroup>();
  /** Replacements under way (tests await them). */
  readonly pending: Promise<void>[] = [];
  private activitySeq = 0;

  constructor(private readonly replace: () => ReplaceInstance | undefined) {}

  addGroup(name: string, size = 1): FakeGroup {
    const group = { name, minSize: size, maxSize: size, desired: size, instances: [], activities: [] };
    this.groups.set(name, group);
    return group;
  }

  /** The group's instance is running and passes EC2 health checks. */
  inService(groupName: string, instance: Omit<FakeGroupInstance, "lifecycle">): void {
    const group = this.group(groupName);
    group.instances = group.instances.filter((i) => i.id !== instance.id);
    group.instances.push({ ...instance, lifecycle: "InService" });
  }

  /** The group's instance was lost outside the group (terminated): its health check drops it. */
  lost(groupName: string, instanceId: string): void {
    const group = this.group(groupName);
    group.instances = group.instances.filter((i) => i.id !== instanceId);
  }

  private group(name: string): FakeGroup {
    const group = this.groups.get(name);
    if (!group) throw new AwsError("ValidationError", `AutoScalingGroup name not found - ${name}`);
    return group;
  }

  answer(action: string, form: URLSearchParams): string {
    switch (action) {
      case "DescribeAutoScalingGroups":
        return this.describeGroups(indexed(form, "AutoScalingGroupNames.member"));
      case "DescribeScalingActivities":
        return this.describeActivities(
          form.get("AutoScalingGroupName") ?? "",
          Number(form.get("MaxRecords") ?? 100),
        );
      case "TerminateInstanceInAutoScalingGroup":
        return this.terminate(
          form.get("InstanceId") ?? "",
          form.get("ShouldDecrementDesiredCapacity") === "true",
        );
      default:
        throw new AwsError("InvalidAction", `fake Auto Scaling does not serve ${action}`);
    }
  }

  private describeGroups(names: string[]): string {
    // Unknown names are left out of the answer, not an error (as the service does).
    const groups = (names.length ? names : [...this.groups.keys()]).flatMap((n) => {
      const g = this.groups.get(n);
      return g ? [g] : [];
    });
    const members = groups
      .map((g) => {
        const instances = g.instances
          .map(
            (i) =>
              `<member><InstanceId>${i.id}</InstanceId><AvailabilityZone>${i.zone}</AvailabilityZone>` +
              `<LifecycleState>${i.lifecycle}</LifecycleState><HealthStatus>Healthy</HealthStatus>` +
              "<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>",
          )
          .join("");
        return (
          `<member><AutoScalingGroupName>${xmlEscape(g.name)}</AutoScalingGroupName><MinSize>${g.minSize}</MinSize>` +
          `<MaxSize>${g.maxSize}</MaxSize><DesiredCapacity>${g.desired}</DesiredCapacity><DefaultCooldown>300</DefaultCooldown>` +
          `<HealthCheckType>EC2</HealthCheckType><CreatedTime>2026-01-01T00:00:00Z</CreatedTime><Instances>${instances}</Instances></member>`
        );
      })
      .join("");
    return `<AutoScalingGroups>${members}</AutoScalingGroups>`;
  }

  private describeActivities(name: string, max: number): string {
    const group = this.group(name);
    const members = [...group.activities]
      .reverse()
      .slice(0, max)
      .map(
        (a) =>
          `<member><ActivityId>${a.id}</ActivityId><AutoScalingGroupName>${xmlEscape(group.name)}</AutoScalingGroupName>` +
          `<Description>${xmlEscape(a.description)}</Description><Cause>${xmlEscape(a.description)}</Cause>` +
          `<StartTime>${iso(a.start)}</StartTime>${a.end ? `<EndTime>${iso(a.end)}</EndTime>` : ""}` +
          `<StatusCode>${a.status}</StatusCode><Progress>${a.status === "InProgress" ? 50 : 100}</Progress></member>`,
      )
      .join("");
    return `<Activities>${members}</Activities>`;
  }

  private activity(group: FakeGroup, description: string): FakeActivity {
    const a: FakeActivity = {
      id: `act-${(++this.activitySeq).toString(16).padStart(8, "0")}`,
      description,
      status: "InProgress",
      start: new Date(),
    };
    group.activities.push(a);
    return a;
  }

  private terminate(instanceId: string, decrement: boolean): string {
    const group = [...this.groups.values()].find((g) => g.instances.some((i) => i.id === instanceId));
    if (!group)
      throw new AwsError(
        "ValidationError",
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    if (decrement && group.desired - 1 < group.minSize)
      throw new AwsError(
        "ValidationError",
        `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
      );
    const instance = group.instances.find((i) => i.id === instanceId) as FakeGroupInstance;
    instance.lifecycle = "Terminating";
    const terminating = this.activity(group, `Terminating EC2 instance: ${instanceId}`);
    const replace = this.replace();
    if (!replace) throw new AwsError("InternalFailure", "the fake Auto Scaling has no replacement handler");
    this.pending.push(
      (async () => {
        let launching: FakeActivity | undefined;
        try {
          const started = replace(group, instanceId);
          group.instances = group.instances.filter((i) => i.id !== instanceId);
          terminating.status = "Successful";
          terminating.end = new Date();
          launching = this.activity(group, "Launching a new EC2 instance");
          const fresh = await started;
          this.inService(group.name, fresh);
          launching.status = "Successful";
          launching.end = new Date();
        } catch {
          for (const a of [terminating, launching]) if (a?.status === "InProgress") a.status = "Failed";
        }
      })(),
    );
    return (
      `<Activity><ActivityId>${terminating.id}</ActivityId><AutoScalingGroupName>${xmlEscape(group.name)}</AutoScalingGroupName>` +
      `<Description>${xmlEscape(terminating.description)}</Description><Cause>user request</Cause>` +
      `<StartTime>${iso(terminating.start)}</StartTime><StatusCode>InProgress</StatusCode><Progress>0</Progress></Activity>`
    );
  }
}
