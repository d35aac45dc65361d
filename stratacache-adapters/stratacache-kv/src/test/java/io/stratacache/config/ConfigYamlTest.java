package io.stratacache.config;

import io.stratacache.kv.LoggingConfig;
import io.stratacache.kv.KvConfig;
import static io.stratacache.config.ConfigAssertions.SRC;
import static io.stratacache.config.ConfigAssertions.assertConfigError;
import static io.stratacache.config.ConfigAssertions.assertYamlError;
import static io.stratacache.config.ConfigAssertions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.WritebackConfig.Backpressure;
import io.stratacache.spi.LayerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The general YAML form: what it reads to, and the packaged and documented defaults. */
class ConfigYamlTest {
  private static final String EXAMPLE = """
      tiers:
        - name: hot
          provider: cpu
          capacity: 1GiB
        - name: disk
          provider: ssd
          path: ~/.cache/stratacache/ssd
          capacity: 8GiB
      links:
        - {from: hot, to: disk, mode: write-back}
      chain: {promote_on_hit: true, demote_on_evict: true}
      writeback: {flush_interval_ms: 10, retry_backoff_min_ms: 5, retry_backoff_max_ms: 2000, close_timeout_ms: 30000, max_dirty_bytes: 1GiB, backpressure: block}
      kv: {chunk_size: 256, bundle_layers: true, save_partial_chunks: true, tensor_codec: stable, tensor_header_in_payload: false}
      logging: {log_stats: false, log_every: 100, log_min_interval_s: 10, debug: false}
      telemetry: {export: none}
      """;

  @Test
  void generalForm_readsIntoTheRecords() {
    StrataConfig c = yaml(EXAMPLE);
    assertEquals(
        List.of(
            new TierConfig("hot", "cpu", Map.of("capacity", "1GiB")),
            new TierConfig("disk", "ssd", Map.of("path", "~/.cache/stratacache/ssd", "capacity", "8GiB"))),
        c.tiers());
    assertEquals(List.of(new LinkConfig("hot", "disk", LinkMode.WRITE_BACK)), c.links());
    assertEquals(ChainConfig.DEFAULTS, c.chain());
    assertEquals(WritebackConfig.DEFAULTS, c.writeback());
    assertEquals(KvConfig.DEFAULTS, KvConfig.from(c));
    assertEquals(LoggingConfig.DEFAULTS, LoggingConfig.from(c));
    assertEquals(SRC, c.source());
    assertEquals(c.links().getFirst(), c.linkBelow("hot"));
    assertNull(c.linkBelow("disk"));
  }

  @Test
  void generalForm_nonDefaultValuesReachEveryField() {
    StrataConfig c = yaml("""
        tiers: [{name: a, provider: cpu}]
        chain: {promote_on_hit: false, demote_on_evict: false}
        writeback: {flush_interval_ms: 3, retry_backoff_min_ms: 7, retry_backoff_max_ms: 70, close_timeout_ms: 0, max_dirty_bytes: 4096, backpressure: write-through}
        kv: {chunk_size: 16, bundle_layers: false, save_partial_chunks: false, tensor_codec: stable, tensor_header_in_payload: true}
        logging: {log_stats: true, log_every: 5, log_min_interval_s: 0.5, debug: true}
        telemetry: {export: log}
        """);
    assertEquals(new ChainConfig(false, false), c.chain());
    assertEquals(
        new WritebackConfig(Duration.ofMillis(3), Duration.ofMillis(7), Duration.ofMillis(70), Duration.ZERO, 4096,
            Backpressure.WRITE_THROUGH),
        c.writeback());
    assertEquals(new KvConfig(16, false, false, "stable", true), KvConfig.from(c));
    assertEquals(new LoggingConfig(true, 5, 0.5, true, "log"), LoggingConfig.from(c));
  }

  @Test
  void missingLinkBetweenAdjacentTiers_isWriteThrough() {
    StrataConfig c = yaml("""
        tiers:
          - {name: hot, provider: cpu}
          - {name: warm, provider: cxl}
          - {name: cold, provider: ssd}
        links:
          - {from: warm, to: cold, mode: write-back}
        """);
    assertEquals(
        List.of(new LinkConfig("hot", "warm", LinkMode.WRITE_THROUGH), new LinkConfig("warm", "cold", LinkMode.WRITE_BACK)),
        c.links());
  }

  @Test
  void linkModes_acceptUnderscoreAndAnyCase() {
    StrataConfig c = yaml("""
        tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]
        links: [{from: a, to: b, mode: WRITE_BACK}]
        """);
    assertEquals(LinkMode.WRITE_BACK, c.links().getFirst().mode());
  }

  @Test
  void tierSettings_passThroughAsPlainValues_forTheProviderToRead() {
    StrataConfig c = yaml("""
        tiers:
          - name: remote
            provider: redis
            capacity: 1073741824
            nodes: [a:7000, b:7001]
            tls: {enabled: true}
            timeout_s: 1.5
            eviction_policy: fifo
        """);
    TierConfig t = c.tiers().getFirst();
    assertEquals(
        Map.of("capacity", 1073741824L, "nodes", List.of("a:7000", "b:7001"), "tls", Map.of("enabled", true),
            "timeout_s", 1.5, "eviction_policy", "fifo"),
        t.settings());
    LayerSpec spec = t.toSpec(c.source());
    assertEquals(1L << 30, spec.capacityBytes());
    assertEquals(1.5, spec.number("timeout_s", 0));
    assertEquals("fifo", spec.evictionPolicy().name());
    assertEquals(SRC, spec.source());
  }

  @Test
  void emptySections_keepTheirDefaults() {
    StrataConfig c = yaml("""
        chain:
        writeback:
        kv:
        logging:
        telemetry:
        """);
    assertEquals(StrataConfig.defaults().tiers(), c.tiers());
    assertEquals(KvConfig.DEFAULTS, KvConfig.from(c));
    assertEquals(WritebackConfig.DEFAULTS, c.writeback());
  }

  @Test
  void emptyMapping_isTheDefault() {
    StrataConfig c = yaml("{}");
    StrataConfig d = StrataConfig.defaults();
    assertEquals(d.tiers(), c.tiers());
    assertEquals(d.links(), c.links());
    assertEquals(KvConfig.from(d), KvConfig.from(c));
  }

  @Test
  void defaults_isOneCpuTierOf1GiB() {
    StrataConfig d = StrataConfig.defaults();
    assertEquals(List.of(new TierConfig("hot", "cpu", Map.of("capacity", "1GiB"))), d.tiers());
    assertEquals(List.of(), d.links());
    assertEquals(ChainConfig.DEFAULTS, d.chain());
    assertEquals(WritebackConfig.DEFAULTS, d.writeback());
    assertEquals(KvConfig.DEFAULTS, KvConfig.from(d));
    assertEquals(LoggingConfig.DEFAULTS, LoggingConfig.from(d));
    assertEquals(ConfigLoader.DEFAULT_SOURCE, d.source());
    assertEquals(1L << 30, d.tiers().getFirst().toSpec(d.source()).capacityBytes());
  }

  /** The root config.yaml: the module runs its tests in stratacache-adapters/stratacache-kv/. */
  private static Path rootConfig() {
    return Path.of("..", "..", "config.yaml");
  }

  @Test
  void rootConfigYaml_isTheDefault() {
    StrataConfig root = StrataConfig.load(rootConfig());
    StrataConfig d = StrataConfig.defaults();
    assertEquals(List.of(d.tiers(), d.links(), d.chain(), d.writeback(), d.sections()),
        List.of(root.tiers(), root.links(), root.chain(), root.writeback(), root.sections()));
  }

  @Test
  void rootConfigYaml_documentsEveryKey() throws IOException {
    String text = Files.readString(rootConfig());
    for (ConfigKey k : ConfigKey.values()) {
      if (k.section() != null) {
        assertTrue(Pattern.compile("(?m)^\\s+" + Pattern.quote(k.key()) + ":").matcher(text).find(), k.path());
      }
      if (k.flat() != null) {
        assertTrue(Pattern.compile("(?m)^#\\s+" + Pattern.quote(k.flat()) + ":").matcher(text).find(), k.flat());
      }
    }
  }

  @Test
  void rootConfigYaml_flatExample_readsAsDocumented() throws IOException {
    String text = Files.readString(rootConfig());
    String marker = "An original flat file therefore reads as is:\n";
    String example = text.substring(text.indexOf(marker) + marker.length()).replaceAll("(?m)^#   ", "");
    StrataConfig c = yaml(example);
    assertEquals(
        List.of(
            new TierConfig("hot", "cpu", Map.of("capacity", "4096MiB")),
            new TierConfig("cxl", "cxl", Map.of("device", "/dev/dax0.0"))),
        c.tiers());
    assertEquals(List.of(new LinkConfig("hot", "cxl", LinkMode.WRITE_BACK)), c.links());
  }

  @Test
  void syntaxErrors_nameTheFileAndLine() {
    String m = assertConfigError(() -> yaml("tiers: [a, b\nkv: {}\n"), SRC + ":2: not valid YAML: ");
    assertTrue(m.contains("expected ',' or ']'"), m);
  }

  @Test
  void emptyFile_isAClearError() {
    String expected = SRC + ": the file is empty (expected: a YAML mapping of settings such as tiers: and kv:; see config.yaml)";
    assertYamlError("", expected);
    assertYamlError("# nothing but a comment\n\n", expected);
  }

  @Test
  void documentThatIsNotAMapping_isRefused() {
    assertYamlError("- a\n- b\n", SRC + ":1: the document is [a, b] (expected: a YAML mapping of settings such as tiers: and kv:)");
    assertYamlError("42\n", SRC + ":1: the document is 42 (expected: a YAML mapping of settings such as tiers: and kv:)");
  }

  @Test
  void secondDocument_isRefused() {
    assertYamlError("kv: {}\n---\nlogging: {}\n", SRC + ":3: a second YAML document (expected: one document)");
  }

  @Test
  void keySetTwice_isRefusedWithBothLines() {
    assertYamlError("kv:\n  chunk_size: 16\n  chunk_size: 32\n",
        SRC + ":3: kv.chunk_size is set twice (expected: once; first set on line 2)");
  }

  @Test
  void aliases_areRefused() {
    assertConfigError(() -> yaml("tiers:\n  - &t {name: a, provider: cpu}\n  - *t\n"),
        SRC + ":3: tiers[1] is the alias *t", "aliases are not supported");
  }

  @Test
  void unknownTopLevelKey_listsTheKnownKeys() {
    assertYamlError("chunk_sise: 16\n", SRC + ":1: chunk_sise = 16 (expected: one of the keys [bundle_layers, chain, "
        + "chunk_size, cpu_capacity_mb, cxl_dax_device, cxl_reset_metadata, debug, kv, links, log_every, log_min_interval_s, "
        + "log_stats, logging, plugins, save_partial_chunks, telemetry, telemetry.export, tensor_codec, "
        + "tensor_header_in_payload, tiers, use_cxl, writeback] (sections of other modules are known when their jar is on "
        + "the class path or in a plugins directory))");
  }

  @Test
  void unknownSectionKey_listsTheSectionsKeys() {
    assertYamlError("kv:\n  chunk: 16\n", SRC + ":2: kv.chunk = 16 (expected: one of the keys [bundle_layers, chunk_size, "
        + "save_partial_chunks, tensor_codec, tensor_header_in_payload] of kv)");
    assertYamlError("writeback: {flush_ms: 1}\n", SRC + ":1: writeback.flush_ms = 1 (expected: one of the keys "
        + "[backpressure, close_timeout_ms, flush_interval_ms, max_dirty_bytes, retry_backoff_max_ms, retry_backoff_min_ms] of writeback)");
    assertConfigError(() -> yaml("telemetry: {exporter: log}\n"), SRC + ":1: telemetry.exporter = \"log\"", "[export, prometheus_host, prometheus_port]");
  }

  @Test
  void wrongTypes_nameKeyLineValueAndType() {
    assertYamlError("kv:\n  chunk_size: lots\n", SRC + ":2: kv.chunk_size = \"lots\" (expected: an integer)");
    assertYamlError("kv: {chunk_size: 1.5}\n", SRC + ":1: kv.chunk_size = 1.5 (expected: an integer)");
    assertYamlError("kv: {chunk_size: 4294967296}\n", SRC + ":1: kv.chunk_size = 4294967296 (expected: an integer of at most 2147483647)");
    assertYamlError("kv: {chunk_size: 99999999999999999999}\n", SRC + ":1: kv.chunk_size = 99999999999999999999 (expected: an integer)");
    assertYamlError("kv: {bundle_layers: maybe}\n", SRC + ":1: kv.bundle_layers = \"maybe\" (expected: true or false)");
    assertYamlError("kv: {bundle_layers: \"true\"}\n", SRC + ":1: kv.bundle_layers = \"true\" (expected: true or false)");
    assertYamlError("kv: {tensor_codec: 7}\n", SRC + ":1: kv.tensor_codec = 7 (expected: a string)");
    assertYamlError("kv: {chunk_size: [1]}\n", SRC + ":1: kv.chunk_size = [1] (expected: an integer)");
    assertYamlError("kv: {chunk_size: }\n", SRC + ":1: kv.chunk_size = null (expected: an integer)");
    assertYamlError("writeback: {flush_interval_ms: 2.5}\n",
        SRC + ":1: writeback.flush_interval_ms = 2.5 (expected: a whole number of milliseconds)");
    assertYamlError("writeback: {max_dirty_bytes: 1 gig}\n",
        SRC + ":1: writeback.max_dirty_bytes = \"1 gig\" (expected: a size such as 512MiB or 1GiB)");
    assertYamlError("writeback: {max_dirty_bytes: -1}\n",
        SRC + ":1: writeback.max_dirty_bytes = -1 (expected: a size such as 512MiB or 1GiB)");
    assertYamlError("writeback: {backpressure: drop}\n",
        SRC + ":1: writeback.backpressure = \"drop\" (expected: block or write-through)");
    assertYamlError("logging: {log_min_interval_s: soon}\n",
        SRC + ":1: logging.log_min_interval_s = \"soon\" (expected: a number)");
    assertYamlError("writeback: 5\n", SRC + ":1: writeback = 5 (expected: true or false (the flat key), or a mapping of "
        + "write-back settings [backpressure, close_timeout_ms, flush_interval_ms, max_dirty_bytes, retry_backoff_max_ms, retry_backoff_min_ms])");
    assertYamlError("kv: 5\n", SRC + ":1: kv = 5 (expected: a mapping of kv settings [bundle_layers, chunk_size, "
        + "save_partial_chunks, tensor_codec, tensor_header_in_payload])");
  }

  @Test
  void wrongTypesInTiersAndLinks_nameKeyLineValueAndType() {
    assertYamlError("tiers: hot\n",
        SRC + ":1: tiers = \"hot\" (expected: a list of tiers, each a mapping with name, provider and the provider's settings)");
    assertYamlError("tiers:\n  - hot\n", SRC + ":2: tiers[0] = \"hot\" (expected: a mapping with name, provider and the provider's settings)");
    assertYamlError("tiers:\n  - name: 1\n    provider: cpu\n", SRC + ":2: tiers[0].name = 1 (expected: a tier name such as hot)");
    assertYamlError("tiers:\n  - name: a\n    provider: [cpu]\n",
        SRC + ":3: tiers[0].provider = [cpu] (expected: a layer provider name such as cpu or ssd)");
    assertYamlError("tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]\nlinks: {from: a}\n",
        SRC + ":2: links = {from=a} (expected: a list of links, each a mapping {from: TIER, to: TIER, mode: write-through|write-back})");
    assertYamlError("tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]\nlinks:\n  - {from: a, to: b, mode: sideways}\n",
        SRC + ":3: links[0].mode = \"sideways\" (expected: write-through or write-back)");
    assertYamlError("tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]\nlinks:\n  - {from: a, to: b, mode: write-back, lazy: true}\n",
        SRC + ":3: links[0].lazy = true (expected: one of the keys [admit_after, from, mode, to] of a link)");
  }

  @Test
  void missingRequiredKeys_areNamed() {
    assertYamlError("tiers:\n  - provider: cpu\n", SRC + ":2: tiers[0].name is missing (expected: a tier name such as hot)");
    assertYamlError("tiers:\n  - name: a\n",
        SRC + ":2: tiers[0].provider is missing (expected: a layer provider name such as cpu or ssd)");
    assertYamlError("tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]\nlinks:\n  - {from: a, to: b}\n",
        SRC + ":3: links[0].mode is missing (expected: write-through or write-back)");
    assertYamlError("tiers: [{name: a, provider: cpu}, {name: b, provider: ssd}]\nlinks:\n  - {from: a, mode: write-back}\n",
        SRC + ":3: links[0].to is missing (expected: a tier name)");
  }

  @Test
  void impossibleTiers_areRefused() {
    assertYamlError("tiers: []\n", SRC + ":1: tiers = [] (expected: at least one tier)");
    assertYamlError("tiers:\n  - {name: hot, provider: cpu}\n  - {name: hot, provider: ssd}\n",
        SRC + ":3: tiers[1].name = \"hot\" (expected: a name no other tier has; tiers[0] is also named \"hot\")");
    assertConfigError(() -> yaml("tiers:\n  - {name: my tier, provider: cpu}\n"),
        SRC + ":2: tiers[0].name = \"my tier\" (expected: a tier name of letters, digits");
    assertYamlError("tiers:\n  - {name: a, provider: ' '}\n",
        SRC + ":2: tiers[0].provider = \" \" (expected: a layer provider name such as cpu or ssd)");
    assertYamlError("tiers:\n  - name: a\n    provider: ssd\n    path:\n",
        SRC + ":4: tiers[0].path = null (expected: a value (leave the key out for the provider's default))");
  }

  @Test
  void tierCapacity_isCheckedEarly() {
    assertYamlError("tiers:\n  - name: a\n    provider: cpu\n    capacity: lots\n",
        SRC + ":4: tiers[0].capacity = \"lots\" (expected: a size such as 512MiB or 1GiB)");
    assertYamlError("tiers:\n  - {name: a, provider: cpu, capacity: 0}\n",
        SRC + ":2: tiers[0].capacity = 0 (expected: a positive size such as 512MiB)");
    assertYamlError("tiers:\n  - {name: a, provider: cpu, capacity: -4096}\n",
        SRC + ":2: tiers[0].capacity = -4096 (expected: a size such as 512MiB or 1GiB)");
    assertYamlError("tiers:\n  - {name: a, provider: cpu, capacity: true}\n",
        SRC + ":2: tiers[0].capacity = true (expected: a size such as 512MiB or 1GiB)");
    assertYamlError("tiers:\n  - {name: a, provider: cpu, eviction_policy: random}\n",
        SRC + ":2: tiers[0].eviction_policy = \"random\" (expected: a policy the layers know: "
            + "eviction policy \"random\" (expected: lru, fifo or s3fifo))");
  }

  @Test
  void impossibleLinks_areRefused() {
    String tiers = "tiers: [{name: hot, provider: cpu}, {name: warm, provider: cxl}, {name: cold, provider: ssd}]\nlinks:\n";
    assertYamlError(tiers + "  - {from: hot, to: disk, mode: write-back}\n",
        SRC + ":3: links[0].to = \"disk\" (expected: one of the tiers [hot, warm, cold])");
    assertYamlError(tiers + "  - {from: ram, to: warm, mode: write-back}\n",
        SRC + ":3: links[0].from = \"ram\" (expected: one of the tiers [hot, warm, cold])");
    assertYamlError(tiers + "  - {from: hot, to: cold, mode: write-back}\n",
        SRC + ":3: links[0].to = \"cold\" (expected: \"warm\", the tier directly below \"hot\" (a link joins adjacent tiers))");
    assertYamlError(tiers + "  - {from: warm, to: hot, mode: write-back}\n",
        SRC + ":3: links[0].to = \"hot\" (expected: \"cold\", the tier directly below \"warm\" (a link joins adjacent tiers))");
    assertYamlError(tiers + "  - {from: cold, to: hot, mode: write-back}\n",
        SRC + ":3: links[0].to = \"hot\" (expected: a tier below \"cold\", but it is the last tier)");
    assertYamlError(tiers + "  - {from: hot, to: warm, mode: write-back}\n  - {from: hot, to: warm, mode: write-through}\n",
        SRC + ":4: links[1] = {from=hot, to=warm, mode=write-through} (expected: one link per pair of tiers; "
            + "links[0] already joins \"hot\" and \"warm\")");
  }

  @Test
  void impossibleValues_areRefused() {
    assertYamlError("kv: {chunk_size: 0}\n", SRC + ":1: kv.chunk_size = 0 (expected: a positive number of tokens, e.g. 256)");
    assertYamlError("kv:\n  chunk_size: -256\n", SRC + ":2: kv.chunk_size = -256 (expected: a positive number of tokens, e.g. 256)");
    assertYamlError("kv: {tensor_codec: pickle}\n", SRC + ":1: kv.tensor_codec = \"pickle\" (expected: one of [stable])");
    String ms = " (expected: a positive number of milliseconds, at most 9223372036854)";
    assertYamlError("writeback: {flush_interval_ms: -1}\n", SRC + ":1: writeback.flush_interval_ms = -1" + ms);
    assertYamlError("writeback: {flush_interval_ms: 0}\n", SRC + ":1: writeback.flush_interval_ms = 0" + ms);
    assertYamlError("writeback: {retry_backoff_min_ms: -5}\n", SRC + ":1: writeback.retry_backoff_min_ms = -5" + ms);
    assertYamlError("writeback: {retry_backoff_max_ms: -5}\n", SRC + ":1: writeback.retry_backoff_max_ms = -5" + ms);
    assertYamlError("writeback: {flush_interval_ms: 9223372036854775807}\n",
        SRC + ":1: writeback.flush_interval_ms = 9223372036854775807" + ms);
    assertYamlError("writeback: {close_timeout_ms: -1}\n",
        SRC + ":1: writeback.close_timeout_ms = -1 (expected: 0 or more milliseconds, at most 9223372036854)");
    assertYamlError("writeback:\n  retry_backoff_min_ms: 500\n  retry_backoff_max_ms: 100\n",
        SRC + ":3: writeback.retry_backoff_max_ms = 100 (expected: at least writeback.retry_backoff_min_ms, 500)");
    // against the default minimum (5 ms), the maximum the file set is the one named
    assertYamlError("writeback: {retry_backoff_max_ms: 4}\n",
        SRC + ":1: writeback.retry_backoff_max_ms = 4 (expected: at least writeback.retry_backoff_min_ms, 5)");
    assertYamlError("writeback: {max_dirty_bytes: 0}\n", SRC + ":1: writeback.max_dirty_bytes = 0 (expected: a positive size such as 1GiB)");
    assertYamlError("logging: {log_every: 0}\n", SRC + ":1: logging.log_every = 0 (expected: a positive number of requests)");
    assertYamlError("logging: {log_min_interval_s: -0.5}\n",
        SRC + ":1: logging.log_min_interval_s = -0.5 (expected: a finite number of seconds, 0 or more)");
    assertYamlError("logging: {log_min_interval_s: 1e400}\n",
        SRC + ":1: logging.log_min_interval_s = Infinity (expected: a finite number of seconds, 0 or more)");
    assertConfigError(() -> yaml("logging:\n  log_min_interval_s: .nan\n"), SRC + ":2: not valid YAML: ", ".nan");
    assertYamlError("telemetry: {export: otlp}\n", SRC + ":1: telemetry.export = \"otlp\" (expected: one of [none, log, prometheus])");
  }
}
