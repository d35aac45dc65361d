package io.stratacache.spi;

/**
 * Makes {@link MemoryLayer}s of one medium. Found with {@link java.util.ServiceLoader}: a backend
 * jar lists its provider in {@code META-INF/services/io.stratacache.spi.LayerProvider}, and a
 * tier in {@code config.yaml} names it by {@link #name()}.
 */
public interface LayerProvider {
  /** The provider's name in configuration: lower-case ASCII letters, digits and '-'. */
  String name();

  /** Whether the medium is usable on this machine; cheap and side-effect free. */
  ProbeResult probe();

  /**
   * Opens a layer as described by {@code spec}.
   *
   * @throws io.stratacache.core.ConfigException if the spec has an unknown key or a bad value
   * @throws io.stratacache.core.LayerUnavailableException if the medium cannot be used
   */
  MemoryLayer open(LayerSpec spec);
}
