package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerStats;

/** Checks what must hold of an idle engine after any test: the chain's books balance. */
final class EngineInvariants {
  private EngineInvariants() {}

  /** Flushes, then checks capacity accounting, leases, pins, dirty sets and locks. */
  static void check(StorageEngine engine) {
    engine.flush();
    EngineStats stats = engine.stats();
    assertEquals(0, stats.dirtyArtifacts(), "dirty artifacts after flush");
    assertEquals(0, stats.dirtyBytes(), "dirty bytes after flush");
    for (LayerStats t : stats.tiers()) {
      assertTrue(t.usedBytes() >= 0 && t.usedBytes() <= t.capacityBytes(),
          t.tier() + ": used " + t.usedBytes() + " of capacity " + t.capacityBytes());
      assertEquals(0, t.openLeases(), t.tier() + ": leases left open");
      assertTrue(t.artifacts() == 0 || t.usedBytes() > 0, t.tier() + ": artifacts without bytes");
      assertEquals(engine.tier(t.tier()).ids().size(), t.artifacts(),
          t.tier() + ": artifact count vs ids()");
    }
    // the write-back worker may still be leaving an idempotent flush it started before the drain
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (engine.admin().lockedArtifacts() != 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(0, engine.admin().lockedArtifacts(), "per-artifact locks still held");
  }
}
