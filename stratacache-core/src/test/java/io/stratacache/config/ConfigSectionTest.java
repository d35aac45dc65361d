package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sections other modules declare: read, converted, checked and overridden like the core's keys. */
class ConfigSectionTest {
  private static final String SRC = "test.yaml";
  private static final String TIER = "tiers:\n  - {name: hot, provider: absent-medium}\n";

  private static StrataConfig yaml(String text) {
    return ConfigLoader.parse(text, SRC, Map.of());
  }

  private static String error(String text) {
    return assertThrows(ConfigException.class, () -> yaml(text)).getMessage();
  }

  @Test
  void aSection_readsItsKeys_withDefaultsForTheRest() {
    SectionValues s = yaml(TIER + "sample:\n  limit: 20\n  mode: safe\n").section("sample");
    assertEquals(20, s.get(SampleSections.Sample.LIMIT));
    assertEquals(1, s.get(SampleSections.Sample.FLOOR));
    assertEquals("safe", s.get(SampleSections.Sample.MODE));
    assertEquals(4096L, s.get(SampleSections.Sample.BUFFER));
    assertEquals(yaml(TIER).section("sample"), yaml(TIER + "sample: {}\n").section("sample"));
  }

  @Test
  void aFlatName_andTheEnvironment_setTheKey() {
    assertEquals(1L << 20, yaml(TIER + "sample_buffer: 1MiB\n").section("sample").get(SampleSections.Sample.BUFFER));
    StrataConfig c = ConfigLoader.parse(TIER + "sample: {limit: 5}\n", SRC,
        Map.of("STRATACACHE_SAMPLE_LIMIT", "7", "STRATACACHE_SAMPLE_BUFFER", "2KiB"));
    assertEquals(7, c.section("sample").get(SampleSections.Sample.LIMIT));
    assertEquals(2048L, c.section("sample").get(SampleSections.Sample.BUFFER));
    assertEquals("test.yaml:5: sample_buffer = \"2KiB\" (expected: sample.buffer set once; test.yaml:4: sample.buffer already "
        + "sets it to 1024)", error(TIER + "sample:\n  buffer: 1024\nsample_buffer: 2KiB\n"));
  }

  @Test
  void badValues_nameLineKeyValueAndExpectation() {
    assertEquals("test.yaml:4: sample.limit = 0 (expected: a positive count)", error(TIER + "sample:\n  limit: 0\n"));
    assertEquals("test.yaml:4: sample.limit = \"ten\" (expected: an integer)", error(TIER + "sample:\n  limit: ten\n"));
    assertEquals("test.yaml:3: sample.mode = \"slow\" (expected: one of [fast, safe])", error(TIER + "sample: {mode: slow}\n"));
    assertEquals("test.yaml:4: sample.lmit = 3 (expected: one of the keys [buffer, floor, limit, mode] of sample)",
        error(TIER + "sample:\n  lmit: 3\n"));
    assertEquals("test.yaml:5: sample.floor = 9 (expected: at most sample.limit, 5)",
        error(TIER + "sample:\n  limit: 5\n  floor: 9\n"));
    assertEquals("environment: STRATACACHE_SAMPLE_LIMIT = -1 (expected: a positive count)", assertThrows(
        ConfigException.class, () -> ConfigLoader.parse(TIER, SRC, Map.of("STRATACACHE_SAMPLE_LIMIT", "-1"))).getMessage());
  }

  @Test
  void aTierSection_checksItsProvidersTiersOnTheirLines() {
    String tier = "tiers:\n  - name: far\n    provider: absent-medium\n";
    assertEquals(LayerSpec.class, yaml(tier + "    lanes: 4\n").spec(0).getClass());
    assertEquals("test.yaml:4: tiers[0].lane = 4 (expected: one of the keys [capacity, eviction_policy, label, lanes, optional] of "
        + "provider 'absent-medium')", error(tier + "    lane: 4\n"));
    assertEquals("test.yaml:4: tiers[0].lanes = 9 (expected: 1 to 8)", error(tier + "    lanes: 9\n"));
    assertEquals("test.yaml:4: tiers[0].lanes = \"four\" (expected: an integer)", error(tier + "    lanes: four\n"));
    assertEquals("test.yaml:4: tiers[0].label = \"x\" (expected: lanes to be set with a label)", error(tier + "    label: x\n"));
    assertEquals("test.yaml:4: tiers[0].capacity = \"lots\" (expected: a size such as 512MiB or 1GiB)",
        error(tier + "    capacity: lots\n"));
  }

  @Test
  void aSpec_namesTheLineOfItsKey_orOfItsTier() {
    LayerSpec spec = yaml("tiers:\n  - name: far\n    provider: absent-medium\n    lanes: 2\n").spec(0);
    assertEquals("test.yaml:4: tiers[0].lanes", spec.where("lanes"));
    assertEquals("test.yaml:2: tiers[0].path", spec.where("path"));
    assertEquals("test.yaml:4: tiers[0].lanes = 2 (expected: more)", spec.error("lanes", 2L, "more").getMessage());
  }

  @Test
  void theBuilder_takesSectionValuesAsYamlWould() {
    StrataConfig c = StrataConfig.builder().tier("far", "absent-medium", Map.of("lanes", 2))
        .section("sample", Map.of("limit", 3, "buffer", "1KiB")).build();
    assertEquals(3, c.section("sample").get(SampleSections.Sample.LIMIT));
    assertEquals(1024L, c.section("sample").get(SampleSections.Sample.BUFFER));
    assertEquals("builder: sample.limit = 0 (expected: a positive count)", assertThrows(ConfigException.class,
        () -> StrataConfig.builder().tier("far", "absent-medium", Map.of()).section("sample", Map.of("limit", 0)).build())
        .getMessage());
    assertEquals("builder: tiers[0].lanes = 0 (expected: 1 to 8)", assertThrows(ConfigException.class,
        () -> StrataConfig.builder().tier("far", "absent-medium", Map.of("lanes", 0)).build()).getMessage());
    String unknown = assertThrows(ConfigException.class,
        () -> StrataConfig.builder().tier("far", "absent-medium", Map.of()).section("smaple", Map.of()).build()).getMessage();
    assertEquals("builder: smaple = {} (expected: one of the sections found, [sample] (a section is found when its "
        + "module's jar is on the class path or in a plugins directory))", unknown);
    assertEquals("section \"nope\" (expected: one of the sections found, [sample]; a section is found when its module's "
        + "jar is on the class path or in a plugins directory)",
        assertThrows(IllegalArgumentException.class, () -> c.section("nope")).getMessage());
  }

  @Test
  void settings_refuseNonsenseWhenDeclared() {
    assertEquals("key \"Limit\" (expected: lower-case ASCII letters, digits and '_')",
        assertThrows(IllegalArgumentException.class, () -> Setting.integer("Limit", 1)).getMessage());
    assertEquals("choices [a, b] with default \"c\" (expected: the default among them)",
        assertThrows(IllegalArgumentException.class, () -> Setting.choice("x", "c", "a", "b")).getMessage());
    Setting<Integer> checked = Setting.integer("n", 1).check(n -> n > 0, "positive");
    assertEquals("setting n already has a check (positive)",
        assertThrows(IllegalStateException.class, () -> checked.check(n -> true, "any")).getMessage());
    SectionValues s = yaml(TIER).section("sample");
    assertThrows(IllegalArgumentException.class, () -> s.get(Setting.integer("limit", 10)));
  }

  @Test
  void writebackBuilder_refusesNonsenseNamingTheValue() {
    assertEquals("flushInterval: PT0S (expected: a positive duration of at most PT2562047H47M16.854775807S)",
        assertThrows(IllegalArgumentException.class, () -> WritebackConfig.builder().flushInterval(Duration.ZERO))
            .getMessage());
    assertEquals("maxDirtyBytes: -1 (expected: a positive number of bytes)",
        assertThrows(IllegalArgumentException.class, () -> WritebackConfig.builder().maxDirtyBytes(-1)).getMessage());
    assertEquals("closeTimeout: PT-1S (expected: zero or a positive duration of at most PT2562047H47M16.854775807S)",
        assertThrows(IllegalArgumentException.class, () -> WritebackConfig.builder().closeTimeout(Duration.ofSeconds(-1)))
            .getMessage());
    WritebackConfig.Builder b = WritebackConfig.builder().flushInterval(Duration.ofMillis(5));
    assertEquals("flushInterval was already set to PT0.005S",
        assertThrows(IllegalStateException.class, () -> b.flushInterval(Duration.ofMillis(6))).getMessage());
    assertEquals("retryBackoffMax: PT0.001S (expected: at least retryBackoffMin, PT0.05S)", assertThrows(
        IllegalArgumentException.class,
        () -> WritebackConfig.builder().retryBackoffMin(Duration.ofMillis(50)).retryBackoffMax(Duration.ofMillis(1)).build())
        .getMessage());
    assertEquals(WritebackConfig.DEFAULTS, WritebackConfig.builder().build());
    assertEquals(Duration.ofHours(1), WritebackConfig.DEFAULTS.toBuilder().flushInterval(Duration.ofHours(1)).build()
        .flushInterval());
  }
}
