package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Orders a layer's artifacts for eviction. A layer owns one policy and calls it under its own
 * lock, so implementations need not be thread-safe. The layer skips candidates that are pinned or
 * leased.
 *
 * <p>Stock policies: {@code lru} (least recently stored or loaded first, the default), {@code
 * fifo} (oldest store first) and {@code s3fifo} (S3-FIFO: scan-resistant, an artifact loaded
 * since it was stored outlives a stream of artifacts stored once; see {@link S3FifoPolicy}).
 * Every layer that takes its policy from {@link LayerSpec#evictionPolicy()} offers all three.
 */
public interface EvictionPolicy {
  /** The policy's configuration name. */
  String name();

  /** {@code id} was stored (or replaced). */
  void onInsert(ArtifactId id, long size);

  /** {@code id} was loaded. */
  void onAccess(ArtifactId id);

  /** {@code id} left the layer. */
  void onRemove(ArtifactId id);

  /** Candidates, best victim first. Must not be used after the policy is next changed. */
  Iterator<ArtifactId> victims();

  /**
   * A fresh policy called {@code name}.
   *
   * @throws IllegalArgumentException naming the policies there are
   */
  static EvictionPolicy forName(String name) {
    return switch (name) {
      case "lru" -> new LinkedPolicy("lru", true);
      case "fifo" -> new LinkedPolicy("fifo", false);
      case "s3fifo" -> new S3FifoPolicy();
      default -> throw new IllegalArgumentException("eviction policy \"" + name + "\" (expected: lru, fifo or s3fifo)");
    };
  }

  /** LRU or FIFO over an access- or insertion-ordered {@link LinkedHashMap}. */
  final class LinkedPolicy implements EvictionPolicy {
    private final String name;
    private final LinkedHashMap<ArtifactId, Boolean> order;

    LinkedPolicy(String name, boolean accessOrder) {
      this.name = name;
      this.order = new LinkedHashMap<>(256, 0.75f, accessOrder);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void onInsert(ArtifactId id, long size) {
      order.remove(id);
      order.put(id, Boolean.TRUE);
    }

    @Override
    public void onAccess(ArtifactId id) {
      order.get(id);
    }

    @Override
    public void onRemove(ArtifactId id) {
      order.remove(id);
    }

    @Override
    public Iterator<ArtifactId> victims() {
      return order.keySet().iterator();
    }
  }
}
