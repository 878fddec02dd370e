// Control characters — C0, DEL, C1 and the Unicode line and paragraph separators — in text
// that must stay one line: a newline there forges a commit trailer or a record, an ESC hides
// text in a terminal. One definition for every place that refuses them.

// eslint-disable-next-line no-control-regex
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const NAMES: Record<string, string> = { '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', '\u001b': 'an escape (ESC)', '\u0000': 'a NUL' };

/** "a newline", "the control character U+2028", … */
export function describeControlChar(c: string): string {
  return NAMES[c] ?? `the control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first control character of `text` as words and its 1-based position, if any. */
export function firstControlChar(text: string): { description: string; position: number } | undefined {
  const m = CONTROL_CHAR.exec(text);
  return m ? { description: describeControlChar(m[0]), position: m.index + 1 } : undefined;
}

/** Machine-made text (an engine's error message) as one line: each run of control characters and the spaces around it becomes one space. */
export function toOneLine(text: string): string {
  return text.replace(new RegExp(`\\s*${CONTROL_CHAR.source}+\\s*`, 'g'), ' ').trim();
}
