package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import java.util.Objects;

/**
 * The shape of one layer's paged KV buffer (see {@link KvLayoutKind} for the three
 * arrangements). Every layer of a model has the same layout; the buffer of a layer is exactly
 * {@link #layerBytes()} bytes.
 *
 * <p>Slot {@code s} is block {@code s / blockSize}, offset {@code s % blockSize}. A token's row
 * in one plane is {@link #rowBytes()} = {@code heads × headDim × dtype size} contiguous bytes,
 * at {@link #rowOffset(int, int)}.
 *
 * @param kind how blocks and planes are arranged
 * @param numBlocks blocks in the buffer
 * @param blockSize slots per block
 * @param heads KV heads (1 for {@link KvLayoutKind#MLA})
 * @param headDim elements per head (the latent width for MLA)
 * @param dtype element type
 */
public record KvLayout(KvLayoutKind kind, int numBlocks, int blockSize, int heads, int headDim, DType dtype) {
  public KvLayout {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(dtype, "dtype");
    positive("numBlocks", numBlocks);
    positive("blockSize", blockSize);
    positive("heads", heads);
    positive("headDim", headDim);
    if (kind == KvLayoutKind.MLA && heads != 1) {
      throw new IllegalArgumentException("heads: " + heads + " (expected: 1 for the mla layout [blocks, block_size, dim])");
    }
    if ((long) numBlocks * blockSize > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "numBlocks × blockSize: " + numBlocks + " × " + blockSize + " (expected: at most " + Integer.MAX_VALUE + " slots)");
    }
  }

  /** A flash-attention layout {@code [2, blocks, block_size, heads, head_dim]}. */
  public static KvLayout flashAttn(int numBlocks, int blockSize, int heads, int headDim, DType dtype) {
    return new KvLayout(KvLayoutKind.FLASH_ATTN, numBlocks, blockSize, heads, headDim, dtype);
  }

  /** A FlashInfer layout {@code [blocks, 2, block_size, heads, head_dim]}. */
  public static KvLayout flashInfer(int numBlocks, int blockSize, int heads, int headDim, DType dtype) {
    return new KvLayout(KvLayoutKind.FLASH_INFER, numBlocks, blockSize, heads, headDim, dtype);
  }

  /** An MLA layout {@code [blocks, block_size, dim]}. */
  public static KvLayout mla(int numBlocks, int blockSize, int dim, DType dtype) {
    return new KvLayout(KvLayoutKind.MLA, numBlocks, blockSize, 1, dim, dtype);
  }

  /** Planes per layer: 2 (K, V) or 1 (MLA). */
  public int planes() {
    return kind.planes();
  }

  /** Slots in the buffer: {@code numBlocks × blockSize}. */
  public int slots() {
    return numBlocks * blockSize;
  }

  /** Bytes of one token in one plane: {@code heads × headDim × dtype size}. */
  public long rowBytes() {
    return (long) heads * headDim * dtype.byteSize();
  }

  /** Bytes of one layer's buffer. */
  public long layerBytes() {
    return planes() * (long) slots() * rowBytes();
  }

  /**
   * Byte offset of {@code slot}'s row in {@code plane} (0 = K or latent, 1 = V) within a layer's
   * buffer. Does not check its arguments.
   */
  public long rowOffset(int plane, int slot) {
    long row = rowBytes();
    return switch (kind) {
      case FLASH_ATTN -> ((long) plane * slots() + slot) * row;
      case FLASH_INFER -> {
        int block = slot / blockSize;
        int offset = slot - block * blockSize;
        yield (((long) block * 2 + plane) * blockSize + offset) * row;
      }
      case MLA -> slot * row;
    };
  }

  /** The shape of a layer's buffer, outermost first, e.g. {@code [2, 512, 16, 8, 128]}. */
  public long[] shape() {
    return switch (kind) {
      case FLASH_ATTN -> new long[] {2, numBlocks, blockSize, heads, headDim};
      case FLASH_INFER -> new long[] {numBlocks, 2, blockSize, heads, headDim};
      case MLA -> new long[] {numBlocks, blockSize, headDim};
    };
  }

  private static void positive(String what, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(what + ": " + v + " (expected: > 0)");
    }
  }
}
