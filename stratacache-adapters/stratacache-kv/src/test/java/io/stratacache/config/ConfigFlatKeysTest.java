package io.stratacache.config;

import io.stratacache.kv.LoggingConfig;
import io.stratacache.kv.KvConfig;
import static io.stratacache.config.ConfigAssertions.SRC;
import static io.stratacache.config.ConfigAssertions.assertYamlError;
import static io.stratacache.config.ConfigAssertions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The original StrataCache's flat keys and how they combine with the general form. */
class ConfigFlatKeysTest {
  @Test
  void originalFlatFile_mapsOntoTiersLinksAndSections() {
    StrataConfig c = yaml("""
        use_cxl: true
        writeback: true
        cpu_capacity_mb: 512
        chunk_size: 16
        bundle_layers: false
        tensor_codec: stable
        tensor_header_in_payload: true
        save_partial_chunks: false
        log_stats: true
        log_every: 7
        log_min_interval_s: 2.5
        debug: true
        cxl_dax_device: /dev/dax1.0
        cxl_reset_metadata: true
        telemetry.export: log
        """);
    assertEquals(
        List.of(
            new TierConfig("hot", "cpu", Map.of("capacity", "512MiB")),
            new TierConfig("cxl", "cxl", Map.of("device", "/dev/dax1.0", "reset_metadata", true))),
        c.tiers());
    assertEquals(List.of(new LinkConfig("hot", "cxl", LinkMode.WRITE_BACK)), c.links());
    assertEquals(new KvConfig(16, false, false, "stable", true), KvConfig.from(c));
    assertEquals(new LoggingConfig(true, 7, 2.5, true, "log"), LoggingConfig.from(c));
    assertEquals(512L << 20, c.tiers().getFirst().toSpec(SRC).capacityBytes());
  }

  @Test
  void withoutCxl_theFlatTiersAreOneCpuTier() {
    StrataConfig c = yaml("use_cxl: false\nwriteback: false\n");
    assertEquals(List.of(new TierConfig("hot", "cpu", Map.of("capacity", "1GiB"))), c.tiers());
    assertEquals(List.of(), c.links());
  }

  @Test
  void writebackFalse_makesEveryLinkWriteThrough() {
    StrataConfig c = yaml("use_cxl: true\nwriteback: false\n");
    assertEquals(List.of(new LinkConfig("hot", "cxl", LinkMode.WRITE_THROUGH)), c.links());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "chunk_size: 16             | kv: {chunk_size: 256}           | kv.chunk_size",
    "bundle_layers: true        | kv: {bundle_layers: true}       | kv.bundle_layers",
    "tensor_codec: stable       | kv: {tensor_codec: stable}      | kv.tensor_codec",
    "log_every: 5               | logging: {log_every: 5}         | logging.log_every",
    "debug: true                | logging: {debug: false}         | logging.debug",
    "telemetry.export: log      | telemetry: {export: none}       | telemetry.export",
  })
  void flatKeyAndItsGeneralKey_isAnError_inEitherOrder(String flat, String general, String path) {
    String flatKey = flat.substring(0, flat.indexOf(':'));
    String flatValue = flat.substring(flat.indexOf(':') + 2);
    String generalValue = general.substring(general.lastIndexOf(':') + 2, general.length() - 1);
    assertYamlError(general + "\n" + flat + "\n",
        SRC + ":2: " + flatKey + " = " + render(flatValue) + " (expected: " + path + " set once; "
            + SRC + ":1: " + path + " already sets it to " + render(generalValue) + ")");
    assertYamlError(flat + "\n" + general + "\n",
        SRC + ":2: " + path + " = " + render(generalValue) + " (expected: " + path + " set once; "
            + SRC + ":1: " + flatKey + " already sets it to " + render(flatValue) + ")");
  }

  private static String render(String yamlScalar) {
    return yamlScalar.matches("-?\\d+|true|false") ? yamlScalar : "\"" + yamlScalar + "\"";
  }

  private static final String TWO_TIERS = """
      tiers:
        - {name: ram, provider: cpu}
        - {name: disk, provider: ssd, capacity: 8GiB}
      """;

  @Test
  void cpuCapacityMb_sizesTheFirstCpuTierOfAnExplicitList() {
    StrataConfig c = yaml("""
        tiers:
          - {name: gpu, provider: cuda, capacity: 1GiB}
          - {name: ram, provider: cpu}
          - {name: ram2, provider: cpu}
        cpu_capacity_mb: 2048
        """);
    assertEquals(Map.of(), c.tiers().get(2).settings());
    assertEquals(Map.of("capacity", "2048MiB"), c.tiers().get(1).settings());
  }

  @Test
  void cpuCapacityMb_conflictsWithTheTiersOwnCapacity() {
    assertYamlError("tiers:\n  - {name: ram, provider: cpu, capacity: 1GiB}\ncpu_capacity_mb: 512\n",
        SRC + ":3: cpu_capacity_mb = 512 (expected: the setting capacity of tier \"ram\" set once; "
            + SRC + ":2: tiers[0].capacity already sets it to \"1GiB\")");
  }

  @Test
  void cpuCapacityMb_needsACpuTierAndAPositiveSize() {
    assertYamlError("tiers: [{name: disk, provider: ssd}]\ncpu_capacity_mb: 512\n",
        SRC + ":2: cpu_capacity_mb = 512 (expected: a tier with provider cpu to size; the tiers have none)");
    assertYamlError("cpu_capacity_mb: 0\n", SRC + ":1: cpu_capacity_mb = 0 (expected: a positive number of MiB)");
    assertYamlError("cpu_capacity_mb: 1GiB\n", SRC + ":1: cpu_capacity_mb = \"1GiB\" (expected: an integer)");
  }

  @Test
  void useCxl_insertsACxlTierBelowTheFirstCpuTierOfAnExplicitList() {
    StrataConfig c = yaml(TWO_TIERS + "use_cxl: true\ncxl_dax_device: /dev/dax0.0\nwriteback: true\n");
    assertEquals(List.of("ram", "cxl", "disk"), c.tiers().stream().map(TierConfig::name).toList());
    assertEquals(new TierConfig("cxl", "cxl", Map.of("device", "/dev/dax0.0")), c.tiers().get(1));
    assertEquals(
        List.of(new LinkConfig("ram", "cxl", LinkMode.WRITE_BACK), new LinkConfig("cxl", "disk", LinkMode.WRITE_BACK)),
        c.links());
  }

  @Test
  void useCxl_keepsAListedCxlTier_andConfiguresIt() {
    StrataConfig c = yaml("""
        tiers:
          - {name: ram, provider: cpu}
          - {name: far, provider: cxl}
        use_cxl: true
        cxl_reset_metadata: true
        """);
    assertEquals(List.of(new TierConfig("ram", "cpu", Map.of()), new TierConfig("far", "cxl", Map.of("reset_metadata", true))),
        c.tiers());
  }

  @Test
  void useCxl_impossibleCombinations() {
    assertYamlError("tiers: [{name: ram, provider: cpu}, {name: far, provider: cxl}]\nuse_cxl: false\n",
        SRC + ":2: use_cxl = false (expected: true, since " + SRC + ":1: tiers[1] is a tier with provider cxl; "
            + "drop use_cxl or that tier)");
    assertYamlError("tiers: [{name: disk, provider: ssd}]\nuse_cxl: true\n",
        SRC + ":2: use_cxl = true (expected: a tier with provider cpu for the cxl tier to go below; the tiers have none)");
    assertYamlError("tiers: [{name: ram, provider: cpu}, {name: cxl, provider: ssd}]\nuse_cxl: true\n",
        SRC + ":2: use_cxl = true (expected: tier name cxl to be free for the cxl tier; " + SRC + ":1: tiers[1] uses it)");
    assertYamlError(TWO_TIERS + "links:\n  - {from: ram, to: disk, mode: write-back}\nuse_cxl: true\n",
        SRC + ":6: use_cxl = true (expected: no link across the new cxl tier, but " + SRC + ":5: links[0] joins \"ram\" and "
            + "\"disk\"; list the cxl tier under tiers: instead)");
  }

  @Test
  void cxlSettings_needACxlTier_andConflictWithItsOwnKeys() {
    assertYamlError("cxl_dax_device: /dev/dax0.0\n",
        SRC + ":1: cxl_dax_device = \"/dev/dax0.0\" (expected: use_cxl: true or a tier with provider cxl for it to configure)");
    assertYamlError("cxl_reset_metadata: true\nuse_cxl: false\n",
        SRC + ":1: cxl_reset_metadata = true (expected: use_cxl: true or a tier with provider cxl for it to configure)");
    assertYamlError("tiers:\n  - {name: ram, provider: cpu}\n  - {name: far, provider: cxl, device: /dev/dax0.0}\n"
            + "cxl_dax_device: /dev/dax1.0\n",
        SRC + ":4: cxl_dax_device = \"/dev/dax1.0\" (expected: the setting device of tier \"far\" set once; "
            + SRC + ":3: tiers[1].device already sets it to \"/dev/dax0.0\")");
  }

  @Test
  void writebackFlag_mustAgreeWithTheLinksGiven() {
    String three = """
        tiers: [{name: a, provider: cpu}, {name: b, provider: cxl}, {name: c, provider: ssd}]
        links:
          - {from: b, to: c, mode: write-back}
        """;
    StrataConfig c = yaml(three + "writeback: true\n");
    assertEquals(List.of(LinkMode.WRITE_BACK, LinkMode.WRITE_BACK), c.links().stream().map(LinkConfig::mode).toList());
    assertYamlError(three + "writeback: false\n",
        SRC + ":4: writeback = false (expected: agreement with " + SRC + ":3: links[0].mode = \"write-back\"; "
            + "set the mode of each link or the flat key writeback, not both)");
  }
}
