package io.stratacache.kv;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * An inference engine's paged KV cache: one buffer per layer, all of the same {@link KvLayout}.
 * The adapter gathers from and scatters into these buffers in place; it never keeps them.
 *
 * @param layout the layout of every layer's buffer
 * @param layers one segment per layer, each exactly {@link KvLayout#layerBytes()} bytes
 */
public record KvPages(KvLayout layout, List<MemorySegment> layers) {
  public KvPages {
    Objects.requireNonNull(layout, "layout");
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("layers: 0 (expected: at least one layer buffer)");
    }
    long expected = layout.layerBytes();
    for (int i = 0; i < layers.size(); i++) {
      long size = layers.get(i).byteSize();
      if (size != expected) {
        throw new IllegalArgumentException(
            "layer " + i + " buffer: " + size + " bytes (expected: " + expected + " for " + layout + ")");
      }
    }
  }

  /** Number of layers. */
  public int layerCount() {
    return layers.size();
  }

  /** The buffer of {@code layer}. */
  public MemorySegment layer(int layer) {
    return layers.get(layer);
  }
}
