package io.stratacache.kv;

/**
 * The payload of a stored KV chunk: raw C-order bytes, no header.
 *
 * <pre>
 *  K/V layouts (flash_attn, flashinfer)        MLA
 *  bundled:   [L, 2, T, H, D]                   bundled:   [L, T, D]
 *  per layer:    [2, T, H, D]                   per layer:    [T, D]
 *
 *  +---------------- layer 0 ----------------+---------------- layer 1 ----- ...
 *  | K: token 0 | token 1 | ... | token T-1  | V: token 0 | ... | token T-1 | K: ...
 *  +-----------------------------------------+------------------------------- ...
 *     each token row: H × D elements = rowBytes
 * </pre>
 *
 * <p>{@code L} is the number of layers in the artifact (all of them when bundled, 1 otherwise),
 * {@code T} the chunk's token count (the chunk size, or fewer for a trailing partial chunk),
 * {@code H × D} the row of one token in one plane. The row of (layer {@code l}, plane {@code p},
 * token {@code t}) starts at {@code ((l × planes + p) × T + t) × rowBytes}.
 */
public final class KvChunkLayout {
  private KvChunkLayout() {}

  /** Payload bytes of a chunk of {@code tokens} tokens and {@code layers} layers. */
  public static long payloadBytes(KvLayout layout, int layers, int tokens) {
    return (long) layers * layout.planes() * tokens * layout.rowBytes();
  }

  /** Offset of the row of ({@code layer}, {@code plane}, {@code token}) in a chunk of {@code tokens} tokens. */
  public static long rowOffset(KvLayout layout, int tokens, int layer, int plane, int token) {
    return (((long) layer * layout.planes() + plane) * tokens + token) * layout.rowBytes();
  }

  /**
   * The tensor shape of a chunk payload: {@code [L, 2, T, H, D]} / {@code [L, T, D]} when
   * {@code bundled}, else {@code [2, T, H, D]} / {@code [T, D]} (one layer).
   */
  public static long[] shape(KvLayout layout, boolean bundled, int layers, int tokens) {
    boolean kv = layout.planes() == 2;
    long h = layout.heads();
    long d = layout.headDim();
    if (bundled) {
      return kv ? new long[] {layers, 2, tokens, h, d} : new long[] {layers, tokens, d};
    }
    return kv ? new long[] {2, tokens, h, d} : new long[] {tokens, d};
  }
}
