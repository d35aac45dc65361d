package io.stratacache.config;

import io.stratacache.kv.LoggingConfig;
import io.stratacache.kv.KvConfig;
import static io.stratacache.config.ConfigAssertions.SRC;
import static io.stratacache.config.ConfigAssertions.assertConfigError;
import static io.stratacache.config.ConfigAssertions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code STRATACACHE_<KEY>} overrides and the order in which {@link StrataConfig#resolve} looks for a file. */
class ConfigEnvironmentTest {
  private static final String FILE = """
      tiers:
        - {name: ram, provider: cpu, capacity: 1GiB}
        - {name: disk, provider: ssd}
      links:
        - {from: ram, to: disk, mode: write-through}
      kv: {chunk_size: 256}
      """;

  @TempDir Path dir;
  private String savedProperty;

  @BeforeEach
  void saveProperty() {
    savedProperty = System.getProperty(ConfigLoader.PROPERTY);
    System.clearProperty(ConfigLoader.PROPERTY);
  }

  @AfterEach
  void restoreProperty() {
    if (savedProperty == null) {
      System.clearProperty(ConfigLoader.PROPERTY);
    } else {
      System.setProperty(ConfigLoader.PROPERTY, savedProperty);
    }
  }

  @Test
  void overrides_replaceWhatTheFileSays() {
    StrataConfig c = yaml(FILE, Map.of(
        "STRATACACHE_CPU_CAPACITY_MB", "512",
        "STRATACACHE_CHUNK_SIZE", "16",
        "STRATACACHE_WRITEBACK", "true",
        "STRATACACHE_WRITEBACK_FLUSH_INTERVAL_MS", "3",
        "STRATACACHE_TELEMETRY_EXPORT", "log",
        "STRATACACHE_DEBUG", "yes"));
    assertEquals(Map.of("capacity", "512MiB"), c.tiers().getFirst().settings());
    assertEquals(16, KvConfig.from(c).chunkSize());
    assertEquals(List.of(new LinkConfig("ram", "disk", LinkMode.WRITE_BACK)), c.links());
    assertEquals(Duration.ofMillis(3), c.writeback().flushInterval());
    assertEquals("log", LoggingConfig.from(c).telemetryExport());
    assertEquals(true, LoggingConfig.from(c).debug());
  }

  @Test
  void overrides_replaceFlatKeysOfTheFile() {
    StrataConfig c = yaml("chunk_size: 64\ncpu_capacity_mb: 64\n", Map.of("STRATACACHE_KV_CHUNK_SIZE", "32", "STRATACACHE_CPU_CAPACITY_MB", "128"));
    assertEquals(32, KvConfig.from(c).chunkSize());
    assertEquals(Map.of("capacity", "128MiB"), c.tiers().getFirst().settings());
  }

  @Test
  void useCxlOverride_addsTheCxlTierToTheDefault() {
    StrataConfig c = StrataConfig.resolve(Map.of("STRATACACHE_USE_CXL", "1", "STRATACACHE_CXL_DAX_DEVICE", "/dev/dax0.0"));
    assertEquals(List.of(new TierConfig("hot", "cpu", Map.of("capacity", "1GiB")), new TierConfig("cxl", "cxl",
        Map.of("device", "/dev/dax0.0"))), c.tiers());
    assertEquals(ConfigLoader.DEFAULT_SOURCE, c.source());
  }

  @Test
  void otherVariables_areIgnored() {
    StrataConfig c = yaml(FILE, Map.of("PATH", "/bin", "HOME", "/root", "XSTRATACACHE_DEBUG", "maybe"));
    assertEquals(yaml(FILE), c);
  }

  @Test
  void badOverrides_nameTheVariable() {
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_CHUNK_SIZE", "lots")),
        "environment: STRATACACHE_CHUNK_SIZE = \"lots\" (expected: an integer)");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_CHUNK_SIZE", "0")),
        "environment: STRATACACHE_CHUNK_SIZE = 0 (expected: a positive number of tokens, e.g. 256)");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_WRITEBACK", "sometimes")),
        "environment: STRATACACHE_WRITEBACK = \"sometimes\" (expected: true or false)");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_LOG_MIN_INTERVAL_S", "NaN")),
        "environment: STRATACACHE_LOG_MIN_INTERVAL_S = NaN (expected: a finite number of seconds, 0 or more)");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_WRITEBACK_MAX_DIRTY_BYTES", "much")),
        "environment: STRATACACHE_WRITEBACK_MAX_DIRTY_BYTES = \"much\" (expected: a size such as 512MiB or 1GiB)");
    assertConfigError(() -> yaml("tiers: [{name: disk, provider: ssd}]\n", Map.of("STRATACACHE_CPU_CAPACITY_MB", "64")),
        "environment: STRATACACHE_CPU_CAPACITY_MB = \"64\" (expected: a tier with provider cpu to size; the tiers have none)");
  }

  @Test
  void misspeltVariable_namesTheClosestSetting() {
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_CHUNKSIZE", "16")),
        "environment: STRATACACHE_CHUNKSIZE names no setting; did you mean STRATACACHE_CHUNK_SIZE?");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_WRITEBAK", "true")),
        "environment: STRATACACHE_WRITEBAK names no setting; did you mean STRATACACHE_WRITEBACK?");
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_CONFG", "x.yaml")),
        "environment: STRATACACHE_CONFG names no setting; did you mean STRATACACHE_CONFIG?");
  }

  @Test
  void anotherProgramsVariable_isIgnored() {
    StrataConfig c = yaml(FILE, Map.of("STRATACACHE_HOME", "/opt/stratacache", "STRATACACHE_OPTS", "-Xmx1g"));
    assertEquals(yaml(FILE), c);
  }

  @Test
  void aRelativeFileName_isReadFromTheWorkingDirectory_andAnErrorShowsTheAbsolutePath() {
    String relative = "no-such-dir/stratacache.yaml";
    Path absolute = Path.of("").toAbsolutePath().resolve(relative);
    assertConfigError(() -> StrataConfig.resolve(Map.of(ConfigLoader.ENV_FILE, relative)),
        absolute + " (named by STRATACACHE_CONFIG): cannot read the configuration file: no such file");
    assertConfigError(() -> StrataConfig.load(Path.of(relative), Map.of()),
        absolute + ": cannot read the configuration file: no such file");
  }

  @Test
  void aRelativeFileName_namesTheConfigurationByItsAbsolutePath() throws IOException {
    Path file = write("relative.yaml", FILE);
    Path relative = Path.of("").toAbsolutePath().relativize(file);
    assertEquals(file.toString(), StrataConfig.resolve(Map.of(ConfigLoader.ENV_FILE, relative.toString())).source());
  }

  @Test
  void load_withAnEnvironment_appliesItsOverrides() throws IOException {
    Path file = write("c.yaml", FILE);
    StrataConfig c = StrataConfig.load(file, Map.of("STRATACACHE_CHUNK_SIZE", "48"));
    assertEquals(48, KvConfig.from(c).chunkSize());
    assertEquals("environment: STRATACACHE_CHUNK_SIZE", c.origin("kv.chunk_size"));
    assertEquals(file + ":2: tiers[0]", c.origin("tiers[0]"));
    assertEquals("default", c.origin("writeback.flush_interval_ms"));
  }

  @Test
  void twoVariablesForOneSetting_isAnError() {
    assertConfigError(() -> yaml(FILE, Map.of("STRATACACHE_CHUNK_SIZE", "16", "STRATACACHE_KV_CHUNK_SIZE", "32")),
        "environment: STRATACACHE_KV_CHUNK_SIZE = \"32\" (expected: kv.chunk_size set once; environment: "
            + "STRATACACHE_CHUNK_SIZE already sets it to \"16\")");
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  @Test
  void resolve_prefersTheSystemProperty_thenTheVariable_thenTheDefault() throws IOException {
    Path byProperty = write("property.yaml", "kv: {chunk_size: 1}\n");
    Path byVariable = write("variable.yaml", "kv: {chunk_size: 2}\n");
    Map<String, String> env = Map.of(ConfigLoader.ENV_FILE, byVariable.toString());

    System.setProperty(ConfigLoader.PROPERTY, byProperty.toString());
    StrataConfig c = StrataConfig.resolve(env);
    assertEquals(1, KvConfig.from(c).chunkSize());
    assertEquals(byProperty.toString(), c.source());

    System.clearProperty(ConfigLoader.PROPERTY);
    c = StrataConfig.resolve(env);
    assertEquals(2, KvConfig.from(c).chunkSize());
    assertEquals(byVariable.toString(), c.source());

    c = StrataConfig.resolve(Map.of());
    assertEquals(StrataConfig.defaults(), c);
  }

  @Test
  void resolve_appliesOverridesToTheFileFound() throws IOException {
    Path file = write("c.yaml", FILE);
    System.setProperty(ConfigLoader.PROPERTY, file.toString());
    assertEquals(48, KvConfig.from(StrataConfig.resolve(Map.of("STRATACACHE_CHUNK_SIZE", "48"))).chunkSize());
  }

  @Test
  void resolve_errorsInTheFileNameIt() throws IOException {
    Path file = write("bad.yaml", "kv:\n  chunk_size: x\n");
    System.setProperty(ConfigLoader.PROPERTY, file.toString());
    assertConfigError(() -> StrataConfig.resolve(Map.of()), file + ":2: kv.chunk_size = \"x\" (expected: an integer)");
  }

  @Test
  void resolve_missingOrBlankFileNames_areErrors() {
    Path missing = dir.resolve("missing.yaml");
    assertConfigError(() -> StrataConfig.resolve(Map.of(ConfigLoader.ENV_FILE, missing.toString())),
        missing + " (named by STRATACACHE_CONFIG): cannot read the configuration file: no such file (expected: a readable YAML file)");
    System.setProperty(ConfigLoader.PROPERTY, missing.toString());
    assertConfigError(() -> StrataConfig.resolve(Map.of()),
        missing + " (named by -Dstratacache.config): cannot read the configuration file: no such file");
    System.setProperty(ConfigLoader.PROPERTY, " ");
    assertConfigError(() -> StrataConfig.resolve(Map.of()),
        "-Dstratacache.config = \" \" (expected: the path of a YAML configuration file)");
    System.clearProperty(ConfigLoader.PROPERTY);
    assertConfigError(() -> StrataConfig.resolve(Map.of(ConfigLoader.ENV_FILE, "")),
        "STRATACACHE_CONFIG = \"\" (expected: the path of a YAML configuration file)");
  }

  @Test
  void load_unreadableFiles_nameThePath() throws IOException {
    Path missing = dir.resolve("nope.yaml");
    assertConfigError(() -> StrataConfig.load(missing),
        missing + ": cannot read the configuration file: no such file (expected: a readable YAML file)");
    assertConfigError(() -> StrataConfig.load(dir), dir + ": cannot read the configuration file: ");
    Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'k', 'v', ':', ' ', (byte) 0xE9, '\n'});
    assertConfigError(() -> StrataConfig.load(latin1), latin1 + ": not valid UTF-8 (expected: a UTF-8 YAML file)");
    Path empty = write("empty.yaml", "");
    assertConfigError(() -> StrataConfig.load(empty), empty + ": the file is empty");
  }

  @Test
  void load_readsAFile_withItsPathAsTheSource() throws IOException {
    Path file = write("ok.yaml", FILE);
    StrataConfig c = StrataConfig.load(file);
    assertEquals(file.toString(), c.source());
    assertEquals(yaml(FILE).tiers(), c.tiers());
    assertEquals(SRC, yaml(FILE).source());
  }
}
