package io.stratacache.backend.cpu;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import io.stratacache.spi.LayerSpec;
import java.util.List;

/**
 * The settings of a tier of provider {@value CpuLayerProvider#NAME}, declared for the
 * configuration loader: {@code capacity} (required), {@code alignment} (a power of two up to 1
 * MiB, at most the capacity; default 64 bytes) and {@code pretouch} (default true).
 */
public final class CpuSection implements ConfigSection {
  /** Payload alignment inside the slab. */
  public static final Setting<Long> ALIGNMENT = Setting.size("alignment", CpuLayer.DEFAULT_ALIGNMENT)
      .check(a -> a >= 1 && a <= CpuLayer.MAX_ALIGNMENT && Long.bitCount(a) == 1, "a power of two from 1 to 1MiB");
  /** Whether the slab's pages are touched at open. */
  public static final Setting<Boolean> PRETOUCH = Setting.bool("pretouch", true);

  @Override
  public String name() {
    return CpuLayerProvider.NAME;
  }

  @Override
  public Scope scope() {
    return Scope.TIER;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(ALIGNMENT, PRETOUCH);
  }

  /** The capacity is given, and the alignment is at most the capacity. */
  @Override
  public void checkTier(LayerSpec spec) {
    long capacity = spec.capacityBytes();
    long alignment = spec.bytes(ALIGNMENT.key(), ALIGNMENT.defaultValue());
    if (alignment > capacity) {
      throw spec.error(ALIGNMENT.key(), spec.settings().get(ALIGNMENT.key()), "at most the capacity, " + capacity + " bytes");
    }
  }
}
