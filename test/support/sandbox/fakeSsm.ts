/**
 * The SSM Parameter Store operations the boot calls (JSON 1.1 protocol), for the fake endpoint
 * in fakeAws.ts: answers and errors as SSM gives them (ParameterNotFound, ParameterAlreadyExists
 * without Overwrite, GetParameters' InvalidParameters, at most 10 names a call).
 */

/** An AWS error code and message, turned into the protocol's error answer by the server. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Parameter {
  value: string;
  type: string;
  version: number;
}

export class FakeSsm {
  readonly parameters = new Map<string, Parameter>();

  private view(name: string, p: Parameter) {
    return { Name: name, Type: p.type, Value: p.value, Version: p.version, DataType: "text" };
  }

  answer(op: string, input: Record<string, unknown>): unknown {
    const name = String(input.Name ?? "");
    switch (op) {
      case "GetParameter": {
        const p = this.parameters.get(name);
        if (!p) throw new AwsError("ParameterNotFound", "");
        return { Parameter: this.view(name, p) };
      }
      case "GetParameters": {
        const names = (input.Names as string[] | undefined) ?? [];
        if (names.length > 10) throw new AwsError("ValidationException", "Names: at most 10 names");
        const found = names.flatMap((n) => {
          const p = this.parameters.get(n);
          return p ? [this.view(n, p)] : [];
        });
        return { Parameters: found, InvalidParameters: names.filter((n) => !this.parameters.has(n)) };
      }
      case "PutParameter": {
        const existing = this.parameters.get(name);
        if (existing && input.Overwrite !== true)
          throw new AwsError("ParameterAlreadyExists", "The parameter already exists.");
        const version = (existing?.version ?? 0) + 1;
        this.parameters.set(name, {
          value: String(input.Value ?? ""),
          type: String(input.Type ?? "String"),
          version,
        });
        return { Version: version, Tier: "Standard" };
      }
      case "DeleteParameter":
        if (!this.parameters.delete(name)) throw new AwsError("ParameterNotFound", "");
        return {};
      default:
        throw new AwsError("InvalidAction", `fake SSM does not serve ${op}`);
    }
  }
}
