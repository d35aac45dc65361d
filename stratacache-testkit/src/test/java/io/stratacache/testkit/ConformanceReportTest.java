package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.stratacache.spi.Capability;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the kit, through the JUnit launcher, over layers that declare different capabilities, and
 * checks which contracts ran, which were reported not applicable, and the report's line.
 */
class ConformanceReportTest {
  /** A {@link HeapLayer} that declares the given capabilities. */
  static final class Declaring extends ForwardingLayer {
    private final Set<Capability> capabilities;

    Declaring(HeapLayer inner, Set<Capability> capabilities) {
      super(inner);
      this.capabilities = capabilities;
    }

    @Override
    public Set<Capability> capabilities() {
      return capabilities;
    }
  }

  @ConformanceFor("heap")
  static class VolatileSuite extends AbstractMemoryLayerTest {
    @Override
    protected LayerFactory factory() {
      return HeapLayer::new;
    }
  }

  static class SelfEvictingSuite extends AbstractMemoryLayerTest {
    @Override
    protected LayerFactory factory() {
      return (tier, capacity, policy) -> new Declaring(new HeapLayer(tier, capacity, policy), Set.of(Capability.SELF_EVICTING));
    }
  }

  /** Declares DURABLE but keeps nothing across close: the kit must run, and fail, the durability contract. */
  static class ClaimsDurableSuite extends AbstractMemoryLayerTest {
    @Override
    protected LayerFactory factory() {
      return (tier, capacity, policy) -> new Declaring(new HeapLayer(tier, capacity, policy), Set.of(Capability.DURABLE));
    }
  }

  /** Per contract (the nested class's simple name): how many tests passed, failed and were aborted. */
  record Outcome(Map<String, int[]> byContract, String output) {
    int[] of(String contract) {
      return byContract.getOrDefault(contract, new int[3]);
    }
  }

  private static Outcome run(Class<?> suite) {
    Map<String, int[]> counts = new TreeMap<>();
    TestExecutionListener listener = new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (test.isTest()) {
          String id = test.getUniqueId();
          String contract = id.replaceAll(".*\\[nested-class:([A-Za-z]+)\\].*", "$1");
          int slot = switch (result.getStatus()) {
            case SUCCESSFUL -> 0;
            case FAILED -> 1;
            case ABORTED -> 2;
          };
          counts.computeIfAbsent(contract, k -> new int[3])[slot]++;
        }
      }
    };
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try {
      Launcher launcher = LauncherFactory.create();
      launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build(), listener);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new Outcome(counts, captured.toString(StandardCharsets.UTF_8));
  }

  @Test
  void volatileLayer_runsEveryContractButDurability_andSaysSoInOneLine() {
    Outcome o = run(VolatileSuite.class);
    for (String c : List.of("Put", "Get", "Capacity", "Eviction", "Pins", "Close", "Concurrency")) {
      assertTrue(o.of(c)[0] > 0, c + " ran no test: " + o.byContract().keySet());
      assertEquals(0, o.of(c)[1] + o.of(c)[2], c + " had failed or aborted tests");
    }
    assertEquals(0, o.of("Durability")[0] + o.of("Durability")[1]);
    assertTrue(o.of("Durability")[2] > 0);
    assertEquals(
        "conformance heap (VolatileSuite): ran put, get, capacity, eviction, pins, close, concurrency;"
            + " not applicable: durability (not DURABLE)",
        o.output().strip());
  }

  @Test
  void selfEvictingLayer_skipsTheListenerContract_andTheTestsThatCountEvictions() {
    Outcome o = run(SelfEvictingSuite.class);
    assertEquals(0, o.of("Eviction")[0] + o.of("Eviction")[1]);
    assertTrue(o.of("Capacity")[0] > 0 && o.of("Capacity")[2] > 0, "capacity: some tests apply, some do not");
    assertEquals(0, o.byContract().values().stream().mapToInt(c -> c[1]).sum(), "failures");
    String line = o.output().strip();
    assertTrue(line.startsWith("conformance SelfEvictingSuite: ran put ("), line);
    assertTrue(line.contains("; others not for SELF_EVICTING)"), line);
    assertTrue(
        line.endsWith("not applicable: eviction (SELF_EVICTING), durability (not DURABLE), concurrency (SELF_EVICTING)"), line);
  }

  @Test
  void layerClaimingDurability_isHeldToIt() {
    Outcome o = run(ClaimsDurableSuite.class);
    int[] durability = o.of("Durability");
    assertEquals(0, durability[0] + durability[2], "every durability test ran");
    assertTrue(durability[1] > 0, "a layer that keeps nothing across close fails the durability contract");
    assertTrue(o.output().contains("conformance ClaimsDurableSuite: ran put, get, capacity, eviction, pins, close,"
        + " durability, concurrency"), o.output());
  }
}
