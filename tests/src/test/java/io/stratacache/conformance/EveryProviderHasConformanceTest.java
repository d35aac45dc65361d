package io.stratacache.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.spi.LayerProviders;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a {@link io.stratacache.spi.LayerProvider} on the class path has no
 * conformance run: a concrete subclass of {@link AbstractMemoryLayerTest} annotated {@link
 * ConformanceFor @ConformanceFor("name")} among this module's test classes.
 */
class EveryProviderHasConformanceTest {
  private static Map<String, List<Class<?>>> runs;
  private static List<String> misdeclared;

  @BeforeAll
  static void scanTestClasses() throws IOException, URISyntaxException {
    runs = new TreeMap<>();
    misdeclared = new ArrayList<>();
    Path root = Path.of(EveryProviderHasConformanceTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ClassLoader loader = EveryProviderHasConformanceTest.class.getClassLoader();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        String rel = root.relativize(file).toString();
        String name = rel.substring(0, rel.length() - ".class".length()).replace(file.getFileSystem().getSeparator(), ".");
        Class<?> type;
        try {
          type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
          throw new AssertionError("cannot load test class " + name, e);
        }
        ConformanceFor marker = type.getAnnotation(ConformanceFor.class);
        if (marker == null) {
          continue;
        }
        if (!AbstractMemoryLayerTest.class.isAssignableFrom(type) || Modifier.isAbstract(type.getModifiers())) {
          misdeclared.add(name + " (expected: a concrete subclass of " + AbstractMemoryLayerTest.class.getSimpleName() + ")");
          continue;
        }
        runs.computeIfAbsent(marker.value(), k -> new ArrayList<>()).add(type);
      }
    }
  }

  @Test
  void everyProviderOnTheClassPath_hasAConformanceRun() {
    Set<String> missing = new TreeSet<>(LayerProviders.all().keySet());
    missing.removeAll(runs.keySet());
    assertTrue(
        missing.isEmpty(),
        "layer providers without a conformance run: " + missing + " (expected: for each, a concrete subclass of "
            + "AbstractMemoryLayerTest annotated @ConformanceFor(\"<name>\") in module tests)");
  }

  @Test
  void everyConformanceRun_namesAProviderOnTheClassPath() {
    Set<String> unknown = new TreeSet<>(runs.keySet());
    unknown.removeAll(LayerProviders.all().keySet());
    assertTrue(
        unknown.isEmpty(),
        "@ConformanceFor names providers not on the test class path: " + unknown + " (known: "
            + LayerProviders.all().keySet() + "; add the backend as a dependency of module tests)");
  }

  @Test
  void everyAnnotatedClass_isAConcreteKitSubclass() {
    assertEquals(List.of(), misdeclared);
  }

  @Test
  void theScanFindsTheCpuRun() {
    assertTrue(LayerProviders.all().containsKey("cpu"), "cpu provider not found by ServiceLoader");
    assertTrue(runs.getOrDefault("cpu", List.of()).contains(CpuLayerConformanceTest.class), "scan found " + runs);
  }
}
