/**
 * The fake EC2's network interfaces (fakeAws.ts serves them): each instance's primary interface
 * with its private addresses, as `describe-network-interfaces` and `assign-private-ip-addresses`
 * see them. Like EC2: an address another interface holds is refused without AllowReassignment
 * ("in use") and moved with it, a primary address is never moved, an unknown interface is
 * InvalidNetworkInterfaceID.NotFound.
 */
import { type filtersOf, indexed, tagSet } from "./ec2Query";
import { AwsError } from "./fakeSsm";

export interface FakeInterface {
  id: string;
  subnetId: string;
  /** The primary private address first, then secondary ones. */
  addresses: string[];
  /** What the launch template's network-interface tag specification gave it. */
  tags: Record<string, string>;
}

/** DescribeNetworkInterfaces over the live interfaces, filtered by address and subnet. */
export function describeNetworkInterfaces(
  live: FakeInterface[],
  filters: ReturnType<typeof filtersOf>,
): string {
  const matches = live.filter((eni) =>
    filters.every(([name, values]) => {
      if (name === "addresses.private-ip-address") return eni.addresses.some((a) => values.includes(a));
      if (name === "subnet-id") return values.includes(eni.subnetId);
      throw new AwsError("InvalidParameterValue", `fake EC2 does not filter interfaces on ${name}`);
    }),
  );
  const items = matches
    .map(
      (eni) =>
        `<item><networkInterfaceId>${eni.id}</networkInterfaceId><subnetId>${eni.subnetId}</subnetId>` +
        `<privateIpAddress>${eni.addresses[0] ?? ""}</privateIpAddress><privateIpAddressesSet>${eni.addresses
          .map(
            (a, i) => `<item><privateIpAddress>${a}</privateIpAddress><primary>${i === 0}</primary></item>`,
          )
          .join("")}</privateIpAddressesSet><tagSet>${tagSet(eni.tags)}</tagSet></item>`,
    )
    .join("");
  return `<networkInterfaceSet>${items}</networkInterfaceSet>`;
}

/** AssignPrivateIpAddresses onto one of the live interfaces. */
export function assignPrivateIpAddresses(live: FakeInterface[], form: URLSearchParams): string {
  const id = form.get("NetworkInterfaceId") ?? "";
  const eni = live.find((e) => e.id === id);
  if (!eni)
    throw new AwsError(
      "InvalidNetworkInterfaceID.NotFound",
      `The networkInterface ID '${id}' does not exist`,
    );
  const reassign = form.get("AllowReassignment") === "true";
  for (const address of indexed(form, "PrivateIpAddress")) {
    const holder = live.find((e) => e !== eni && e.addresses.includes(address));
    if (holder && !reassign) throw new AwsError("InvalidParameterValue", `Address ${address} is in use.`);
    if (holder) {
      if (holder.addresses[0] === address)
        throw new AwsError(
          "InvalidParameterValue",
          `Address ${address} is the primary address of ${holder.id}.`,
        );
      holder.addresses = holder.addresses.filter((a) => a !== address);
    }
    if (!eni.addresses.includes(address)) eni.addresses.push(address);
  }
  return "<return>true</return>";
}
