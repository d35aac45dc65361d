package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerProvidersTest {
  @TempDir Path dir;

  @Test
  void providersOnTheClassPath_areFoundByName() {
    assertEquals(List.of(AbsentMediumProvider.NAME), List.copyOf(LayerProviders.all().keySet()));
    LayerProvider p = LayerProviders.forName(AbsentMediumProvider.NAME);
    assertInstanceOf(AbsentMediumProvider.class, p);
    assertFalse(p.probe().available());
    assertEquals(AbsentMediumProvider.REASON, p.probe().reason());
    assertThrows(LayerUnavailableException.class, () -> p.open(LayerSpec.of("far", AbsentMediumProvider.NAME, Map.of())));
  }

  @Test
  void unknownName_listsTheAvailableProviders_andNamesTheJar() {
    ConfigException e = assertThrows(ConfigException.class, () -> LayerProviders.forName("redis"));
    assertEquals("no layer provider named \"redis\" (expected: one of the providers found: absent-medium from the class "
        + "path; searched: the class path; add the backend's jar (e.g. stratacache-backend-redis) to the class path or to a "
        + "directory named under plugins:)", e.getMessage());
  }

  /** A class loader that sees the test classes and a services file listing {@code classes}. */
  private URLClassLoader withServices(String... classes) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(LayerProvider.class.getName()), String.join("\n", classes) + "\n");
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
  }

  @Test
  void badlyNamedProvider_isRefusedNamingItsClass() throws IOException {
    ConfigException e;
    String loaderName;
    try (URLClassLoader loader = withServices(AbsentMediumProvider.BadlyNamed.class.getName())) {
      loaderName = loader.toString();
      e = assertThrows(ConfigException.class, () -> LayerProviders.in(Plugins.of(List.of(), loader)));
    }
    assertEquals("layer provider " + AbsentMediumProvider.BadlyNamed.class.getName() + " (from the class loader given to the "
        + "builder (" + loaderName + ")) has name \"Absent Medium\" "
        + "(expected: lower-case ASCII letters, digits and '-', starting with a letter)", e.getMessage());
  }

  @Test
  void twoProvidersOfOneName_areRefusedNamingBoth() throws IOException {
    ConfigException e;
    String loaderName;
    try (URLClassLoader loader = withServices(AbsentMediumProvider.SameName.class.getName())) {
      loaderName = loader.toString();
      e = assertThrows(ConfigException.class, () -> LayerProviders.in(Plugins.of(List.of(), loader)));
    }
    assertEquals("two layer providers are named \"absent-medium\": " + AbsentMediumProvider.class.getName()
        + " (from the class path) and " + AbsentMediumProvider.SameName.class.getName() + " (from the class loader given to "
        + "the builder (" + loaderName + ")) (expected: one jar per provider name)", e.getMessage());
  }
}
