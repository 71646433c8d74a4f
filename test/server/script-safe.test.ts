/**
 * The one-pass script-safe escaping gives exactly what the plain definition gives (each
 * `<`, U+2028 and U+2029 as a `\uXXXX` escape, nothing else touched), for any JSON,
 * multi-byte characters included, and parses back to the same value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptSafe, scriptSafeBytes } from '../../server/transports/shared.ts';

/** The definition, written the slow way (a callback per character). */
const reference = (json: string): string => json.replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const tricky = fc.constantFrom(
  '<',
  '</script>',
  '<!--',
  '\u2028',
  '\u2029',
  '\u2027',
  '\u202a',
  'é',
  '😀',
  '\u00e2\u0080\u00a8',
  '"',
  '\\',
  '>',
  'x',
);
const text = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('script-safe JSON', () => {
  it('matches the definition for any value, and parses back to it', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.array(text), fc.dictionary(text, text)), (value) => {
        const json = JSON.stringify(value);
        const safe = scriptSafe(json);
        expect(safe).toBe(reference(json));
        expect(scriptSafeBytes(json).equals(Buffer.from(reference(json)))).toBe(true);
        expect(safe).not.toMatch(/[<\u2028\u2029]/);
        expect(JSON.parse(safe)).toEqual(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes 64 KiB of "<" and the line separators among them', () => {
    const json = JSON.stringify(`${'<'.repeat(64 * 1024)}\u2028\u2029<`);
    expect(scriptSafe(json)).toBe(reference(json));
    // A smaller one after a large one: the shared scratch space must not leak into it.
    expect(scriptSafe('"<a"')).toBe('"\\u003ca"');
  });
});
