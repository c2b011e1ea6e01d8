import { describe, expect, it } from 'vitest';
import { rememberSwarmRole } from '../../../src/docker/swarm-role.js';
import { FakeSwarm } from '../../support/fake-swarm.js';

/** A FakeSwarm that counts how often it is asked for its role, and can fail to answer. */
class CountingSwarm extends FakeSwarm {
  asked = 0;
  failing = false;

  override isManager(): Promise<boolean> {
    this.asked += 1;
    return this.failing ? Promise.reject(new Error('GET /info: engine gone')) : super.isManager();
  }
}

describe('rememberSwarmRole', () => {
  it('asks the engine for its role once per period, not every cycle', async () => {
    const swarm = new CountingSwarm();
    let time = 0;
    const remembered = rememberSwarmRole(swarm, 60_000, () => time);
    expect(await remembered.isManager()).toBe(true);
    time = 59_000;
    expect(await remembered.isManager()).toBe(true);
    expect(swarm.asked).toBe(1);
    swarm.manager = false;
    time = 61_000;
    expect(await remembered.isManager()).toBe(false);
    expect(swarm.asked).toBe(2);
  });

  it('does not remember a failed read', async () => {
    const swarm = new CountingSwarm();
    swarm.failing = true;
    const remembered = rememberSwarmRole(swarm, 60_000, () => 0);
    await expect(remembered.isManager()).rejects.toThrow('engine gone');
    swarm.failing = false;
    expect(await remembered.isManager()).toBe(true);
    expect(swarm.asked).toBe(2);
  });
});
