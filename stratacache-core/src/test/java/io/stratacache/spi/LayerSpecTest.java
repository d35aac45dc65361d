package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class LayerSpecTest {
  private static LayerSpec spec(Map<String, Object> settings) {
    return new LayerSpec("hot", "cpu", settings, "test.yaml");
  }

  private static void assertSpecError(Executable call, String message) {
    assertEquals(message, assertThrows(ConfigException.class, call).getMessage());
  }

  @Test
  void typedGetters_readStringsNumbersAndBooleans() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "x");
    m.put("count", 12L);
    m.put("countText", " 12 ");
    m.put("ratio", 0.5);
    m.put("ratioText", "0.25");
    m.put("flag", true);
    m.put("flagText", "FALSE");
    m.put("size", "512MiB");
    m.put("sizeNumber", 4096);
    m.put("sizeWholeDouble", 1024.0);
    LayerSpec s = spec(m);
    assertEquals("x", s.string("name", null));
    assertEquals("12", s.string("count", null));
    assertEquals("true", s.string("flag", null));
    assertEquals(12, s.integer("count", 0));
    assertEquals(12, s.integer("countText", 0));
    assertEquals(0.5, s.number("ratio", 0));
    assertEquals(0.25, s.number("ratioText", 0));
    assertEquals(12.0, s.number("count", 0));
    assertTrue(s.bool("flag", false));
    assertFalse(s.bool("flagText", true));
    assertEquals(512L << 20, s.bytes("size", 0));
    assertEquals(4096, s.bytes("sizeNumber", 0));
    assertEquals(1024, s.bytes("sizeWholeDouble", 0));
    assertTrue(s.has("size"));
    assertFalse(s.has("missing"));
  }

  @Test
  void typedGetters_returnTheDefaultForAMissingKey() {
    LayerSpec s = spec(Map.of());
    assertEquals("d", s.string("k", "d"));
    assertEquals(7, s.integer("k", 7));
    assertEquals(1.5, s.number("k", 1.5));
    assertTrue(s.bool("k", true));
    assertEquals(99, s.bytes("k", 99));
    assertEquals(Path.of("/d"), s.path("k", Path.of("/d")));
  }

  @Test
  void typedGetters_nameSourceTierKeyValueAndExpectation() {
    LayerSpec s = spec(Map.of("list", List.of(1), "text", "abc", "frac", 1.5, "yes", "yes", "neg", -1, "blank", " "));
    assertSpecError(() -> s.string("list", null), "test.yaml: tiers.hot.list = [1] (expected: a string)");
    assertSpecError(() -> s.integer("text", 0), "test.yaml: tiers.hot.text = \"abc\" (expected: an integer)");
    assertSpecError(() -> s.integer("frac", 0), "test.yaml: tiers.hot.frac = 1.5 (expected: an integer)");
    assertSpecError(() -> s.integer("list", 0), "test.yaml: tiers.hot.list = [1] (expected: an integer)");
    assertSpecError(() -> s.number("text", 0), "test.yaml: tiers.hot.text = \"abc\" (expected: a number)");
    assertSpecError(() -> s.bool("yes", false), "test.yaml: tiers.hot.yes = \"yes\" (expected: true or false)");
    assertSpecError(() -> s.bool("neg", false), "test.yaml: tiers.hot.neg = -1 (expected: true or false)");
    assertSpecError(() -> s.bytes("text", 0), "test.yaml: tiers.hot.text = \"abc\" (expected: a size such as 512MiB)");
    assertSpecError(() -> s.bytes("neg", 0), "test.yaml: tiers.hot.neg = -1 (expected: a size such as 512MiB)");
    assertSpecError(() -> s.bytes("frac", 0), "test.yaml: tiers.hot.frac = 1.5 (expected: a size such as 512MiB)");
    assertSpecError(() -> s.path("blank", null), "test.yaml: tiers.hot.blank = \" \" (expected: a path)");
  }

  @Test
  void path_expandsTheHomeDirectory() {
    String home = System.getProperty("user.home");
    LayerSpec s = spec(Map.of("a", "~/.cache/strata", "b", "~", "c", "/abs/~x", "d", "rel/x"));
    assertEquals(Path.of(home, ".cache/strata"), s.path("a", null));
    assertEquals(Path.of(home), s.path("b", null));
    assertEquals(Path.of("/abs/~x"), s.path("c", null));
    assertEquals(Path.of("rel/x"), s.path("d", null));
  }

  @Test
  void capacityBytes_mustBePresentAndPositive() {
    assertEquals(1L << 30, spec(Map.of("capacity", "1GiB")).capacityBytes());
    assertSpecError(() -> spec(Map.of()).capacityBytes(), "test.yaml: tiers.hot.capacity = null (expected: a positive size such as 512MiB)");
    assertSpecError(() -> spec(Map.of("capacity", 0)).capacityBytes(),
        "test.yaml: tiers.hot.capacity = 0 (expected: a positive size such as 512MiB)");
  }

  @Test
  void evictionPolicy_defaultsToLru() {
    assertEquals("lru", spec(Map.of()).evictionPolicy().name());
    assertEquals("fifo", spec(Map.of("eviction_policy", "fifo")).evictionPolicy().name());
    assertSpecError(() -> spec(Map.of("eviction_policy", "random")).evictionPolicy(),
        "test.yaml: tiers.hot.eviction_policy = \"random\" (expected: eviction policy \"random\" (expected: lru, fifo or s3fifo))");
  }

  @Test
  void requireKnownKeys_acceptsCommonKeys_andListsAllOnAnUnknownOne() {
    spec(Map.of("capacity", "1GiB", "eviction_policy", "lru", "path", "/x")).requireKnownKeys(Set.of("path"));
    assertSpecError(() -> spec(Map.of("capacity", "1GiB", "pth", "/x")).requireKnownKeys(Set.of("path", "fsync")),
        "test.yaml: tiers.hot.pth = \"/x\" (expected: one of the keys [capacity, eviction_policy, fsync, optional, path] of provider 'cpu')");
  }

  @Test
  void with_copies_andSourceDefaultsToBuilder() {
    LayerSpec s = LayerSpec.of("t", "ssd", Map.of("a", 1));
    LayerSpec t = s.with("b", 2);
    assertEquals(Map.of("a", 1), s.settings());
    assertEquals(Map.of("a", 1, "b", 2), t.settings());
    assertEquals("builder", s.source());
    assertEquals("builder", new LayerSpec("t", "ssd", null, null).source());
    assertEquals(Map.of(), new LayerSpec("t", "ssd", null, null).settings());
    assertThrows(UnsupportedOperationException.class, () -> s.settings().put("c", 3));
  }
}
