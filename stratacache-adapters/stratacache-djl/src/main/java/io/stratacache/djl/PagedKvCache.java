package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.stratacache.core.CapacityException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The KV cache of a {@link LlamaModel} in pages, one page buffer per layer in the vLLM
 * flash-attention layout:
 *
 * <pre>
 *  layer l:  [2, numBlocks, blockSize, numKvHeads, headDim]   float32, C order
 *             ^K/V  ^block    ^offset in block
 *  slot = block * blockSize + offset        (a token's row in the flattened [2, slots, H, D] view)
 * </pre>
 *
 * <p>Each layer's pages are one native segment (zero-filled, allocated once) that the model's
 * PyTorch tensors wrap without copying ({@link NdSegments#wrap}), so a KV adapter can gather from
 * and scatter into {@link #layerPages(int)} directly and the model sees the bytes at once.
 *
 * <p>Blocks are handed to {@link KvSequence}s on demand and returned when a sequence is closed.
 * Block allocation is thread-safe; a sequence and the pages it owns are used by one thread at a
 * time.
 */
public final class PagedKvCache implements AutoCloseable {
  private final ModelConfig config;
  private final int numBlocks;
  private final int blockSize;
  private final Arena arena = Arena.ofShared();
  private final NDManager manager;
  private final MemorySegment[] pages;
  private final NDArray[] slotViews;
  private final ArrayDeque<Integer> free = new ArrayDeque<>();
  private boolean closed;

  /**
   * Allocates {@code numBlocks} blocks of {@code blockSize} tokens for every layer of
   * {@code config}.
   *
   * @throws IllegalArgumentException if a count is not positive or a layer's pages exceed 2 GiB
   */
  public PagedKvCache(ModelConfig config, int numBlocks, int blockSize) {
    this.config = Objects.requireNonNull(config, "config");
    if (numBlocks <= 0) {
      throw new IllegalArgumentException("numBlocks: " + numBlocks + " (expected: > 0)");
    }
    if (blockSize <= 0) {
      throw new IllegalArgumentException("blockSize: " + blockSize + " (expected: > 0)");
    }
    long layerBytes = 2L * numBlocks * blockSize * config.kvDim() * Float.BYTES;
    if (layerBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "numBlocks: " + numBlocks + " x blockSize " + blockSize + " needs " + layerBytes + " bytes per layer (expected: < 2 GiB)");
    }
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.manager = DjlRuntime.newManager();
    this.pages = new MemorySegment[config.numLayers()];
    this.slotViews = new NDArray[config.numLayers()];
    Shape slotShape = new Shape(2, (long) numBlocks * blockSize, config.numKvHeads(), config.headDim());
    for (int l = 0; l < pages.length; l++) {
      pages[l] = arena.allocate(layerBytes, 64);
      slotViews[l] = NdSegments.wrap(manager, pages[l], slotShape, DataType.FLOAT32);
    }
    for (int b = 0; b < numBlocks; b++) {
      free.add(b);
    }
  }

  /** The model shape these pages are for. */
  public ModelConfig config() {
    return config;
  }

  /** Blocks per layer. */
  public int numBlocks() {
    return numBlocks;
  }

  /** Tokens per block. */
  public int blockSize() {
    return blockSize;
  }

  /** The page shape of one layer: {@code [2, numBlocks, blockSize, numKvHeads, headDim]}. */
  public long[] layerShape() {
    return new long[] {2, numBlocks, blockSize, config.numKvHeads(), config.headDim()};
  }

  /**
   * Layer {@code layer}'s pages ({@link #layerShape()}, float32): the memory the model computes
   * on. Valid until this cache is closed.
   */
  public MemorySegment layerPages(int layer) {
    Objects.checkIndex(layer, pages.length);
    return pages[layer];
  }

  /** Layer {@code layer}'s pages as a {@code [2, slots, kvHeads, headDim]} array (no copy). */
  NDArray slotView(int layer) {
    return slotViews[layer];
  }

  /** A new, empty sequence. */
  public KvSequence newSequence() {
    return new KvSequence(this);
  }

  /** Blocks not held by any sequence. */
  public synchronized int freeBlocks() {
    return free.size();
  }

  synchronized int allocate(int forTokens) {
    if (closed) {
      throw new IllegalStateException("KV cache is closed");
    }
    Integer b = free.poll();
    if (b == null) {
      throw new CapacityException(
          "KV cache: no free block for " + forTokens + " tokens (all " + numBlocks + " blocks of " + blockSize + " tokens are in use)");
    }
    return b;
  }

  synchronized void release(int[] blocks, int count) {
    for (int i = 0; i < count; i++) {
      free.add(blocks[i]);
    }
  }

  /** Frees the pages. Arrays are closed before the memory they wrap. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    manager.close();
    arena.close();
  }
}
