/** Option parsers the bench's command lines share (commander's `InvalidArgumentError` names the flag). */
import { InvalidArgumentError } from 'commander';

/** Parses an integer option in `[min, max]` (default: no upper bound); digits only, so `1e3`, `-1` and `2.5` are refused. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? min === 1
        ? 'a positive integer'
        : `an integer of at least ${min}`
      : `an integer from ${min} to ${max}`;
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`expected ${expected}`);
    return Number(value);
  };
}
