/**
 * A minimal protobuf wire-format reader for the fused OTLP decoders (`proto-rows.ts`).
 *
 * It reads fields in place — no message objects: callers walk a message's byte range tag by tag
 * and keep only positions of what they need. Every read is bounded by the end of the enclosing
 * message (not just the buffer), so a length or varint that runs past its message is an error, as
 * in protoc and protobufjs. Malformed input throws `WireError`; the decoders turn that into an
 * `OtlpInvalidError` naming the request type.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. Groups (3/4) are deprecated,
 * never used by OTLP and refused; 6 and 7 do not exist.
 */

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export const WT_VARINT = 0;
export const WT_FIXED64 = 1;
export const WT_LEN = 2;
export const WT_FIXED32 = 5;

/**
 * Node's Buffer slicing methods, what `toString(encoding, start, end)` calls after checking its
 * arguments (they are on Buffer.prototype in every Node version; protobufjs uses utf8Slice too).
 */
interface FastSlices {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

/** The bytes as a string; they must be valid UTF-8 (checked by the caller). */
export function utf8Slice(b: Buffer, start: number, end: number): string {
  return (b as unknown as FastSlices).utf8Slice(start, end);
}

/** The bytes as lowercase hex. */
export function hexSlice(b: Buffer, start: number, end: number): string {
  return (b as unknown as FastSlices).hexSlice(start, end);
}

/** A Buffer over the same memory (no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Whether bytes [start, end) are well-formed UTF-8 (Unicode table 3-7): no overlong forms, no
 * surrogates (U+D800..DFFF), nothing above U+10FFFF, no truncated sequences. The same set that
 * `new TextDecoder('utf-8', { fatal: true })` accepts.
 */
export function isValidUtf8(b: Uint8Array, start: number, end: number): boolean {
  return utf8Extra(b, start, end) >= 0;
}

/**
 * For well-formed UTF-8 (see isValidUtf8) bytes [start, end): how many more bytes they are than
 * the UTF-16 code units of their text (1 per 2-byte sequence, 2 per 3- or 4-byte one); -1 when
 * they are not well-formed.
 */
export function utf8Extra(b: Uint8Array, start: number, end: number): number {
  let extra = 0;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2) return -1; // continuation byte, or an overlong 2-byte lead (C0/C1)
    if (c < 0xe0) {
      if (i + 1 >= end || (b[i + 1]! & 0xc0) !== 0x80) return -1;
      i += 2;
      extra += 1;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) return -1;
      const c1 = b[i + 1]!;
      if (c === 0xe0) {
        if (c1 < 0xa0 || c1 > 0xbf) return -1; // overlong
      } else if (c === 0xed) {
        if (c1 < 0x80 || c1 > 0x9f) return -1; // surrogates
      } else if ((c1 & 0xc0) !== 0x80) return -1;
      if ((b[i + 2]! & 0xc0) !== 0x80) return -1;
      i += 3;
      extra += 2;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) return -1;
      const c1 = b[i + 1]!;
      if (c === 0xf0) {
        if (c1 < 0x90 || c1 > 0xbf) return -1; // overlong
      } else if (c === 0xf4) {
        if (c1 < 0x80 || c1 > 0x8f) return -1; // above U+10FFFF
      } else if ((c1 & 0xc0) !== 0x80) return -1;
      if ((b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return -1;
      i += 4;
      extra += 2; // a surrogate pair
      continue;
    }
    return -1;
  }
  return extra;
}

/** Throws unless bytes [start, end) are valid UTF-8 (a proto3 `string` field must be). */
export function checkUtf8(b: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      if (!isValidUtf8(b, i, end)) {
        throw new WireError(`string at byte ${start} is not valid for encoding utf-8`);
      }
      return;
    }
  }
}

/**
 * Cursor over one buffer. `pos` is public: decoders save and restore it around nested walks.
 * 64-bit varints are returned in two unsigned 32-bit halves (`lo`, `hi`).
 */
export class WireReader {
  readonly buf: Buffer;
  readonly view: DataView;
  pos = 0;
  /** Low and high 32 bits (unsigned) of the last varint read. */
  lo = 0;
  hi = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads a field tag (field number << 3 | wire type); field 0 and tags above 32 bits are errors. */
  tag(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const b = this.buf[pos]!;
      if (b < 0x80 && b >= 8) {
        this.pos = pos + 1;
        return b;
      }
    }
    this.varint(end);
    if (this.hi !== 0 || this.pos - pos > 5) throw new WireError(`invalid tag at byte ${pos}`);
    if (this.lo >>> 3 === 0) throw new WireError(`field number 0 at byte ${pos}`);
    return this.lo;
  }

  /** Reads a varint of up to 10 bytes; returns its low 32 bits (unsigned) and sets `lo`/`hi`. */
  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        this.hi = 0;
        this.lo = b;
        return b;
      }
    }
    const start = pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    // Bytes 1..4: bits 0..27.
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncated('varint', start);
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = 0;
        this.lo = lo >>> 0;
        return this.lo;
      }
    }
    // Byte 5: bits 28..34.
    if (pos >= end) throw truncated('varint', start);
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    // Bytes 6..10: bits 35..63 (what lies beyond bit 63 is dropped, as protoc does).
    for (let shift = 3; b >= 0x80; shift += 7) {
      if (shift > 31) throw new WireError(`varint longer than 10 bytes at byte ${start}`);
      if (pos >= end) throw truncated('varint', start);
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
    }
    this.pos = pos;
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this.lo;
  }

  /**
   * Reads the length prefix of a length-delimited field; returns the field's end (the content
   * starts at `pos`). Errors when the content runs past `end`.
   */
  delimited(end: number): number {
    const at = this.pos;
    const len = this.varint(end);
    const contentEnd = this.pos + len;
    if (this.hi !== 0 || contentEnd > end) {
      throw new WireError(`length at byte ${at} runs past the end of its message`);
    }
    return contentEnd;
  }

  /** Reads a length-delimited field's content in place: returns where it starts, leaves `pos` at its end. */
  bytes(end: number): number {
    const contentEnd = this.delimited(end);
    const start = this.pos;
    this.pos = contentEnd;
    return start;
  }

  /** `bytes` for a `string` field: its content must be UTF-8 (checked). */
  string(end: number): number {
    const start = this.bytes(end);
    checkUtf8(this.buf, start, this.pos);
    return start;
  }

  /** Position of a fixed64 value, advancing past it. */
  fixed64(end: number): number {
    const pos = this.pos;
    if (pos + 8 > end) throw truncated('fixed64', pos);
    this.pos = pos + 8;
    return pos;
  }

  /** Reads an unsigned fixed32 value. */
  fixed32(end: number): number {
    const pos = this.pos;
    if (pos + 4 > end) throw truncated('fixed32', pos);
    this.pos = pos + 4;
    return this.view.getUint32(pos, true);
  }

  double(end: number): number {
    return this.view.getFloat64(this.fixed64(end), true);
  }

  /** The unsigned fixed64 at `pos` (a position from `fixed64`). */
  uint64At(pos: number): bigint {
    return this.view.getBigUint64(pos, true);
  }

  /** Skips the value of a field of wire type `wt`. */
  skip(wt: number, end: number): void {
    switch (wt) {
      case WT_VARINT:
        this.varint(end);
        return;
      case WT_FIXED64:
        this.fixed64(end);
        return;
      case WT_LEN:
        this.pos = this.delimited(end);
        return;
      case WT_FIXED32:
        if (this.pos + 4 > end) throw truncated('fixed32', this.pos);
        this.pos += 4;
        return;
      case 3:
      case 4:
        throw new WireError(`group wire type ${wt} (deprecated, not used by OTLP) at byte ${this.pos}`);
      default:
        throw new WireError(`invalid wire type ${wt} at byte ${this.pos}`);
    }
  }

  /**
   * The `default:` of a decoder's field switch: a field of this message's schema with another
   * wire type is an error; an unknown field is skipped. `schema[field]` is the expected wire
   * type + 1 (0 = not in the schema).
   */
  other(tag: number, schema: Uint8Array, end: number): void {
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field < schema.length && schema[field] !== 0) {
      throw new WireError(
        `field ${field} has wire type ${wt}, expected ${schema[field]! - 1} (at byte ${this.pos})`,
      );
    }
    this.skip(wt, end);
  }
}

function truncated(what: string, at: number): WireError {
  return new WireError(`truncated ${what} at byte ${at}`);
}

/** A field table for `WireReader.other`: pairs of field number and wire type. */
export function schema(...fieldsAndTypes: number[]): Uint8Array {
  let max = 0;
  for (let i = 0; i < fieldsAndTypes.length; i += 2) max = Math.max(max, fieldsAndTypes[i]!);
  const t = new Uint8Array(max + 1);
  for (let i = 0; i < fieldsAndTypes.length; i += 2) t[fieldsAndTypes[i]!] = fieldsAndTypes[i + 1]! + 1;
  return t;
}

/** The tag of field `field` with wire type `wt`. */
export const tagOf = (field: number, wt: number): number => ((field << 3) | wt) >>> 0;
