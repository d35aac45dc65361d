package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerStats;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Objects;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What must hold of an idle engine after any test: the chain's books balance. As a JUnit 5
 * extension ({@code @ExtendWith(EngineInvariants.class)}) it checks, after every test that passed
 * and before the {@code @AfterEach} methods run, each non-null {@link StorageEngine} field of the
 * test instances (the test class and any enclosing {@code @Nested} classes), so tests need no hand
 * calls; a test whose engine is a local variable calls {@link #check} itself.
 */
public final class EngineInvariants implements AfterTestExecutionCallback {
  private static final long LOCK_DRAIN_NANOS = 2_000_000_000L;

  @Override
  public void afterTestExecution(ExtensionContext context) throws IllegalAccessException {
    if (context.getExecutionException().isPresent()) {
      return;
    }
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (Class<?> c = instance.getClass(); c != Object.class; c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (StorageEngine.class.isAssignableFrom(f.getType()) && !Modifier.isStatic(f.getModifiers())) {
            f.setAccessible(true);
            if (f.get(instance) instanceof StorageEngine engine) {
              check(engine);
            }
          }
        }
      }
    }
  }

  /** Flushes, then checks capacity accounting, leases, pins, dirty sets and locks. */
  public static void check(StorageEngine engine) {
    Objects.requireNonNull(engine, "engine");
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
    long deadline = System.nanoTime() + LOCK_DRAIN_NANOS;
    while (engine.admin().lockedArtifacts() != 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(0, engine.admin().lockedArtifacts(), "per-artifact locks still held");
  }
}
