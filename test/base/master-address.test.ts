/** masterAddress(), a pure function: the reservation and stable address of master i in its subnet. */
import { masterAddress } from "../../base/masterAddress";

describe("masterAddress()", () => {
  test("a /27 subnet holds the reservation in its second half", () => {
    expect(masterAddress("10.0.0.0/27", 0)).toEqual({
      reservationCidr: "10.0.0.16/28",
      address: "10.0.0.20",
    });
    expect(masterAddress("192.168.7.32/27", 2)).toEqual({
      reservationCidr: "192.168.7.48/28",
      address: "192.168.7.54",
    });
  });

  test("a /28 subnet (no second /28) is refused, naming the subnet", () => {
    // "master subnet <cidr>": the guard's own message, not cidrSubnet's generic out-of-range
    // error (which also names the CIDR, and would hide a guard that let /28 through).
    expect(() => masterAddress("10.0.5.0/28", 0)).toThrow(/master subnet 10\.0\.5\.0\/28\b/);
    expect(() => masterAddress("10.0.5.0/30", 0)).toThrow(/master subnet 10\.0\.5\.0\/30\b/);
  });

  test("indexes 0..10 fit below the block's broadcast address; index 11 does not", () => {
    for (let index = 0; index <= 10; index++) {
      expect(masterAddress("10.20.4.0/22", index)).toEqual({
        reservationCidr: "10.20.4.16/28",
        address: `10.20.4.${20 + index}`,
      });
    }
    // 10.20.4.31 would be the /28's last address: refused.
    expect(() => masterAddress("10.20.4.0/22", 11)).toThrow(/index 11/);
  });
});
