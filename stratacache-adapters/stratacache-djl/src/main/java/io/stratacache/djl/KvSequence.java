package io.stratacache.djl;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sequence's view of a {@link PagedKvCache}: its block table and how many tokens of KV it
 * holds. Token {@code p} lives in slot {@code blockTable[p / blockSize] * blockSize + p %
 * blockSize}. Blocks are taken from the cache as the sequence grows and given back on
 * {@link #close()}. Not thread-safe.
 */
public final class KvSequence implements AutoCloseable {
  private final PagedKvCache cache;
  private int[] blocks = new int[8];
  private int blockCount;
  private int length;
  private boolean closed;

  KvSequence(PagedKvCache cache) {
    this.cache = Objects.requireNonNull(cache, "cache");
  }

  /** The cache this sequence's blocks belong to. */
  public PagedKvCache cache() {
    return cache;
  }

  /** Tokens whose KV this sequence holds (positions {@code 0 .. length-1}). */
  public int length() {
    return length;
  }

  /** The blocks held, in position order; a fresh copy. */
  public int[] blockTable() {
    return Arrays.copyOf(blocks, blockCount);
  }

  /**
   * Makes room for positions up to {@code tokens - 1}, taking blocks from the cache.
   *
   * @throws io.stratacache.core.CapacityException if the cache has no free block left; blocks
   *     already taken stay with the sequence
   */
  public void reserve(int tokens) {
    ensureOpen();
    int bs = cache.blockSize();
    int needed = (tokens + bs - 1) / bs;
    while (blockCount < needed) {
      if (blockCount == blocks.length) {
        blocks = Arrays.copyOf(blocks, blocks.length * 2);
      }
      blocks[blockCount] = cache.allocate(tokens);
      blockCount++;
    }
  }

  /** The slot of position {@code position}. */
  public long slot(int position) {
    int bs = cache.blockSize();
    Objects.checkIndex(position, blockCount * bs);
    return (long) blocks[position / bs] * bs + position % bs;
  }

  /**
   * The slot mapping of positions {@code from} (inclusive) to {@code to} (exclusive).
   *
   * @throws IndexOutOfBoundsException if a position has no block reserved
   */
  public long[] slots(int from, int to) {
    Objects.checkFromToIndex(from, to, blockCount * cache.blockSize());
    long[] out = new long[to - from];
    for (int p = from; p < to; p++) {
      out[p - from] = slot(p);
    }
    return out;
  }

  /**
   * Declares that positions {@code 0 .. length-1} hold valid KV: after the model wrote them, or
   * after a KV adapter scattered a cached prefix into {@link #slots}.
   *
   * @throws IllegalArgumentException if {@code length} is negative or beyond the reserved blocks
   */
  public void setLength(int length) {
    ensureOpen();
    if (length < 0 || length > blockCount * cache.blockSize()) {
      throw new IllegalArgumentException(
          "length: " + length + " (expected: 0 to " + blockCount * cache.blockSize() + ", the reserved slots)");
    }
    this.length = length;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("KV sequence is closed");
    }
  }

  /** Gives the blocks back to the cache. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      cache.release(blocks, blockCount);
      blockCount = 0;
      length = 0;
    }
  }
}
