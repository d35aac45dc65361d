package io.stratacache.config;

import static io.stratacache.config.ConfigAssertions.assertConfigError;
import static io.stratacache.config.ConfigAssertions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.config.WritebackConfig.Backpressure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrataConfigBuilderTest {
  @Test
  void build_equalsTheSameConfigurationReadFromYaml() {
    StrataConfig built = StrataConfig.builder()
        .tier("hot", "cpu", Map.of("capacity", "1GiB"))
        .tier("warm", "cxl", Map.of())
        .tier("disk", "ssd", Map.of("path", "/tmp/s", "capacity", "8GiB"))
        .link("warm", "disk", LinkMode.WRITE_BACK)
        .chain(new ChainConfig(false, true))
        .section("kv", Map.of("chunk_size", 64, "save_partial_chunks", false, "tensor_header_in_payload", true))
        .source("test.yaml")
        .build();
    StrataConfig read = yaml("""
        tiers:
          - {name: hot, provider: cpu, capacity: 1GiB}
          - {name: warm, provider: cxl}
          - {name: disk, provider: ssd, path: /tmp/s, capacity: 8GiB}
        links:
          - {from: warm, to: disk, mode: write-back}
        chain: {promote_on_hit: false}
        kv: {chunk_size: 64, save_partial_chunks: false, tensor_header_in_payload: true}
        """);
    assertEquals(read, built);
    assertEquals(LinkMode.WRITE_THROUGH, built.linkBelow("hot").mode());
  }

  @Test
  void eachSetting_mayBeSetOnce() {
    StrataConfig.Builder b = StrataConfig.builder().chain(ChainConfig.DEFAULTS).section("kv", Map.of()).source("x");
    assertEquals("chain was already set to ChainConfig[promoteOnHit=true, demoteOnEvict=true]",
        assertThrows(IllegalStateException.class, () -> b.chain(new ChainConfig(false, false))).getMessage());
    assertEquals("section kv was already set to {}",
        assertThrows(IllegalStateException.class, () -> b.section("kv", Map.of("chunk_size", 8))).getMessage());
    assertEquals("source was already set to x", assertThrows(IllegalStateException.class, () -> b.source("y")).getMessage());
    StrataConfig.Builder w = StrataConfig.builder().writeback(WritebackConfig.DEFAULTS).section("logging", Map.of());
    assertThrows(IllegalStateException.class, () -> w.writeback(WritebackConfig.DEFAULTS));
    assertThrows(IllegalStateException.class, () -> w.section("logging", Map.of()));
  }

  @Test
  void build_checksLikeAFile() {
    assertConfigError(() -> StrataConfig.builder().build(), "builder: tiers = [] (expected: at least one tier)");
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of()).tier("a", "ssd", Map.of()).build(),
        "builder: tiers[1].name = \"a\" (expected: a name no other tier has; tiers[0] is also named \"a\")");
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of("capacity", -1)).build(),
        "builder: tiers[0].capacity = -1 (expected: a size such as 512MiB or 1GiB)");
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of("capacity", 0.5)).build(),
        "builder: tiers[0].capacity = 0.5 (expected: a size such as 512MiB or 1GiB)");
    assertConfigError(
        () -> StrataConfig.builder().tier("a", "cpu", Map.of()).tier("b", "cxl", Map.of()).tier("c", "ssd", Map.of())
            .link("a", "c", LinkMode.WRITE_BACK).build(),
        "builder: links[0].to = \"c\" (expected: \"b\", the tier directly below \"a\" (a link joins adjacent tiers))");
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of()).link("a", "z", LinkMode.WRITE_BACK).build(),
        "builder: links[0].to = \"z\" (expected: one of the tiers [a])");
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of()).section("kv", Map.of("chunk_size", 0))
            .source("app.properties").build(),
        "app.properties: kv.chunk_size = 0 (expected: a positive number of tokens, e.g. 256)");
  }

  @Test
  void build_checksDurationsAndSizes() {
    StrataConfig.Builder b = StrataConfig.builder().tier("a", "cpu", Map.of());
    WritebackConfig negative = new WritebackConfig(Duration.ofMillis(-1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ZERO, 1, Backpressure.BLOCK);
    assertConfigError(() -> b.writeback(negative).build(),
        "builder: writeback.flush_interval_ms = -1 (expected: a positive number of milliseconds");
    WritebackConfig inverted = new WritebackConfig(Duration.ofMillis(1), Duration.ofMillis(50), Duration.ofNanos(1_500_000),
        Duration.ZERO, 1, Backpressure.BLOCK);
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of()).writeback(inverted).build(),
        "builder: writeback.retry_backoff_max_ms = PT0.0015S (expected: at least writeback.retry_backoff_min_ms, 50)");
    WritebackConfig noDirty = new WritebackConfig(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofMillis(1),
        Duration.ofSeconds(-1), 1, Backpressure.BLOCK);
    assertConfigError(() -> StrataConfig.builder().tier("a", "cpu", Map.of()).writeback(noDirty).build(),
        "builder: writeback.close_timeout_ms = -1000 (expected: 0 or more milliseconds");
    assertConfigError(
        () -> StrataConfig.builder().tier("a", "cpu", Map.of()).section("logging", Map.of("log_min_interval_s", Double.NaN)).build(),
        "builder: logging.log_min_interval_s = NaN (expected: a finite number of seconds, 0 or more)");
  }

  @Test
  void build_completesTheLinks() {
    StrataConfig c = StrataConfig.builder().tier("a", "cpu", Map.of()).tier("b", "ssd", Map.of()).build();
    assertEquals(List.of(new LinkConfig("a", "b", LinkMode.WRITE_THROUGH)), c.links());
    assertEquals("builder", c.source());
  }
}
