package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Optional batch operations for a {@link MemoryLayer} that can do many ids in fewer round trips
 * than one call per id (a remote store pipelines them, the CPU tier takes its lock once). A layer
 * opts in by implementing this interface; callers go through the static helpers, which fall back
 * to one call per id for a layer that does not.
 */
public interface BatchAccess {
  /**
   * Leases those of {@code ids} the layer holds, in the order given; a repeated id yields one
   * lease. If a lease cannot be taken, every lease taken so far is closed before the exception
   * propagates.
   */
  Map<ArtifactId, Lease> getAll(Collection<ArtifactId> ids);

  /** Returns, in order, whether the layer holds each of {@code ids}. */
  List<Boolean> containsAll(Collection<ArtifactId> ids);

  /** Deletes each of {@code ids}; returns how many were present. */
  int deleteAll(Collection<ArtifactId> ids);

  /** {@link #getAll} on {@code layer}, batched if the layer supports it. */
  static Map<ArtifactId, Lease> getAll(MemoryLayer layer, Collection<ArtifactId> ids) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(ids, "ids");
    if (layer instanceof BatchAccess batch) {
      return batch.getAll(ids);
    }
    Map<ArtifactId, Lease> out = new LinkedHashMap<>();
    try {
      for (ArtifactId id : ids) {
        if (!out.containsKey(id)) {
          Lease lease = layer.get(id);
          if (lease != null) {
            out.put(id, lease);
          }
        }
      }
      return out;
    } catch (RuntimeException e) {
      out.values().forEach(Lease::close);
      throw e;
    }
  }

  /** {@link #containsAll} on {@code layer}, batched if the layer supports it. */
  static List<Boolean> containsAll(MemoryLayer layer, Collection<ArtifactId> ids) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(ids, "ids");
    if (layer instanceof BatchAccess batch) {
      return batch.containsAll(ids);
    }
    List<Boolean> out = new ArrayList<>(ids.size());
    for (ArtifactId id : ids) {
      out.add(layer.contains(id));
    }
    return out;
  }

  /** {@link #deleteAll} on {@code layer}, batched if the layer supports it. */
  static int deleteAll(MemoryLayer layer, Collection<ArtifactId> ids) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(ids, "ids");
    if (layer instanceof BatchAccess batch) {
      return batch.deleteAll(ids);
    }
    int n = 0;
    for (ArtifactId id : ids) {
      if (layer.delete(id)) {
        n++;
      }
    }
    return n;
  }
}
