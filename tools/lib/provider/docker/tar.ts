// The smallest tar (ustar) the Engine's archive endpoint accepts: regular files with an owner
// and a mode set in their headers, built in memory so a secret never touches the disk.

export interface TarFile {
  name: string;
  data: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'ascii');
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function headerOf(file: TarFile, mtime: number): Buffer {
  if (Buffer.byteLength(file.name) > 100 || /[/\0]/.test(file.name)) throw new Error(`tar: ${JSON.stringify(file.name)} is not a plain file name`);
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, file.name);
  octal(h, 100, 8, file.mode);
  octal(h, 108, 8, file.uid);
  octal(h, 116, 8, file.gid);
  octal(h, 124, 12, file.data.length);
  octal(h, 136, 12, mtime);
  field(h, 148, 8, ' '.repeat(8)); // the checksum counts its own field as spaces
  field(h, 156, 1, '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar archive of `files`, ending with the two zero blocks. */
export function tarOf(files: readonly TarFile[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(headerOf(f, mtime), f.data);
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
