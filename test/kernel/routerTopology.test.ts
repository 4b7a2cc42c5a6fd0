import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createRouterTopology, type RouterTopology } from '../../src/lab/routerTopology.js';
import { requireKernelLab } from '../support/kernelLab.js';

/**
 * The lab's client → router → server topology on the real kernel: a TCP connection from a client
 * source crosses the router's own table, plain and DNATed (the Kubernetes-node case), and no
 * namespace holds an address outside 127.0.0.0/8 (or ::1).
 */
const SERVER = `require('node:net').createServer((socket) => socket.end('pong')).listen(8080, '127.0.0.1', () => console.log('ready'));`;
const client = (target: string, source: string) =>
  `const socket = require('node:net').connect({ host: '${target}', port: 8080, localAddress: '${source}' });
socket.on('data', (data) => process.stdout.write(data)); socket.on('error', (error) => { console.error(error.message); process.exit(1); });`;
const BLACKHOLE_DATAGRAM = `const socket = require('node:dgram').createSocket('udp4');
socket.bind(0, '127.1.9.9', () => socket.send('x', 9000, '127.99.0.1', () => socket.close()));`;
const SERVICE_DNAT = `table ip ctdoctor_lab_service {
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    ip daddr 127.0.0.80 tcp dport 8080 dnat to 127.0.0.1
  }
}
`;

interface AddressInfo {
  ifname: string;
  addr_info: { local: string; family: string }[];
}

describe('the router topology on the real kernel', () => {
  let topology: RouterTopology;
  let server: ReturnType<typeof spawn>;

  before(async () => {
    requireKernelLab();
    topology = await createRouterTopology('ctdtopo');
    server = spawn('ip', ['netns', 'exec', topology.server.name, process.execPath, '-e', SERVER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(server.stdout!, 'data');
  });

  after(async () => {
    server?.kill('SIGKILL');
    await topology?.dispose();
  });

  const routerEntries = async () =>
    (await topology.router.execChecked('conntrack', ['-L'])).split('\n').filter(Boolean);

  it('a client connection crosses the router, which tracks it in its own table', async () => {
    const reply = await topology.client.execChecked(process.execPath, [
      '-e',
      client('127.0.0.1', '127.1.7.7'),
    ]);
    assert.equal(reply, 'pong');
    const entry = (await routerEntries()).find((line) => line.includes('src=127.1.7.7 '));
    assert.ok(entry, 'the router has the forwarded flow');
    assert.match(
      entry,
      /^tcp .* src=127\.1\.7\.7 dst=127\.0\.0\.1 sport=\d+ dport=8080 src=127\.0\.0\.1 dst=127\.1\.7\.7 /,
    );
    assert.match(entry, /\[ASSURED\]/, 'both directions went through the router');
  });

  it('DNAT on the router: a service address reaches the backend, the entry shows both', async () => {
    await topology.router.execChecked('nft', ['-f', '-'], SERVICE_DNAT);
    const reply = await topology.client.execChecked(process.execPath, [
      '-e',
      client('127.0.0.80', '127.1.8.8'),
    ]);
    assert.equal(reply, 'pong');
    const entry = (await routerEntries()).find((line) => line.includes('src=127.1.8.8 '));
    assert.match(entry ?? '', /dst=127\.0\.0\.80 sport=\d+ dport=8080 src=127\.0\.0\.1 dst=127\.1\.8\.8 /);
  });

  it('a datagram to the blackhole is confirmed by the router and stays UNREPLIED there', async () => {
    await topology.client.execChecked(process.execPath, ['-e', BLACKHOLE_DATAGRAM]);
    const entry = (await routerEntries()).find((line) => line.includes('src=127.1.9.9 '));
    assert.match(
      entry ?? '',
      /^udp .* src=127\.1\.9\.9 dst=127\.99\.0\.1 sport=\d+ dport=9000 \[UNREPLIED\]/,
    );
  });

  it('the ends track nothing: the router table is the only one the traffic filled', async () => {
    assert.equal(await topology.client.count(), 0);
    assert.equal(await topology.server.count(), 0);
    assert.ok((await routerEntries()).length >= 3);
  });

  it('each namespace holds one neighbour per link, not one per client source', async () => {
    for (const ns of [topology.client, topology.router, topology.server]) {
      const neighbours = JSON.parse(await ns.execChecked('ip', ['-j', 'neigh', 'show'])) as unknown[];
      assert.ok(neighbours.length <= 2, `${ns.name}: ${JSON.stringify(neighbours)}`);
    }
  });

  it('every address in the three namespaces is loopback', async () => {
    for (const ns of [topology.client, topology.router, topology.server]) {
      const interfaces = JSON.parse(await ns.execChecked('ip', ['-j', 'addr', 'show'])) as AddressInfo[];
      const addresses = interfaces.flatMap((item) =>
        item.addr_info.map((info) => `${item.ifname} ${info.local}`),
      );
      assert.ok(addresses.length > 0);
      for (const address of addresses)
        assert.match(address, /^\S+ (127\.\d+\.\d+\.\d+|::1)$/, `${ns.name}: ${address}`);
    }
  });
});
