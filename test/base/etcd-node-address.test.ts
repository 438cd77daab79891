/** etcdNodeAddress(), a pure function: the reservation and stable address of etcd node i in its subnet. */

import { cidrsOverlap, mustParseCidr } from "../../base/cidr";
import { etcdNodeAddress, masterAddress } from "../../base/masterAddress";

describe("etcdNodeAddress()", () => {
  test("a /26 subnet holds the reservation in its third /28", () => {
    // Expected values written out: 10.0.0.0/26 -> blocks .0, .16, .32, .48; the third is .32.
    expect(etcdNodeAddress("10.0.0.0/26", 0)).toEqual({
      reservationCidr: "10.0.0.32/28",
      address: "10.0.0.36",
    });
    expect(etcdNodeAddress("192.168.7.64/26", 2)).toEqual({
      reservationCidr: "192.168.7.96/28",
      address: "192.168.7.102",
    });
    // A larger subnet: still the third /28 from its start, not the third quarter.
    expect(etcdNodeAddress("10.20.4.0/22", 1)).toEqual({
      reservationCidr: "10.20.4.32/28",
      address: "10.20.4.37",
    });
  });

  test("never shares a block with the masters' reservation of the same subnet", () => {
    for (const subnet of ["10.0.0.0/26", "10.0.8.0/24", "10.1.0.0/16"]) {
      for (let index = 0; index < 7; index++) {
        const etcd = mustParseCidr(etcdNodeAddress(subnet, index).reservationCidr);
        const master = mustParseCidr(masterAddress(subnet, index).reservationCidr);
        expect(cidrsOverlap(etcd, master)).toBe(false);
      }
    }
  });

  test("a /27 subnet (room for the masters' block, not a third) is refused, naming the subnet and /26", () => {
    // The guard's own message, not cidrSubnet's generic out-of-range error.
    expect(() => etcdNodeAddress("10.0.5.0/27", 0)).toThrow(/etcd node subnet 10\.0\.5\.0\/27 .*\/26\b/);
    expect(() => etcdNodeAddress("10.0.5.0/28", 0)).toThrow(/etcd node subnet 10\.0\.5\.0\/28\b/);
    // The masters' rule is unchanged: a /27 is still enough for them.
    expect(masterAddress("10.0.5.0/27", 0).reservationCidr).toBe("10.0.5.16/28");
  });

  test("indexes 0..10 fit below the block's broadcast address; index 11 does not", () => {
    for (let index = 0; index <= 10; index++) {
      expect(etcdNodeAddress("10.20.4.0/22", index).address).toBe(`10.20.4.${36 + index}`);
    }
    expect(() => etcdNodeAddress("10.20.4.0/22", 11)).toThrow(/etcd node index 11/);
  });
});
