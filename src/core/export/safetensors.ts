/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON naming
 * each tensor's dtype, shape and byte range, then the raw little-endian data. PyTorch, JAX and
 * TensorFlow users load it with `safetensors.torch.load_file` and friends; it holds no code, so loading
 * one is safe, unlike a pickled state dict.
 */
import type { NamedArray } from '../params';

/** Metadata values must be strings in the format. */
export type SafetensorsMetadata = Record<string, string>;

/** Encodes float32 tensors in the order given, each 8-byte aligned after the header. */
export function encodeSafetensors(tensors: readonly NamedArray[], metadata: SafetensorsMetadata = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${t.name}: shape [${t.shape}] holds ${count} values, the data ${t.data.length}`);
    if (t.name in header) throw new Error(`duplicate tensor name ${t.name}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // The data starts 8-byte aligned (readers may map it as float64 or int64 arrays): pad with spaces.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    // Float32Array is platform-endian; every platform VS Code runs on is little-endian, as the format is.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
