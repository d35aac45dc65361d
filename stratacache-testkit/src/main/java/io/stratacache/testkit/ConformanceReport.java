package io.stratacache.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Counts, per conformance run, which {@link Contract}s ran and which did not apply to the layer's
 * capabilities, and prints one line when the run's top-level test class finishes, such as
 *
 * <pre>
 * conformance cpu: ran put, get, capacity, eviction, pins, close, concurrency; not applicable: durability (not DURABLE)
 * </pre>
 *
 * A contract of which only some tests applied shows how many ran and why the others did not. The
 * run is named by the class's {@link ConformanceFor} if present, else by its simple name.
 */
public final class ConformanceReport implements TestWatcher, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ConformanceReport.class);

  /** Per contract, in the order first seen: tests that ran, and why others did not apply. */
  private static final class Tally {
    final Map<String, int[]> ran = new LinkedHashMap<>();
    final Map<String, TreeSet<String>> notApplicable = new LinkedHashMap<>();

    synchronized void record(String contract, String reason) {
      int[] counts = ran.computeIfAbsent(contract, k -> new int[2]);
      counts[1]++;
      if (reason == null) {
        counts[0]++;
      } else {
        notApplicable.computeIfAbsent(contract, k -> new TreeSet<>()).add(reason);
      }
    }

    synchronized String line(String run) {
      List<String> full = new ArrayList<>();
      List<String> none = new ArrayList<>();
      ran.forEach((contract, counts) -> {
        String why = String.join(", ", notApplicable.getOrDefault(contract, new TreeSet<>()));
        if (counts[0] == counts[1]) {
          full.add(contract);
        } else if (counts[0] == 0) {
          none.add(contract + " (" + why + ")");
        } else {
          full.add(contract + " (" + counts[0] + " of " + counts[1] + "; others not for " + why + ")");
        }
      });
      return "conformance " + run + ": ran " + (full.isEmpty() ? "nothing" : String.join(", ", full))
          + (none.isEmpty() ? "" : "; not applicable: " + String.join(", ", none));
    }
  }

  @Override
  public void testSuccessful(ExtensionContext context) {
    record(context, null);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    record(context, null);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    String message = cause.getMessage() == null ? "" : cause.getMessage();
    // JUnit words an assumption's message as "Assumption failed: <ours>"
    int colon = message.indexOf(": ");
    record(context, colon >= 0 ? message.substring(colon + 2) : message);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (context.getParent().flatMap(ExtensionContext::getTestClass).isPresent()) {
      return;
    }
    Tally tally = context.getStore(NAMESPACE).get(Tally.class, Tally.class);
    if (tally != null) {
      Class<?> top = context.getRequiredTestClass();
      ConformanceFor name = top.getAnnotation(ConformanceFor.class);
      System.out.println(tally.line(name != null ? name.value() + " (" + top.getSimpleName() + ")" : top.getSimpleName()));
    }
  }

  private static void record(ExtensionContext context, String reason) {
    Optional<Contract> contract = context.getTestClass().map(c -> c.getAnnotation(Contract.class));
    if (contract.isEmpty()) {
      return;
    }
    ExtensionContext top = context;
    while (top.getParent().flatMap(ExtensionContext::getTestClass).isPresent()) {
      top = top.getParent().orElseThrow();
    }
    top.getStore(NAMESPACE).getOrComputeIfAbsent(Tally.class, k -> new Tally(), Tally.class)
        .record(contract.get().value(), reason);
  }
}
