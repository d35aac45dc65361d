package com.example.deflate;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;
import java.util.Set;

/** Provider {@code deflate}: a {@link DeflateLayer}; settings {@code capacity} and {@code eviction_policy}. */
public final class DeflateLayerProvider implements LayerProvider {
  @Override
  public String name() {
    return "deflate";
  }

  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  @Override
  public MemoryLayer open(LayerSpec spec) {
    spec.requireKnownKeys(Set.of());
    return new DeflateLayer(spec.tier(), spec.capacityBytes(), spec.evictionPolicy());
  }
}
