package io.stratacache.backend.cpu;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/**
 * Provider {@value #NAME}: {@link CpuLayer}s, off-heap slabs in this process. Needs native access
 * (to allocate untouched memory with {@code malloc}); {@link #probe()} names the flag if it is
 * missing.
 */
public final class CpuLayerProvider implements LayerProvider {
  /** The provider's configuration name. */
  public static final String NAME = "cpu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ProbeResult probe() {
    return probe(CpuLayerProvider.class.getModule());
  }

  static ProbeResult probe(Module module) {
    if (!module.isNativeAccessEnabled()) {
      String target = module.isNamed() ? module.getName() : "ALL-UNNAMED";
      return ProbeResult.unavailable(
          "native access is not enabled for " + (module.isNamed() ? "module " + target : "the class path")
              + " (expected: start java with --enable-native-access=" + target
              + ", or add 'Enable-Native-Access: " + target + "' to the manifest of the jar you run)");
    }
    if (!NativeSlab.libcFound()) {
      return ProbeResult.unavailable(
          "the native linker cannot find malloc and free in the C library (expected: a platform the JDK's"
              + " foreign function support covers, such as Linux, macOS or Windows on x64 or AArch64)");
    }
    return ProbeResult.ok();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Settings: {@code capacity} (required), {@code eviction_policy} (default {@code lru}), {@code
   * alignment} (a power of two up to 1 MiB, default 64 bytes) and {@code pretouch} (default true).
   */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    ProbeResult probe = probe();
    if (!probe.available()) {
      throw new LayerUnavailableException("tier '" + spec.tier() + "' (" + NAME + "): " + probe.reason());
    }
    return CpuLayer.open(spec);
  }
}
