import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNamespace, netnsFlag } from '../../../src/core/findings/doctor/namespaceWords.js';
import { identifyWorkload } from '../../../src/core/doctor/workloadIdentity.js';
import { namespaceReadings } from '../../support/findings.js';

const pod = identifyWorkload(
  '0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_5f60_4718_9293_a4b5c6d7e8f9.slice/cri-containerd-aa11bb22cc33dd44ee55ff6677889900aabbccddeeff00112233445566778899.scope',
);

describe("namespaces in the operator's words", () => {
  it('a pod by its uid, a named namespace by its name, the host as the host', () => {
    const inode = namespaceReadings().inode;
    const inPod = namespaceReadings({ names: [], processes: [{ pid: 7, command: 'nginx', workload: pod }] });
    assert.equal(describeNamespace(inPod), `netns ${inode} (pod 1b2c3d4e, nginx)`);
    assert.equal(describeNamespace(namespaceReadings()), `netns ${inode} (ip netns web, nginx)`);
    assert.equal(describeNamespace(namespaceReadings({ initial: true })), 'the host namespace');
  });

  it('--netns takes the name, else a pid, else the path; nothing on the host', () => {
    assert.equal(netnsFlag(namespaceReadings()), ' --netns web');
    assert.equal(netnsFlag(namespaceReadings({ names: [] })), ' --netns 4242');
    assert.equal(netnsFlag(namespaceReadings({ names: [], processes: [] })), ' --netns /run/netns/web');
    assert.equal(netnsFlag(namespaceReadings({ initial: true })), '');
  });
});
