/**
 * Local stand-in for the few EC2 and SSM API calls the boot makes, served to the REAL AWS CLI
 * over loopback HTTP (EC2's query protocol with XML answers, SSM's JSON 1.1 protocol). What
 * cannot exist here is the cloud itself, so the answers are stubbed, but each behaves like AWS,
 * errors included: an attach of a volume in use fails with VolumeInUse, an attach across zones
 * with InvalidVolume.ZoneMismatch, an unknown instance is InvalidInstanceID.NotFound, a missing
 * parameter is ParameterNotFound and a second create is ParameterAlreadyExists. A private address
 * another interface holds is refused without AllowReassignment (InvalidParameterValue, "in use")
 * and moved with it; a terminated instance's interface is deleted with its addresses.
 *
 * An attach also does what the Nitro hypervisor and udev do on a node: the volume's image file
 * is set up as a loop device and `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<id>` appears
 * in the attaching node's sandbox.
 *
 * For the rolling gate and validate, the same endpoint serves Auto Scaling (fakeAutoscaling.ts),
 * the API target group (fakeTargetGroup.ts), SSM Run Command (fakeRunCommand.ts) and CloudWatch
 * (fakeCloudWatch.ts); what only the
 * nodes know (a replacement launch, a command run, a health check) the cluster plugs in.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { filtersOf, indexed, tagSet, xmlEscape } from "./ec2Query";
import { FakeAutoscaling, type ReplaceInstance } from "./fakeAutoscaling";
import { FakeCloudWatch } from "./fakeCloudWatch";
import { assignPrivateIpAddresses, describeNetworkInterfaces, type FakeInterface } from "./fakeInterfaces";
import { FakeRunCommand, type RunOnInstance } from "./fakeRunCommand";
import { AwsError, FakeSsm } from "./fakeSsm";
import { FakeTargetGroup } from "./fakeTargetGroup";

export type { FakeInterface } from "./fakeInterfaces";

export interface FakeInstance {
  id: string;
  zone: string;
  privateIp: string;
  state: "pending" | "running" | "shutting-down" | "terminated";
  tags: Record<string, string>;
  /** The node sandbox's /dev/disk/by-id, where attached volumes appear. */
  deviceDir: string;
  /** Its primary network interface. */
  eni: FakeInterface;
}

export interface FakeVolume {
  id: string;
  zone: string;
  /** Sparse image file standing for the EBS volume's blocks (8 GiB: etcd preallocates up to its quota). */
  image: string;
  attachment?: { instanceId: string; device: string; loop: string };
}

export class FakeAws {
  readonly instances = new Map<string, FakeInstance>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly ssm = new FakeSsm();
  /** What a running node answers: set by the cluster (the node sandboxes live there). */
  replaceInstance?: ReplaceInstance;
  runOnInstance?: RunOnInstance;
  targetHealthy: (instanceId: string) => boolean = () => false;
  readonly autoscaling = new FakeAutoscaling(() => this.replaceInstance);
  readonly targetGroup = new FakeTargetGroup((id) => this.targetHealthy(id));
  readonly cloudWatch = new FakeCloudWatch();
  readonly runCommand = new FakeRunCommand(
    () => this.runOnInstance,
    (id) => this.instances.get(id)?.state === "running",
  );
  /** Every call, as `Service.Operation`, in order: tests assert on what the boot asked. */
  readonly calls: string[] = [];
  private server?: Server;
  endpoint = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const v of this.volumes.values()) this.releaseLoop(v);
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  addVolume(id: string, zone: string, dir: string, sizeMiB = 8192): FakeVolume {
    const image = join(dir, `${id}.img`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(image, "");
    truncateSync(image, sizeMiB * 1024 * 1024);
    const volume = { id, zone, image };
    this.volumes.set(id, volume);
    return volume;
  }

  putParameter(name: string, value: string, type = "SecureString"): void {
    this.ssm.parameters.set(name, { value, type, version: 1 });
  }

  /** The instance is gone (terminated): EC2 detaches its volumes and deletes its interface. */
  terminate(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance) return;
    instance.state = "terminated";
    instance.eni.addresses = [];
    for (const v of this.volumes.values()) if (v.attachment?.instanceId === instanceId) this.releaseLoop(v);
  }

  private releaseLoop(volume: FakeVolume): void {
    const att = volume.attachment;
    if (!att) return;
    volume.attachment = undefined;
    rmSync(join(this.instances.get(att.instanceId)?.deviceDir ?? "/nonexistent", this.deviceLink(volume)), {
      force: true,
    });
    try {
      execFileSync("losetup", ["-d", att.loop], { stdio: "ignore" });
    } catch {
      // Still mounted inside a node's namespace: the kernel frees it when the namespace ends.
    }
  }

  private deviceLink(volume: FakeVolume): string {
    return `nvme-Amazon_Elastic_Block_Store_${volume.id.replaceAll("-", "")}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const target = req.headers["x-amz-target"];
    try {
      if (typeof target === "string" && target.startsWith("AmazonSSM.")) {
        const op = target.slice("AmazonSSM.".length);
        this.calls.push(`ssm.${op}`);
        const input = JSON.parse(body || "{}") as Record<string, unknown>;
        const out = this.runCommand.handles(op)
          ? this.runCommand.answer(op, input)
          : this.ssm.answer(op, input);
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(out));
        return;
      }
      const form = new URLSearchParams(body);
      const action = form.get("Action") ?? "";
      const query = QUERY_SERVICES[form.get("Version") ?? ""];
      if (query) {
        this.calls.push(`${query.name}.${action}`);
        const result =
          query.name === "autoscaling"
            ? this.autoscaling.answer(action, form)
            : query.name === "cloudwatch"
              ? this.cloudWatch.answer(action, form)
              : this.targetGroup.answer(action, form);
        res
          .writeHead(200, { "content-type": "text/xml" })
          .end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${query.xmlns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
          );
        return;
      }
      this.calls.push(`ec2.${action}`);
      const inner = this.ec2(action, form);
      res
        .writeHead(200, { "content-type": "text/xml" })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId>${inner}</${action}Response>`,
        );
    } catch (e) {
      const code = e instanceof AwsError ? e.code : "InternalError";
      const message = e instanceof Error ? e.message : String(e);
      const query = QUERY_SERVICES[new URLSearchParams(body).get("Version") ?? ""];
      if (query) {
        res
          .writeHead(400, { "content-type": "text/xml" })
          .end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${query.xmlns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
          );
      } else if (typeof target === "string") {
        res
          .writeHead(400, { "content-type": "application/x-amz-json-1.1" })
          .end(JSON.stringify({ __type: code, message }));
      } else {
        res
          .writeHead(400, { "content-type": "text/xml" })
          .end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>fake</RequestID></Response>`,
          );
      }
    }
  }

  private ec2(action: string, form: URLSearchParams): string {
    switch (action) {
      case "DescribeInstances":
        return this.describeInstances(form);
      case "DescribeVolumes":
        return this.describeVolumes(form);
      case "DescribeNetworkInterfaces":
        return describeNetworkInterfaces(this.liveInterfaces(), filtersOf(form));
      case "AssignPrivateIpAddresses":
        return assignPrivateIpAddresses(this.liveInterfaces(), form);
      case "AttachVolume":
        return this.attachVolume(form);
      case "DetachVolume":
        return this.detachVolume(form);
      case "CreateTags": {
        for (const id of indexed(form, "ResourceId")) {
          const instance = this.instances.get(id);
          if (!instance)
            throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
          for (let i = 1; form.has(`Tag.${i}.Key`); i++)
            instance.tags[form.get(`Tag.${i}.Key`) ?? ""] = form.get(`Tag.${i}.Value`) ?? "";
        }
        return "<return>true</return>";
      }
      default:
        throw new AwsError("InvalidAction", `fake EC2 does not serve ${action}`);
    }
  }

  private describeInstances(form: URLSearchParams): string {
    const ids = indexed(form, "InstanceId");
    for (const id of ids)
      if (!this.instances.has(id))
        throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
    const filters = filtersOf(form);
    const matches = [...this.instances.values()].filter(
      (inst) =>
        (ids.length === 0 || ids.includes(inst.id)) &&
        filters.every(([name, values]) => {
          if (name === "instance-state-name") return values.includes(inst.state);
          if (name.startsWith("tag:")) return values.includes(inst.tags[name.slice(4)] ?? "\0");
          throw new AwsError("InvalidParameterValue", `fake EC2 does not filter on ${name}`);
        }),
    );
    const items = matches
      .map(
        (inst) =>
          `<item><reservationId>r-${inst.id.slice(2)}</reservationId><instancesSet><item><instanceId>${inst.id}</instanceId>` +
          `<instanceState><code>${STATE_CODES[inst.state]}</code><name>${inst.state}</name></instanceState>` +
          `<privateIpAddress>${inst.privateIp}</privateIpAddress><placement><availabilityZone>${inst.zone}</availabilityZone></placement>` +
          `<tagSet>${tagSet(inst.tags)}</tagSet></item></instancesSet></item>`,
      )
      .join("");
    return `<reservationSet>${items}</reservationSet>`;
  }

  private liveInterfaces(): FakeInterface[] {
    return [...this.instances.values()].filter((i) => i.state !== "terminated").map((i) => i.eni);
  }

  private volume(id: string): FakeVolume {
    const v = this.volumes.get(id);
    if (!v) throw new AwsError("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
    return v;
  }

  private describeVolumes(form: URLSearchParams): string {
    const items = indexed(form, "VolumeId")
      .map((id) => this.volume(id))
      .map((v) => {
        const att = v.attachment;
        const attachments = att
          ? `<item><volumeId>${v.id}</volumeId><instanceId>${att.instanceId}</instanceId><device>${att.device}</device><status>attached</status></item>`
          : "";
        return `<item><volumeId>${v.id}</volumeId><size>1</size><availabilityZone>${v.zone}</availabilityZone><status>${att ? "in-use" : "available"}</status><attachmentSet>${attachments}</attachmentSet><volumeType>gp3</volumeType><encrypted>true</encrypted></item>`;
      })
      .join("");
    return `<volumeSet>${items}</volumeSet>`;
  }

  private attachVolume(form: URLSearchParams): string {
    const v = this.volume(form.get("VolumeId") ?? "");
    const instanceId = form.get("InstanceId") ?? "";
    const device = form.get("Device") ?? "";
    const instance = this.instances.get(instanceId);
    if (!instance)
      throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
    if (v.attachment) throw new AwsError("VolumeInUse", `${v.id} is already attached to an instance`);
    if (instance.zone !== v.zone)
      throw new AwsError(
        "InvalidVolume.ZoneMismatch",
        `The volume '${v.id}' is not in the same availability zone as instance '${instanceId}'`,
      );
    const loop = execFileSync("losetup", ["--find", "--show", v.image], { encoding: "utf8" }).trim();
    v.attachment = { instanceId, device, loop };
    mkdirSync(instance.deviceDir, { recursive: true });
    symlinkSync(loop, join(instance.deviceDir, this.deviceLink(v)));
    return `<volumeId>${v.id}</volumeId><instanceId>${instanceId}</instanceId><device>${device}</device><status>attaching</status>`;
  }

  private detachVolume(form: URLSearchParams): string {
    const v = this.volume(form.get("VolumeId") ?? "");
    const att = v.attachment;
    if (!att) throw new AwsError("IncorrectState", `Volume '${v.id}' is in the 'available' state.`);
    this.releaseLoop(v);
    return `<volumeId>${v.id}</volumeId><instanceId>${att.instanceId}</instanceId><device>${att.device}</device><status>detaching</status>`;
  }
}

/** Query-protocol services other than EC2, told apart by their API version (EC2's is 2016-11-15). */
const QUERY_SERVICES: Record<string, { name: string; xmlns: string }> = {
  "2011-01-01": { name: "autoscaling", xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/" },
  "2015-12-01": { name: "elbv2", xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/" },
  "2010-08-01": { name: "cloudwatch", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/" },
};

const STATE_CODES: Record<FakeInstance["state"], number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
};
