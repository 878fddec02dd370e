// JSON Pointer (RFC 6901) tokens: `~` is written `~0` and `/` is written `~1`, so any key
// fits between the slashes of a pointer such as `/spec/config/a~1b`.

/** A key as one pointer token. Keys without `~` or `/` (nearly all) are returned as they are. */
export function escapePointerToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** The key a pointer token stands for (`~1` before `~0`, so `~01` reads `~1`). */
export function unescapePointerToken(token: string): string {
  return token.includes('~') ? token.replace(/~1/g, '/').replace(/~0/g, '~') : token;
}
