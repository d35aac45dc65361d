package io.stratacache.cli;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Checkable;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;
import io.stratacache.testkit.ForwardingLayer;
import io.stratacache.testkit.HeapLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test provider, {@code checked-heap}: a heap layer that outlives its opening (kept by its
 * {@code store} setting within the test JVM, as a directory keeps a durable tier's records) and
 * checks itself through {@link Checkable}; a test marks records damaged with {@link #damage}. The
 * command line's fsck and repair are tested on it for their wiring (what they print, their exit
 * statuses, a repair run twice); the ssd and cxl layers' own checks are tested with those layers.
 */
public final class CheckedHeapProvider implements LayerProvider {
  private static final Map<String, HeapLayer> STORES = new ConcurrentHashMap<>();
  private static final Map<String, Set<ArtifactId>> DAMAGED = new ConcurrentHashMap<>();

  /** Marks {@code id} of store {@code store} damaged: the next check reports it corrupt. */
  static void damage(String store, ArtifactId id) {
    DAMAGED.computeIfAbsent(store, k -> ConcurrentHashMap.newKeySet()).add(id);
  }

  @Override
  public String name() {
    return "checked-heap";
  }

  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  @Override
  public MemoryLayer open(LayerSpec spec) {
    String store = String.valueOf(spec.settings().get("store"));
    HeapLayer heap = STORES.computeIfAbsent(store, k -> new HeapLayer(spec.tier(), 1 << 20, "lru"));
    return new Checked(heap, spec.tier(), store);
  }

  /** The layer as opened: closing it keeps the store's records for the next opening. */
  static final class Checked extends ForwardingLayer implements Checkable {
    private final String tier;
    private final String store;

    Checked(MemoryLayer heap, String tier, String store) {
      super(heap);
      this.tier = tier;
      this.store = store;
    }

    @Override
    public CheckReport check(boolean repair) {
      Set<ArtifactId> damaged = DAMAGED.getOrDefault(store, Set.of());
      List<String> findings = new ArrayList<>();
      long corrupt = 0;
      List<ArtifactId> ids = delegate().ids();
      for (ArtifactId id : ids) {
        if (damaged.contains(id)) {
          corrupt++;
          findings.add(id + ": checksum mismatch" + (repair ? "; quarantined" : ""));
          if (repair) {
            delegate().delete(id);
            damaged.remove(id);
          }
        }
      }
      return new CheckReport(tier, ids.size(), ids.size() - corrupt, corrupt, 0, 0, repair, findings);
    }

    @Override
    public void close() {
      // the store outlives this opening
    }
  }
}
