/** The profile schema: the stock profiles validate; bad ones fail with a message naming the field. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  isDirect,
  networkSchema,
  NetworkProfileError,
  profileNames,
  profiles,
  profileSchema,
  resolveNetworks,
  resolveProfile,
} from '../../../bench/network/profiles.ts';

describe('network profiles', () => {
  it('has the stock profiles the README names, each valid under its own schema', () => {
    expect(profileNames).toEqual(['loopback', 'lan', 'broadband', 'mobile-4g', 'mobile-3g']);
    for (const name of profileNames) expect(profileSchema.parse(profiles[name])).toEqual(profiles[name]);
    expect(profiles.lan.rttMs).toBe(1);
    expect(profiles.broadband.rttMs).toBe(30);
    expect(profiles['mobile-4g'].downBitsPerSecond).toBeGreaterThan(0);
    expect(profiles['mobile-3g'].lossRate).toBeGreaterThan(0);
    expect(isDirect(profiles.loopback)).toBe(true);
    expect(isDirect(profiles.lan)).toBe(false);
  });

  it('resolves a name or an inline object, filling defaults', () => {
    expect(resolveProfile('broadband')).toBe(profiles.broadband);
    const inline = resolveProfile({ name: 'office-vpn', rttMs: 45, downBitsPerSecond: 20e6 });
    expect(inline).toMatchObject({
      name: 'office-vpn',
      rttMs: 45,
      downBitsPerSecond: 20e6,
      lossRate: 0,
      segmentBytes: 1460,
      handshake: true,
    });
    expect(resolveProfile({ rttMs: 5 }).name).toBe('custom');
  });

  it.each([
    [{ rttMs: -1 }, 'network.rttMs'],
    [{ rttMs: 10, lossRate: 2 }, 'network.lossRate'],
    [{ rttMs: 10, downBitsPerSecond: 0 }, 'network.downBitsPerSecond'],
    [{ rttMs: 10, upBitsPerSecond: '10M' }, 'network.upBitsPerSecond'],
    [{ rttMs: 10, rtt: 5 }, 'rtt'],
    [{ downBitsPerSecond: 1e6 }, 'network.rttMs'],
    [{ rttMs: 10, name: 'Bad Name' }, 'network.name'],
  ])('rejects %j naming %s', (value, field) => {
    expect(() => resolveProfile(value)).toThrow(NetworkProfileError);
    expect(() => resolveProfile(value)).toThrow(field);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => resolveProfile('dialup')).toThrow(/unknown network profile "dialup" \(known: loopback, lan, broadband/);
  });

  it('resolves the scenario field: one, or a list of names and objects', () => {
    expect(resolveNetworks('lan')).toEqual([profiles.lan]);
    expect(resolveNetworks(['loopback', { name: 'x', rttMs: 3 }]).map((p) => p.name)).toEqual(['loopback', 'x']);
    expect(() => resolveNetworks([])).toThrow('at least one');
    expect(() => resolveNetworks(['lan', { rttMs: 'fast' }])).toThrow('network.1.rttMs');
  });

  it('gives a scenario schema the path of the wrong field', () => {
    const scenario = z.strictObject({ clients: z.number(), network: networkSchema.optional() });
    expect(scenario.parse({ clients: 1, network: ['lan', 'mobile-3g'] }).network?.map((p) => p.name)).toEqual(['lan', 'mobile-3g']);
    const result = scenario.safeParse({ clients: 1, network: ['lan', { rttMs: 20, lossRate: -0.1 }, 'dialup'] });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual([
      ['network.1.lossRate', expect.stringContaining('>=0')],
      ['network.2', expect.stringContaining('unknown network profile "dialup"')],
    ]);
    expect(scenario.safeParse({ clients: 1, network: 42 }).error?.issues[0]?.message).toMatch(/must be a profile name/);
  });
});
