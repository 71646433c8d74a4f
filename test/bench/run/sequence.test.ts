import { describe, expect, it } from 'vitest';
import { SequenceChecker } from '../../../bench/run/sequence.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the sequence checker', () => {
  it('counts a clean sequence as delivered', () => {
    const checker = new SequenceChecker();
    for (const id of range(1, 10)) expect(checker.receive(id)).toBe(true);
    expect(checker.count(range(1, 10))).toEqual({ delivered: 10, lost: 0 });
    expect([checker.duplicated, checker.outOfOrder]).toEqual([0, 0]);
  });

  it('reports a dropped message as lost', () => {
    const checker = new SequenceChecker();
    for (const id of range(1, 10)) if (id !== 4) checker.receive(id);
    expect(checker.count(range(1, 10))).toEqual({ delivered: 9, lost: 1 });
    expect(checker.has(4)).toBe(false);
  });

  it('reports messages that never came after the last one seen as lost', () => {
    const checker = new SequenceChecker();
    for (const id of range(1, 7)) checker.receive(id);
    expect(checker.count(range(1, 10))).toEqual({ delivered: 7, lost: 3 });
  });

  it('counts a late message as out of order, not lost', () => {
    const checker = new SequenceChecker();
    for (const id of [1, 2, 4, 3, 5]) checker.receive(id);
    expect(checker.outOfOrder).toBe(1);
    expect(checker.count(range(1, 5))).toEqual({ delivered: 5, lost: 0 });
  });

  it('counts a duplicate once and says so', () => {
    const checker = new SequenceChecker();
    expect([1, 2, 2, 3, 1].map((id) => checker.receive(id))).toEqual([true, true, false, true, false]);
    expect(checker.duplicated).toBe(2);
    expect(checker.received).toBe(5);
    expect(checker.count(range(1, 3))).toEqual({ delivered: 3, lost: 0 });
  });

  it('only asks about the ids it is given (the measured window)', () => {
    const checker = new SequenceChecker();
    for (const id of [1, 2, 5, 6]) checker.receive(id);
    expect(checker.count([5, 6])).toEqual({ delivered: 2, lost: 0 });
    expect(checker.count([3, 4, 5])).toEqual({ delivered: 1, lost: 2 });
  });
});
