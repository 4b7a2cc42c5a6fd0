import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../../src/core/errors.js';
import { BLACKHOLE_NET } from '../../../src/core/lab/labEndpoints.js';
import {
  LAB_SCENARIO_NAMES,
  SOURCES_PER_GENERATOR,
  combineScenarios,
} from '../../../src/core/lab/labScenarios.js';
import {
  ROUTER_TOPOLOGY,
  parseLabTopology,
  routerTopologySteps,
} from '../../../src/core/lab/routerTopology.js';
import { loopbackAddress } from '../../../src/lab/loopback.js';

const usage = (fix: RegExp) => (error: unknown) =>
  error instanceof CtdoctorError && error.kind === 'usage' && fix.test(error.message);

describe('lab --topology', () => {
  it('single and router are the topologies; anything else names both', () => {
    assert.equal(parseLabTopology('single'), 'single');
    assert.equal(parseLabTopology('router'), 'router');
    assert.throws(() => parseLabTopology('bridge'), usage(/use single or router/));
  });

  it("router: every scenario at once still draws its clients' sources from the client net", () => {
    const all = combineScenarios(LAB_SCENARIO_NAMES.filter((name) => name !== 'mixed'));
    assert.equal(all.length, 6);
    const last = all.at(-1)!;
    for (const index of [0, SOURCES_PER_GENERATOR - 1])
      assert.match(loopbackAddress(last.sourceOffset + index), /^127\.1\./, ROUTER_TOPOLOGY.clientNet);
  });
});

describe('the router topology plan', () => {
  const steps = routerTopologySteps();
  const routes = steps.filter(
    (step) => step.command === 'ip' && step.args[0] === 'route' && step.args[2] !== 'local',
  );

  it('every route goes through the far end of its link: one neighbour per link, not per source', () => {
    assert.ok(routes.length >= 5);
    for (const step of routes) {
      assert.ok(step.args.includes('via') && step.args.includes('onlink'), step.args.join(' '));
      assert.match(step.args[step.args.indexOf('via') + 1]!, /^127\./);
    }
  });

  it('the blackhole is routed to the server side and is local there, so the router confirms its flows', () => {
    const routeTo = (role: string, net: string) =>
      steps.some((step) => step.role === role && step.args[0] === 'route' && step.args.includes(net));
    assert.ok(routeTo('client', BLACKHOLE_NET));
    assert.ok(routeTo('router', BLACKHOLE_NET));
    assert.ok(
      steps.some(
        (step) =>
          step.role === 'server' && step.args.slice(0, 4).join(' ') === `route add local ${BLACKHOLE_NET}`,
      ),
    );
  });

  it('every address it adds is in 127.0.0.0/8, and lo gives up 127.0.0.1/8 in all three namespaces', () => {
    for (const step of steps.filter((item) => item.args[0] === 'addr' && item.args[1] === 'add'))
      assert.match(step.args[2]!, /^127\.\d+\.\d+\.\d+\/32$/);
    const released = steps.filter((step) => step.args.join(' ') === 'addr del 127.0.0.1/8 dev lo');
    assert.deepEqual(released.map((step) => step.role).sort(), ['client', 'router', 'server']);
  });
});
