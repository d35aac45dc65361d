package io.stratacache.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.testkit.AbstractLayerTest;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a {@link LayerProvider} on the class path has no conformance run in its own
 * module: a concrete subclass of the testkit's {@link AbstractMemoryLayerTest} (or of one of its
 * contract classes) annotated {@link ConformanceFor @ConformanceFor("name")} among the compiled
 * test classes of the module that builds the provider.
 */
class EveryProviderHasConformanceTest {
  /** Provider name to the kit subclasses found in its module. */
  private static Map<String, List<String>> runs;

  private static final List<String> misdeclared = new ArrayList<>();
  private static final Map<String, String> notInThisBuild = new TreeMap<>();

  @BeforeAll
  static void scanEachProvidersModule() throws IOException, URISyntaxException {
    runs = new TreeMap<>();
    for (Map.Entry<String, LayerProvider> e : LayerProviders.all().entrySet()) {
      Path location = Path.of(e.getValue().getClass().getProtectionDomain().getCodeSource().getLocation().toURI());
      // target/classes or target/<artifact>.jar of the provider's module
      Path testClasses = location.getParent().resolve("test-classes");
      if (!location.getParent().getFileName().toString().equals("target") || !Files.isDirectory(testClasses)) {
        notInThisBuild.put(e.getKey(), location.toString());
        continue;
      }
      runs.put(e.getKey(), scan(testClasses));
    }
  }

  private static List<String> scan(Path root) throws IOException {
    List<String> found = new ArrayList<>();
    ClassLoader parent = EveryProviderHasConformanceTest.class.getClassLoader();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, parent);
        Stream<Path> files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        String rel = root.relativize(file).toString();
        String name = rel.substring(0, rel.length() - ".class".length()).replace(file.getFileSystem().getSeparator(), ".");
        Class<?> type;
        try {
          type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError ex) {
          throw new AssertionError("cannot load test class " + name + " of " + root, ex);
        }
        ConformanceFor marker = type.getAnnotation(ConformanceFor.class);
        if (marker == null) {
          continue;
        }
        boolean kit = AbstractMemoryLayerTest.class.isAssignableFrom(type) || AbstractLayerTest.class.isAssignableFrom(type);
        if (!kit || Modifier.isAbstract(type.getModifiers())) {
          misdeclared.add(name + " (expected: a concrete subclass of " + AbstractMemoryLayerTest.class.getName() + ")");
          continue;
        }
        found.add(marker.value() + ":" + type.getSimpleName());
      }
    }
    return found;
  }

  @Test
  void everyProviderOnTheClassPath_isBuiltHere() {
    assertEquals(Map.of(), notInThisBuild, "providers whose module is not part of this build (expected target/classes"
        + " or a jar in target/ beside target/test-classes)");
  }

  @Test
  void everyProvider_runsTheKitInItsOwnModule() {
    Map<String, List<String>> missing = new TreeMap<>();
    runs.forEach((provider, found) -> {
      if (found.stream().noneMatch(r -> r.startsWith(provider + ":"))) {
        missing.put(provider, found);
      }
    });
    assertEquals(Map.of(), missing, "providers without a conformance run in their own module (expected: a concrete"
        + " subclass of io.stratacache.testkit.AbstractMemoryLayerTest annotated @ConformanceFor(\"<name>\") in the"
        + " provider module's tests; the values list the runs found there)");
  }

  @Test
  void everyAnnotatedClass_isAConcreteKitSubclass() {
    assertEquals(List.of(), misdeclared);
  }

  @Test
  void theScanFindsTheBackendsRuns() {
    assertTrue(runs.getOrDefault("cpu", List.of()).containsAll(
        List.of("cpu:CpuLayerConformanceTest", "cpu:CpuLayerByteAlignedConformanceTest")), "scan found " + runs);
    assertTrue(runs.getOrDefault("ssd", List.of()).contains("ssd:SsdLayerConformanceTest"), "scan found " + runs);
    assertTrue(runs.getOrDefault("cxl", List.of()).contains("cxl:CxlLayerConformanceTest"), "scan found " + runs);
  }
}
