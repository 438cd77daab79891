/**
 * The `etcd` role tag: an etcd node's tags say etcd, and what matches on the closed set of roles
 * (the policy pack's control-plane and etcd-volume recognition) reads it as no master.
 */
import { nodeTags, rootVolumeTags } from "../../base/nodeTags";
import { groupTags } from "../../components/nodes/nodeGroup";
import { ASG_TYPE, isEtcdVolume, isMasterAsg, VOLUME_TYPE } from "../../policy/masters";

const tags = nodeTags({
  clusterName: "demo",
  role: "etcd",
  roleTags: { "k8sha.io/etcd-member": "2" },
  name: "demo-etcd-2",
});

test("an etcd node carries role etcd, its member, and the cluster's tags", () => {
  expect(tags).toEqual({
    "k8sha.io/cluster": "demo",
    "kubernetes.io/cluster/demo": "owned",
    "k8sha.io/role": "etcd",
    "k8sha.io/etcd-member": "2",
    Name: "demo-etcd-2",
  });
  // Its root volume is no etcd member's data volume.
  expect(rootVolumeTags(tags)).not.toHaveProperty("k8sha.io/etcd-member");
});

test("the policy pack never counts an etcd node's ASG as a master, and does count its volume as etcd", () => {
  const resource = (type: string, props: Record<string, unknown>) => ({
    type,
    name: "demo-etcd-2",
    urn: `urn:${type}`,
    props,
    dependencies: [],
  });
  expect(isMasterAsg(resource(ASG_TYPE, { tags: groupTags(tags) }))).toBe(false);
  const masterGroup = groupTags({ ...tags, "k8sha.io/role": "master" });
  expect(isMasterAsg(resource(ASG_TYPE, { tags: masterGroup }))).toBe(true);
  expect(isEtcdVolume(resource(VOLUME_TYPE, { tags }))).toBe(true);
});
