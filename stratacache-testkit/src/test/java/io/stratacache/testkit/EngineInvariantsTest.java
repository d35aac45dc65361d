package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The extension checks an engine field after each test, without a call in the test. */
class EngineInvariantsTest {
  /** Run through the launcher only: one test keeps its books, one leaves a lease open. */
  @ExtendWith(EngineInvariants.class)
  static class Fixture {
    private final StorageEngine engine =
        StorageEngine.builder().tier(new HeapLayer("hot", 1 << 20, "lru"), "heap").build();

    @AfterEach
    void close() {
      engine.close();
    }

    @Test
    void closesItsLease() {
      engine.store(ArtifactId.of("a"), ArtifactMeta.custom(), MemorySegment.ofArray(new byte[100]));
      try (Lease lease = engine.load(ArtifactId.of("a"))) {
        assertEquals(100, lease.size());
      }
    }

    @Test
    void leavesALeaseOpen() {
      engine.store(ArtifactId.of("a"), ArtifactMeta.custom(), MemorySegment.ofArray(new byte[100]));
      assertEquals(100, engine.load(ArtifactId.of("a")).size());
    }
  }

  @Test
  void aLeaseLeftOpen_failsTheTestAfterIt_andABalancedTestPasses() {
    Map<String, TestExecutionResult> results = new TreeMap<>();
    LauncherFactory.create().execute(
        LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Fixture.class)).build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (test.isTest()) {
              results.put(test.getDisplayName(), result);
            }
          }
        });
    assertEquals(TestExecutionResult.Status.SUCCESSFUL, results.get("closesItsLease()").getStatus());
    TestExecutionResult leaked = results.get("leavesALeaseOpen()");
    assertEquals(TestExecutionResult.Status.FAILED, leaked.getStatus());
    String message = leaked.getThrowable().orElseThrow().getMessage();
    assertTrue(message.contains("hot: leases left open"), message);
  }
}
