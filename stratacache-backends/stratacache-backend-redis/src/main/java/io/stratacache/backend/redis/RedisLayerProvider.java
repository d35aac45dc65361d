package io.stratacache.backend.redis;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/** The {@code redis} provider: a plane shared by processes and nodes on Redis or Redis Cluster. */
public final class RedisLayerProvider implements LayerProvider {
  @Override
  public String name() {
    return "redis";
  }

  /**
   * Always available: the client is on the class path, and whether a server answers is for
   * {@link #open} to find out (it fails with a message naming the servers).
   */
  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  /** Opens a {@link RedisLayer}; see {@link RedisConfig} for the settings. */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    return RedisLayer.open(spec);
  }
}
