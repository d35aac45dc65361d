package io.stratacache.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Computes chained chunk hashes: {@code hash(k) = SHA-256(hash(k-1) ‖ tokens of chunk k as
 * little-endian uint32)}, with {@code hash(-1)} the {@link KvNamespace#seed()}. A token is hashed
 * as the 32 bits of its {@code int} (so {@code -1} is {@code ff ff ff ff}).
 *
 * <p>Not thread-safe: one instance per thread or per call. It reuses one digest and one byte
 * buffer holding the parent hash followed by the chunk's token bytes, so a chunk is one digest
 * update and hashing allocates nothing per token or per chunk.
 */
public final class KvChunkHasher {
  /** Bytes of a chunk hash. */
  public static final int HASH_BYTES = 32;

  private static final ValueLayout.OfInt TOKEN = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final MessageDigest digest = KvNamespace.sha256();
  private final byte[] buffer;
  private final MemorySegment bufferSegment;
  private final int maxTokens;

  /**
   * A hasher for chunks of at most {@code maxTokens} tokens.
   *
   * @throws IllegalArgumentException if {@code maxTokens} is not positive or too large
   */
  public KvChunkHasher(int maxTokens) {
    if (maxTokens <= 0 || maxTokens > Integer.MAX_VALUE / Integer.BYTES) {
      throw new IllegalArgumentException(
          "maxTokens: " + maxTokens + " (expected: 1 to " + Integer.MAX_VALUE / Integer.BYTES + ")");
    }
    this.maxTokens = maxTokens;
    this.buffer = new byte[HASH_BYTES + maxTokens * Integer.BYTES];
    this.bufferSegment = MemorySegment.ofArray(buffer);
  }

  /**
   * Writes {@code SHA-256(parent ‖ LE32(tokens[from..to)))} into {@code out[0..32)}; {@code out}
   * may be {@code parent}.
   *
   * @throws IllegalArgumentException if {@code parent} is not 32 bytes, the range is empty or out of
   *     bounds, or longer than this hasher's maximum, or {@code out} is shorter than 32 bytes
   */
  public void hash(byte[] parent, int[] tokens, int from, int to, byte[] out) {
    if (parent.length != HASH_BYTES) {
      throw new IllegalArgumentException("parent: " + parent.length + " bytes (expected: " + HASH_BYTES + ")");
    }
    int n = to - from;
    if (from < 0 || to > tokens.length || n <= 0 || n > maxTokens) {
      throw new IllegalArgumentException(
          "token range: [" + from + ", " + to + ") of " + tokens.length + " (expected: 1 to " + maxTokens + " tokens in bounds)");
    }
    if (out.length < HASH_BYTES) {
      throw new IllegalArgumentException("out: " + out.length + " bytes (expected: at least " + HASH_BYTES + ")");
    }
    System.arraycopy(parent, 0, buffer, 0, HASH_BYTES);
    MemorySegment.copy(tokens, from, bufferSegment, TOKEN, HASH_BYTES, n);
    digest.update(buffer, 0, HASH_BYTES + n * Integer.BYTES);
    try {
      digest.digest(out, 0, HASH_BYTES);
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 refused a " + out.length + "-byte output", e);
    }
  }
}
