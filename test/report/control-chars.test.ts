import { describe, expect, it } from 'vitest';
import { CONTROL_CHAR, describeControlChar, firstControlChar, toOneLine } from '../../tools/lib/report/control-chars.js';

describe('control characters in text that must stay one line', () => {
  it('C0, DEL, C1 and the Unicode line and paragraph separators count; printable text does not', () => {
    for (const c of ['\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f', '\u2028', '\u2029']) expect(CONTROL_CHAR.test(`a${c}b`), JSON.stringify(c)).toBe(true);
    for (const c of [' ', '~', '\u00a0', 'é', '\u2027', '\u202a', '😀']) expect(CONTROL_CHAR.test(`a${c}b`), JSON.stringify(c)).toBe(false);
  });

  it('the common ones by name, the others by code point', () => {
    expect(['\n', '\r', '\t', '\u001b', '\u0000'].map(describeControlChar)).toEqual(['a newline', 'a carriage return', 'a tab', 'an escape (ESC)', 'a NUL']);
    expect(['\u0007', '\u2028', '\u009b'].map(describeControlChar)).toEqual(['the control character U+0007', 'the control character U+2028', 'the control character U+009B']);
  });

  it('the first one and its 1-based position, or nothing', () => {
    expect(firstControlChar('release 1.2\nSigned-off-by: x\u001b')).toEqual({ description: 'a newline', position: 12 });
    expect(firstControlChar('\u2029')).toEqual({ description: 'the control character U+2029', position: 1 });
    expect(firstControlChar('plain text')).toBeUndefined();
  });

  it('machine-made text folded to one line: each run and the spaces around it become one space', () => {
    expect(toOneLine('  engine said:\r\n\r\n   port is taken \n\t(try another)\u001b[0m  ')).toBe('engine said: port is taken (try another) [0m');
    expect(toOneLine('one line already')).toBe('one line already');
    expect(toOneLine('a  b')).toBe('a  b'); // spaces alone are left as they are
  });
});
