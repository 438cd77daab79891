/**
 * SSM Run Command (SendCommand, GetCommandInvocation; JSON 1.1 protocol) for the fake endpoint
 * in fakeAws.ts. The SSM agent cannot exist here: the caller's `run` executes the commands on
 * the node sandbox instead (as the agent runs AWS-RunShellScript as root). The answers behave
 * like the service: only AWS-RunShellScript is known (InvalidDocument otherwise); an instance
 * that is not running is InvalidInstanceId; an invocation does not exist for a moment after
 * SendCommand (InvocationDoesNotExist, which a poller must tolerate); it is Pending, InProgress,
 * then Success or Failed with the script's exit code as ResponseCode; StandardOutputContent
 * keeps the first 24,000 characters and StandardErrorContent the first 8,000 (botocore's ssm
 * model documents both limits); a script running past executionTimeout is TimedOut.
 */
import { randomUUID } from "node:crypto";
import { AwsError } from "./fakeSsm";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` as root on the instance; resolves when it ends. */
export type RunOnInstance = (
  instanceId: string,
  script: string,
  timeoutSeconds: number,
) => Promise<CommandResult>;

interface Invocation {
  status: "Pending" | "InProgress" | "Success" | "Failed" | "TimedOut";
  visibleAt: number;
  result?: CommandResult;
}

/** GetCommandInvocation returns at most this many characters of stdout, and of stderr. */
const OUTPUT_LIMIT = 24_000;
const ERROR_LIMIT = 8_000;

export class FakeRunCommand {
  private readonly invocations = new Map<string, Invocation>();
  /** Every command sent, `instance: script`, in order. */
  readonly sent: string[] = [];

  constructor(
    private readonly run: () => RunOnInstance | undefined,
    private readonly running: (instanceId: string) => boolean,
  ) {}

  handles(op: string): boolean {
    return op === "SendCommand" || op === "GetCommandInvocation";
  }

  answer(op: string, input: Record<string, unknown>): unknown {
    return op === "SendCommand" ? this.send(input) : this.get(input);
  }

  private send(input: Record<string, unknown>): unknown {
    if (input.DocumentName !== "AWS-RunShellScript")
      throw new AwsError("InvalidDocument", `Document ${String(input.DocumentName)} does not exist.`);
    const ids = (input.InstanceIds as string[] | undefined) ?? [];
    const bad = ids.filter((id) => !this.running(id));
    if (!ids.length || bad.length)
      throw new AwsError(
        "InvalidInstanceId",
        `Instances [[${bad.join(", ")}]] not in a valid state for account`,
      );
    const params = (input.Parameters as Record<string, string[]> | undefined) ?? {};
    const script = (params.commands ?? []).join("\n");
    const timeout = Number(params.executionTimeout?.[0] ?? 3600);
    // A UUID, as SSM gives (the CLI refuses a CommandId of another length).
    const commandId = randomUUID();
    const run = this.run();
    if (!run) throw new AwsError("InternalServerError", "the fake Run Command has no node runner");
    for (const id of ids) {
      this.sent.push(`${id}: ${script}`);
      const inv: Invocation = { status: "Pending", visibleAt: Date.now() + 300 };
      this.invocations.set(`${commandId}/${id}`, inv);
      inv.status = "InProgress";
      run(id, script, timeout).then(
        (result) => {
          inv.result = result;
          inv.status = result.code === 124 ? "TimedOut" : result.code === 0 ? "Success" : "Failed";
        },
        (e: unknown) => {
          inv.result = { code: 1, stdout: "", stderr: String(e) };
          inv.status = "Failed";
        },
      );
    }
    return {
      Command: {
        CommandId: commandId,
        DocumentName: input.DocumentName,
        InstanceIds: ids,
        Status: "Pending",
      },
    };
  }

  private get(input: Record<string, unknown>): unknown {
    const key = `${String(input.CommandId)}/${String(input.InstanceId)}`;
    const inv = this.invocations.get(key);
    if (!inv || Date.now() < inv.visibleAt) throw new AwsError("InvocationDoesNotExist", "");
    const r = inv.result;
    return {
      CommandId: input.CommandId,
      InstanceId: input.InstanceId,
      DocumentName: "AWS-RunShellScript",
      Status: inv.status,
      StatusDetails: inv.status,
      ResponseCode: r ? r.code : -1,
      StandardOutputContent: (r?.stdout ?? "").slice(0, OUTPUT_LIMIT),
      StandardErrorContent: (r?.stderr ?? "").slice(0, ERROR_LIMIT),
    };
  }
}
