package io.stratacache.config;

import io.stratacache.kv.KvConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An application's embedded default stands in for the packaged one, and nothing else changes. */
class ConfigFallbackTest {
  private static final String APP_DEFAULT = """
      tiers:
        - {name: hot, provider: cpu, capacity: 64MiB}
        - {name: disk, provider: ssd, path: /tmp/x, capacity: 1GiB}
      """;

  @Test
  void withoutAFileNamed_theApplicationDefaultIsUsed_withEnvironmentOverrides() {
    StrataConfig c = ConfigLoader.resolve(Map.of("STRATACACHE_CHUNK_SIZE", "16"), APP_DEFAULT, "classpath:app.yaml");
    assertEquals(List.of("hot", "disk"), c.tiers().stream().map(TierConfig::name).toList());
    assertEquals("classpath:app.yaml", c.source());
    assertEquals(16, KvConfig.from(c).chunkSize());
  }

  @Test
  void aFileNamedByTheEnvironment_winsOverTheApplicationDefault(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mine.yaml");
    Files.writeString(file, "tiers:\n  - {name: only, provider: cpu, capacity: 8MiB}\n");
    StrataConfig c = ConfigLoader.resolve(Map.of("STRATACACHE_CONFIG", file.toString()), APP_DEFAULT, "classpath:app.yaml");
    assertEquals(List.of("only"), c.tiers().stream().map(TierConfig::name).toList());
  }

  @Test
  void aBadApplicationDefault_failsNamingItsSource() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.resolve(Map.of(), "tiers: []\n", "classpath:app.yaml"));
    assertTrue(e.getMessage().contains("classpath:app.yaml"), e.getMessage());
  }
}
