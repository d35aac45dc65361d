package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Providers from jars outside the application: a provider and its configuration section are
 * compiled and jarred here, then found through a {@code plugins:} directory or a class loader given
 * to the engine builder.
 */
class PluginJarTest {
  private static final String PROVIDER = """
      package org.example.plug;

      import io.stratacache.spi.LayerProvider;
      import io.stratacache.spi.LayerProviders;
      import io.stratacache.spi.LayerSpec;
      import io.stratacache.spi.MemoryLayer;
      import io.stratacache.spi.ProbeResult;
      import java.util.LinkedHashMap;
      import java.util.Map;

      /** Provider "plug": an in-process tier of "slab" bytes, kept in the cpu provider's memory. */
      public final class PlugProvider implements LayerProvider {
        public String name() {
          return "plug";
        }

        public ProbeResult probe() {
          return ProbeResult.ok();
        }

        public MemoryLayer open(LayerSpec spec) {
          Map<String, Object> cpu = new LinkedHashMap<>();
          cpu.put("capacity", spec.bytes("slab", 1 << 20));
          return LayerProviders.forName("cpu").open(LayerSpec.of(spec.tier(), "cpu", cpu));
        }
      }
      """;

  private static final String SECTION = """
      package org.example.plug;

      import io.stratacache.config.ConfigSection;
      import io.stratacache.config.Setting;
      import java.util.List;

      /** The keys of a "plug" tier. */
      public final class PlugSection implements ConfigSection {
        public String name() {
          return "plug";
        }

        public Scope scope() {
          return Scope.TIER;
        }

        public List<Setting<?>> settings() {
          return List.of(Setting.size("slab", 1L << 20).check(n -> n >= 4096, "at least 4096 bytes"));
        }
      }
      """;

  @TempDir static Path work;
  private static Path pluginDir;
  private static Path jar;

  @BeforeAll
  static void buildPluginJar() throws IOException {
    Path src = Files.createDirectories(work.resolve("src/org/example/plug"));
    Files.writeString(src.resolve("PlugProvider.java"), PROVIDER);
    Files.writeString(src.resolve("PlugSection.java"), SECTION);
    Path classes = Files.createDirectories(work.resolve("classes"));
    String classPath = location(LayerProvider.class);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-classpath", classPath, "-proc:none",
        src.resolve("PlugProvider.java").toString(), src.resolve("PlugSection.java").toString());
    assertEquals(0, rc, "the plugin compiles");
    pluginDir = Files.createDirectories(work.resolve("plugins"));
    jar = pluginDir.resolve("stratacache-plug.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        put(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
      put(out, "META-INF/services/io.stratacache.spi.LayerProvider", "org.example.plug.PlugProvider\n".getBytes());
      put(out, "META-INF/services/io.stratacache.config.ConfigSection", "org.example.plug.PlugSection\n".getBytes());
    }
  }

  private static String location(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new JarEntry(name));
    ((OutputStream) out).write(bytes);
    out.closeEntry();
  }

  private Path write(String name, String yaml) throws IOException {
    Path p = work.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  private static void roundTrip(StorageEngine engine) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment bytes = arena.allocate(4096);
      bytes.fill((byte) 42);
      ArtifactId id = ArtifactId.of("plug", "one");
      engine.store(id, ArtifactMeta.of(ArtifactType.CUSTOM), bytes);
      try (Lease l = engine.load(id)) {
        assertEquals(4096, l.size());
        assertEquals((byte) 42, l.segment().get(ValueLayout.JAVA_BYTE, 4095));
      }
    }
  }

  @Test
  void aProviderInAPluginsDirectory_opensTheTierNamedInTheFile() throws IOException {
    Path file = write("plugins.yaml", """
        plugins: [plugins]
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
          - {name: side, provider: plug, slab: 4MiB}
        """);
    try (StorageEngine engine = StorageEngine.fromFile(file)) {
      assertEquals(List.of(pluginDir), engine.config().plugins());
      assertEquals("plug", engine.tier("side").provider());
      assertEquals(4L << 20, engine.tier("side").stats().capacityBytes());
      roundTrip(engine);
    }
  }

  @Test
  void aPluginsSection_checksItsTiersWhenTheFileIsRead() throws IOException {
    Path file = write("plugins-typo.yaml", """
        plugins: [plugins]
        tiers:
          - name: side
            provider: plug
            slab: 1KiB
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> StrataConfig.load(file));
    assertEquals(file + ":5: tiers[0].slab = \"1KiB\" (expected: at least 4096 bytes)", e.getMessage());
  }

  @Test
  void unknownProvider_listsWhatWasFoundAndEveryPlaceSearched() throws IOException {
    Path file = write("plugins-unknown.yaml", """
        plugins: [plugins]
        tiers:
          - {name: far, provider: quantum, capacity: 2MiB}
        """);
    String m = assertThrows(ConfigException.class, () -> StorageEngine.fromFile(file).close()).getMessage();
    assertTrue(m.startsWith(file + ":3: tiers[0].provider = \"quantum\" (expected: one of the providers found: "), m);
    assertTrue(m.contains("cpu from the class path"), m);
    assertTrue(m.contains("plug from plugins directory " + pluginDir + " (jars: stratacache-plug.jar)"), m);
    assertTrue(m.contains("searched: the class path; plugins directory " + pluginDir + " (jars: stratacache-plug.jar)"), m);
  }

  @Test
  void aMissingPluginsDirectory_isAnErrorOnItsLine() throws IOException {
    Path file = write("plugins-missing.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
        plugins:
          - nowhere
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> StrataConfig.load(file));
    assertEquals(file + ":4: plugins[0] = \"nowhere\" (expected: a directory holding provider jars; "
        + work.resolve("nowhere") + " does not exist)", e.getMessage());
  }

  @Test
  void aClassLoaderGivenToTheBuilder_isSearched() throws IOException {
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
      try (StorageEngine engine = StorageEngine.builder().classLoader(loader)
          .tier("hot", "cpu", Map.of("capacity", "2MiB")).tier("side", "plug", Map.of("slab", "2MiB")).build()) {
        assertEquals("plug", engine.tier("side").provider());
        roundTrip(engine);
      }
      ConfigException bad = assertThrows(ConfigException.class, () -> StorageEngine.builder().classLoader(loader)
          .tier("side", "plug", Map.of("slab", 100)).build());
      assertEquals("builder: tiers[0].slab = 100 (expected: at least 4096 bytes)", bad.getMessage());
    }
    String m = assertThrows(ConfigException.class,
        () -> StorageEngine.builder().tier("side", "plug", Map.of()).build()).getMessage();
    assertTrue(m.startsWith("builder: tiers[0].provider = \"plug\" (expected: one of the providers found: "), m);
    assertTrue(m.endsWith("searched: the class path; add the backend's jar (e.g. stratacache-backend-plug) to the class path"
        + " or to a directory named under plugins:)"), m);
  }
}
