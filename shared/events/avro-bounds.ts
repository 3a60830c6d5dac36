import type avro from 'avsc';

/**
 * Walks Avro binary data with its writer schema before avsc decodes it, and says what is wrong
 * when a length or a block count cannot fit in the bytes that are left.
 *
 * Why: avsc checks for a truncated buffer only once the whole value is read, so a hostile block
 * count (an array of 2^60 items in a 20-byte message) makes it loop and allocate until the process
 * runs out of memory, and the consumer dies again on the same message at every restart. Every item
 * of a non-empty type takes at least one byte, so a count above the bytes left is always a lie.
 */
export function avroBoundsProblem(type: avro.Type, bytes: Uint8Array): string | null {
  const state = { pos: 0 };
  try {
    skip(type, bytes, state);
  } catch (error) {
    return (error as Error).message;
  }
  return state.pos === bytes.length ? null : `${bytes.length - state.pos} byte(s) left over after the value`;
}

/** Bound on items of types that take no bytes at all (null, an empty record): no schema of ours has any. */
const MAX_EMPTY_ITEMS = 10_000;

function readLong(bytes: Uint8Array, state: { pos: number }): number {
  let result = 0;
  let shift = 1;
  for (let i = 0; ; i++) {
    if (state.pos >= bytes.length) throw new Error('truncated varint');
    if (i >= 10) throw new Error('varint longer than 10 bytes');
    const b = bytes[state.pos++] as number;
    result += (b & 0x7f) * shift;
    shift *= 128;
    if ((b & 0x80) === 0) break;
  }
  // Zig-zag: 0, -1, 1, -2... (exact below 2^53, which is all a count or length needs)
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

function take(bytes: Uint8Array, state: { pos: number }, n: number, what: string): void {
  if (n < 0 || state.pos + n > bytes.length) {
    throw new Error(`${what} of ${n} byte(s) at offset ${state.pos}, only ${bytes.length - state.pos} left`);
  }
  state.pos += n;
}

/** The fewest bytes one value of `type` can take: 0 only for null and empty records. */
function minimumSize(type: avro.Type): number {
  const t = type as unknown as { typeName: string; fields?: { type: avro.Type }[]; size?: number };
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'record':
    case 'error':
      return (t.fields ?? []).reduce((sum, f) => sum + minimumSize(f.type), 0);
    case 'fixed':
      return t.size ?? 0;
    default:
      return 1;
  }
}

function skipBlocks(bytes: Uint8Array, state: { pos: number }, itemSize: number, skipItem: () => void): void {
  for (;;) {
    let count = readLong(bytes, state);
    if (count === 0) return;
    if (count < 0) {
      count = -count;
      readLong(bytes, state); // the block's size in bytes
    }
    const left = bytes.length - state.pos;
    const most = itemSize === 0 ? MAX_EMPTY_ITEMS : Math.floor(left / itemSize);
    if (count > most)
      throw new Error(`a block of ${count} items at offset ${state.pos}, room for at most ${most}`);
    for (let i = 0; i < count; i++) skipItem();
  }
}

function skip(type: avro.Type, bytes: Uint8Array, state: { pos: number }): void {
  const t = type as unknown as {
    typeName: string;
    fields?: { type: avro.Type }[];
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
    size?: number;
    symbols?: string[];
    underlyingType?: avro.Type;
  };
  // Logical types are read as their underlying type.
  if (t.underlyingType) {
    skip(t.underlyingType, bytes, state);
    return;
  }
  switch (t.typeName) {
    case 'null':
      return;
    case 'boolean':
      take(bytes, state, 1, 'a boolean');
      return;
    case 'int':
    case 'long':
      readLong(bytes, state);
      return;
    case 'float':
      take(bytes, state, 4, 'a float');
      return;
    case 'double':
      take(bytes, state, 8, 'a double');
      return;
    case 'bytes':
    case 'string':
      take(bytes, state, readLong(bytes, state), `a ${t.typeName}`);
      return;
    case 'fixed':
      take(bytes, state, t.size ?? 0, 'a fixed');
      return;
    case 'enum': {
      const index = readLong(bytes, state);
      if (index < 0 || index >= (t.symbols?.length ?? 0)) throw new Error(`enum index ${index} out of range`);
      return;
    }
    case 'record':
    case 'error':
      for (const field of t.fields ?? []) skip(field.type, bytes, state);
      return;
    case 'array': {
      const items = t.itemsType as avro.Type;
      skipBlocks(bytes, state, minimumSize(items), () => skip(items, bytes, state));
      return;
    }
    case 'map': {
      const values = t.valuesType as avro.Type;
      skipBlocks(bytes, state, 1 + minimumSize(values), () => {
        take(bytes, state, readLong(bytes, state), 'a map key');
        skip(values, bytes, state);
      });
      return;
    }
    case 'union:wrapped':
    case 'union:unwrapped': {
      const branches = t.types ?? [];
      const index = readLong(bytes, state);
      const branch = branches[index];
      if (!branch) throw new Error(`union branch ${index} out of range (${branches.length} branches)`);
      skip(branch, bytes, state);
      return;
    }
    default:
      throw new Error(`unsupported Avro type ${t.typeName}`);
  }
}
