// The bytes that get hashed and signed, and the pointer tokens every finding's path is built of.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../tools/lib/json/canonical.js';
import { escapePointerToken, unescapePointerToken } from '../../tools/lib/json/pointer.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"x":null,"z":1}]},"b":1}');
  });

  it('writes scalars, null and empty containers as JSON does', () => {
    expect([null, 1.5, 'a"b', true, [], {}].map(canonicalJson)).toEqual(['null', '1.5', '"a\\"b"', 'true', '[]', '{}']);
  });

  it('gives the same bytes whatever order the keys were added in', () => {
    expect(canonicalJson({ y: 1, x: [{ b: 2, a: 1 }] })).toBe(canonicalJson({ x: [{ a: 1, b: 2 }], y: 1 }));
  });
});

describe('JSON Pointer tokens', () => {
  it('escape ~ as ~0 and / as ~1, and leave other keys as they are', () => {
    expect(escapePointerToken('a/b~c')).toBe('a~1b~0c');
    expect(escapePointerToken('~/')).toBe('~0~1');
    expect(escapePointerToken('/only')).toBe('~1only');
    expect(escapePointerToken('only~')).toBe('only~0');
    expect(escapePointerToken('plain.key')).toBe('plain.key');
  });

  it('unescape ~1 before ~0, so ~01 reads ~1', () => {
    expect(unescapePointerToken('~01')).toBe('~1');
    expect(unescapePointerToken('a~1b~0c')).toBe('a/b~c');
    expect(unescapePointerToken('plain')).toBe('plain');
  });

  it('round-trip any key', () => {
    for (const key of ['', '~', '/', '~1', '~0', 'a/~b', '//~~']) expect(unescapePointerToken(escapePointerToken(key))).toBe(key);
  });
});
