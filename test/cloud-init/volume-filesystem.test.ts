/**
 * Filesystem and device handling of the etcd volume, for real: `blkid -p` and `mkfs.ext4`
 * run on a sparse image FILE (they work on files). Mounting needs a block device and
 * privileges, so `mount`/`mountpoint` are stubs that log; the fstab logic is real.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "k8sha-volume-fs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sparseImage(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  // 32 MiB sparse: big enough for ext4, costs no disk.
  truncateSync(path, 32 * 1024 * 1024);
  return path;
}

const uuidOf = async (image: string) =>
  (await runLib([], 'blkid -o value -s UUID "$1"', [image])).stdout.trim();

test("a blank device is formatted once; a second run keeps the same filesystem", async () => {
  const image = sparseImage("blank.img");
  const first = await runLib(["etcd-volume.sh"], 'ensure_filesystem "$1"', [image]);
  expect(first.code).toBe(0);
  expect(first.stderr).toContain("is blank: creating ext4");
  const uuid = await uuidOf(image);
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);

  const second = await runLib(["etcd-volume.sh"], 'ensure_filesystem "$1"', [image]);
  expect(second.code).toBe(0);
  expect(second.stderr).toContain("already has an ext4 filesystem");
  expect(await uuidOf(image)).toBe(uuid);
});

test("a device with a foreign signature is refused, not reformatted", async () => {
  const image = sparseImage("xfs-ish.img");
  await runLib([], 'mkfs.ext2 -q "$1"', [image]);
  const before = await uuidOf(image);
  const r = await runLib(["etcd-volume.sh"], 'ensure_filesystem "$1"', [image]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("holds a 'ext2' signature; refusing to format it");
  expect(await uuidOf(image)).toBe(before);
});

test("find_volume_device prefers the NVMe by-id name, else falls back to the Xen name", async () => {
  const byId = join(dir, "by-id");
  mkdirSync(byId);
  const xvdf = sparseImage("xvdf");
  const env = { ETCD_DEVICE_BY_ID_DIR: byId, ETCD_DEVICE_FALLBACKS: `${join(dir, "nope")} ${xvdf}` };
  const fallback = await runLib(["etcd-volume.sh"], 'find_volume_device "$1"', ["vol-0abc"], env);
  expect(fallback.stdout).toBe(`${xvdf}\n`);
  symlinkSync(xvdf, join(byId, "nvme-Amazon_Elastic_Block_Store_vol0abc"));
  const nvme = await runLib(["etcd-volume.sh"], 'find_volume_device "$1"', ["vol-0abc"], env);
  expect(nvme.stdout).toBe(`${join(byId, "nvme-Amazon_Elastic_Block_Store_vol0abc")}\n`);
  const missing = await runLib(["etcd-volume.sh"], 'find_volume_device "$1"', ["vol-0zzz"], {
    ETCD_DEVICE_BY_ID_DIR: byId,
    ETCD_DEVICE_FALLBACKS: join(dir, "nope"),
    ETCD_DEVICE_WAIT: "0",
  });
  expect(missing.code).not.toBe(0);
});

test("mount_etcd_volume writes one nofail fstab entry by UUID and is idempotent", async () => {
  const image = sparseImage("mount.img");
  await runLib(["etcd-volume.sh"], 'ensure_filesystem "$1"', [image]);
  const uuid = await uuidOf(image);
  const fstab = join(dir, "fstab");
  writeFileSync(fstab, "UUID=root-uuid / ext4 defaults 0 1\n");
  const mountLog = join(dir, "mount.log");
  const env = {
    FSTAB: fstab,
    MOUNT: "/bin/echo", // stub: mounting needs a block device and privileges
    MOUNTPOINT_BIN: "/bin/false", // stub: "not mounted yet"
  };
  const mountpoint = join(dir, "mnt");
  for (let i = 0; i < 2; i++) {
    const r = await runLib(
      ["etcd-volume.sh"],
      `mount_etcd_volume "$1" "$2" 2>>"${mountLog}"`,
      [image, mountpoint],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`UUID=${uuid} ${mountpoint}\n`);
  }
  const lines = readFileSync(fstab, "utf8").trim().split("\n");
  expect(lines).toEqual([
    "UUID=root-uuid / ext4 defaults 0 1",
    `UUID=${uuid} ${mountpoint} ext4 defaults,nofail,noatime 0 2`,
  ]);
  // The data dir is etcd's (0700), below the mount point so lost+found never sits in it.
  const mode = (await runLib([], 'stat -c %a "$1"', [join(mountpoint, "data")])).stdout.trim();
  expect(mode).toBe("700");

  // A different filesystem for the same mount point is refused, not silently added.
  const other = sparseImage("other.img");
  await runLib(["etcd-volume.sh"], 'ensure_filesystem "$1"', [other]);
  const clash = await runLib(["etcd-volume.sh"], 'mount_etcd_volume "$1" "$2"', [other, mountpoint], env);
  expect(clash.code).not.toBe(0);
  expect(clash.stderr).toContain("refusing to guess");
});
