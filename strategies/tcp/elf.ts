/**
 * The parts of an ELF file where a program keeps its string constants: `.rodata`
 * (and `.rodata.*`) and `.data`. Reading only those leaves out the instruction bytes
 * (whose printable runs are noise such as `AWAVAUATUSH`) and the dynamic symbol names
 * (`pthread_mutex_lock`: what the program calls, not what it understands).
 */

const SHT_NOBITS = 8; // .bss: no bytes in the file

interface Layout {
  is64: boolean;
  le: boolean;
}

/** The string-bearing sections of an ELF image, or undefined when it is not ELF or has no section table. */
export function stringSections(buf: Buffer): Buffer[] | undefined {
  if (buf.length < 0x40 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const layout: Layout = { is64: buf[4] === 2, le: buf[5] === 1 };
  if ((buf[4] !== 1 && buf[4] !== 2) || (buf[5] !== 1 && buf[5] !== 2)) return undefined;
  const u16 = (at: number) => (layout.le ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const u32 = (at: number) => (layout.le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const word = (at: number) => (layout.is64 ? Number(layout.le ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at)) : u32(at));
  try {
    const shoff = word(layout.is64 ? 0x28 : 0x20);
    const shentsize = u16(layout.is64 ? 0x3a : 0x2e);
    const shnum = u16(layout.is64 ? 0x3c : 0x30);
    const shstrndx = u16(layout.is64 ? 0x3e : 0x32);
    if (shoff === 0 || shnum === 0 || shstrndx >= shnum || shoff + shnum * shentsize > buf.length) return undefined;
    const header = (i: number) => {
      const at = shoff + i * shentsize;
      return {
        name: u32(at),
        type: u32(at + 4),
        offset: word(at + (layout.is64 ? 0x18 : 0x10)),
        size: word(at + (layout.is64 ? 0x20 : 0x14)),
      };
    };
    const names = header(shstrndx);
    const nameOf = (offset: number): string => {
      const start = names.offset + offset;
      const end = buf.indexOf(0, start);
      return end < 0 || end > names.offset + names.size ? '' : buf.toString('latin1', start, end);
    };
    const sections: Buffer[] = [];
    for (let i = 0; i < shnum; i++) {
      const h = header(i);
      if (h.type === SHT_NOBITS || h.size === 0 || h.offset + h.size > buf.length) continue;
      const name = nameOf(h.name);
      if (name === '.rodata' || name.startsWith('.rodata.') || name === '.data') sections.push(buf.subarray(h.offset, h.offset + h.size));
    }
    return sections.length > 0 ? sections : undefined;
  } catch {
    return undefined; // a truncated or inconsistent header: read the file as a whole instead
  }
}
