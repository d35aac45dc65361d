package io.stratacache.testkit;

import io.stratacache.spi.MemoryLayer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link LayerFactory} for layers that live at a path (a directory, a region file): each
 * {@link #open} gets a fresh path under a root, and {@link #reopen} goes back to the path last
 * opened under that tier name.
 */
public abstract class PathLayerFactory implements LayerFactory {
  private final Path root;
  private final String suffix;
  private final Map<String, Path> media = new HashMap<>();
  private int opened;

  /**
   * @param root an empty directory for the media, such as a JUnit {@code @TempDir}
   * @param suffix appended to each medium's name (e.g. {@code .region}; empty for directories)
   */
  protected PathLayerFactory(Path root, String suffix) {
    this.root = Objects.requireNonNull(root, "root");
    this.suffix = Objects.requireNonNull(suffix, "suffix");
  }

  /** Opens the layer {@code tier} on {@code medium}, creating it if absent. */
  protected abstract MemoryLayer open(String tier, Path medium, long capacityBytes, String evictionPolicy);

  @Override
  public final MemoryLayer open(String tier, long capacityBytes, String evictionPolicy) {
    Path medium = root.resolve(tier + "-" + opened++ + suffix);
    media.put(tier, medium);
    return open(tier, medium, capacityBytes, evictionPolicy);
  }

  @Override
  public final MemoryLayer reopen(String tier, long capacityBytes) {
    return open(tier, medium(tier), capacityBytes, "lru");
  }

  /** The path last opened as {@code tier}. */
  protected final Path medium(String tier) {
    Path p = media.get(tier);
    if (p == null) {
      throw new IllegalArgumentException("tier: no layer was opened as '" + tier + "' (opened: " + media.keySet() + ")");
    }
    return p;
  }
}
