package io.stratacache.kv;

import java.util.Arrays;
import java.util.Locale;

/**
 * How an inference engine arranges one layer's paged KV buffer. A slot is {@code block ×
 * block_size + offset}; a token's key (or value, or MLA latent) is {@code heads × head_dim}
 * contiguous elements.
 *
 * <pre>
 *   FLASH_ATTN   [2, blocks, block_size, heads, head_dim]   K plane, then V plane
 *   FLASH_INFER  [blocks, 2, block_size, heads, head_dim]   per block: K rows, then V rows
 *   MLA          [blocks, block_size, head_dim]             one latent plane (heads = 1)
 * </pre>
 */
public enum KvLayoutKind {
  /** vLLM's flash-attention layout: {@code [2, blocks, block_size, heads, head_dim]}. */
  FLASH_ATTN("flash_attn", 2, true),
  /** FlashInfer's layout: {@code [blocks, 2, block_size, heads, head_dim]}. */
  FLASH_INFER("flashinfer", 2, false),
  /** Multi-head latent attention: {@code [blocks, block_size, head_dim]}, one plane, no heads. */
  MLA("mla", 1, true);

  private final String label;
  private final int planes;
  private final boolean slotsContiguous;

  KvLayoutKind(String label, int planes, boolean slotsContiguous) {
    this.label = label;
    this.planes = planes;
    this.slotsContiguous = slotsContiguous;
  }

  /** The lower-case name used in keys, e.g. {@code flash_attn}. */
  public String label() {
    return label;
  }

  /** Planes per layer: 2 (K and V) or 1 (MLA latent). */
  public int planes() {
    return planes;
  }

  /**
   * Whether consecutive slots are adjacent in memory across a block boundary (true when blocks
   * are laid out one after another inside a plane), so that a run of slots may span blocks.
   */
  boolean slotsContiguous() {
    return slotsContiguous;
  }

  /**
   * Parses a label ({@code flash_attn}, {@code flashinfer}, {@code mla}), case-insensitively;
   * {@code flash_infer} is accepted too.
   *
   * @throws IllegalArgumentException naming the value and the accepted labels
   */
  public static KvLayoutKind parse(String name) {
    String s = name.trim().toLowerCase(Locale.ROOT);
    for (KvLayoutKind k : values()) {
      if (k.label.equals(s)) {
        return k;
      }
    }
    if (s.equals("flash_infer")) {
      return FLASH_INFER;
    }
    throw new IllegalArgumentException(
        "kv layout: \"" + name + "\" (expected one of "
            + Arrays.toString(Arrays.stream(values()).map(KvLayoutKind::label).toArray()) + ")");
  }

  @Override
  public String toString() {
    return label;
  }
}
