package io.stratacache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect, evict, fsck, repair and config check on a real SSD tier, through the command line. */
class MaintenanceCommandsTest {
  @TempDir Path dir;
  private Path ssd;
  private Path config;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void configuration() throws Exception {
    ssd = dir.resolve("ssd");
    config = Files.writeString(dir.resolve("plane.yaml"), """
        tiers:
          - {name: hot, provider: cpu, capacity: 16MiB}
          - {name: disk, provider: ssd, path: "%s", capacity: 64MiB}
        links:
          - {from: hot, to: disk, mode: write-back}
        """.formatted(ssd));
  }

  private int run(Map<String, String> env, String... args) {
    out.reset();
    err.reset();
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), env);
  }

  private int run(String... args) {
    return run(Map.of(), args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private MemoryLayer openSsd() {
    return LayerProviders.forName("ssd").open(LayerSpec.of("disk", "ssd", Map.of("path", ssd.toString(), "capacity", "64MiB")));
  }

  private static void put(MemoryLayer layer, String id, ArtifactType type, int size) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload = arena.allocate(size);
      payload.fill((byte) id.length());
      layer.put(ArtifactId.of(id), ArtifactMeta.of(type), payload);
    }
  }

  /** Three KV chunks of one model, one of another, and a parameter chunk. */
  private void fill() {
    try (MemoryLayer layer = openSsd()) {
      put(layer, "kv/llama/a", ArtifactType.KV_BLOCKS, 1000);
      put(layer, "kv/llama/b", ArtifactType.KV_BLOCKS, 2000);
      put(layer, "kv/llama/c", ArtifactType.KV_BLOCKS, 3000);
      put(layer, "kv/qwen/a", ArtifactType.KV_BLOCKS, 4000);
      put(layer, "params/llama/0", ArtifactType.PARAM_CHUNK, 50_000);
    }
  }

  private Set<String> ids() {
    try (MemoryLayer layer = openSsd()) {
      Set<String> ids = new TreeSet<>();
      layer.ids().forEach(id -> ids.add(id.value()));
      return ids;
    }
  }

  @Test
  void inspect_countsByType_andListsTheLargestAndOldest() throws Exception {
    fill();
    try (var files = Files.walk(ssd)) { // the parameter chunk was written long ago
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (Files.size(f) > 50_000) {
          Files.setLastModifiedTime(f, FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        }
      }
    }
    assertEquals(Main.OK, run("-c", config.toString(), "inspect", "--top", "2"), err());
    String o = out();
    assertTrue(o.contains("tier hot (provider cpu): holds nothing outside a running process"), o);
    assertTrue(o.contains("tier disk (provider ssd): ") && o.contains(", 5 artifacts"), o);
    assertTrue(o.matches("(?s).*KV_BLOCKS\\s+4 artifacts\\s+9\\.8 KiB.*"), o);
    assertTrue(o.matches("(?s).*PARAM_CHUNK\\s+1 artifacts\\s+48\\.8 KiB.*"), o);
    String largest = o.substring(o.indexOf("largest:"), o.indexOf("oldest"));
    assertTrue(largest.indexOf("params/llama/0") < largest.indexOf("kv/qwen/a") && !largest.contains("kv/llama/a"), largest);
    String oldest = o.substring(o.indexOf("oldest (by last use):"));
    assertTrue(oldest.lines().skip(1).findFirst().orElseThrow().matches("\\s+3d ago\\s+PARAM_CHUNK\\s+params/llama/0"), oldest);
  }

  @Test
  void evict_deletesWhatMatchesEveryFilter() {
    fill();
    assertEquals(Main.OK, run("-c", config.toString(), "evict", "--prefix", "kv/llama/", "--dry-run"), err());
    assertTrue(out().contains("would delete 3 artifacts"), out());
    assertEquals(5, ids().size(), "a dry run deletes nothing");
    assertEquals(Main.OK, run("evict", "-c", config.toString(), "--prefix", "kv/", "--type", "kv_blocks"), err());
    assertTrue(out().contains("tier disk: deleted 4 artifacts, 9.8 KiB"), out());
    assertEquals(Set.of("params/llama/0"), ids());
    assertEquals(Main.OK, run("-c", config.toString(), "evict", "--older-than", "1h"), err());
    assertTrue(out().contains("deleted 0 artifacts"), out());
    assertEquals(Set.of("params/llama/0"), ids(), "written just now, so not older than an hour");
  }

  @Test
  void evict_badUse_isAUsageError_andDeletesNothing() {
    fill();
    assertEquals(Main.USAGE, run("-c", config.toString(), "evict"));
    assertTrue(err().startsWith("stratacache evict: a filter is required"), err());
    assertEquals(Main.USAGE, run("-c", config.toString(), "evict", "--older-than", "soon"));
    assertTrue(err().contains("\"soon\" (expected: a positive duration such as 90s"), err());
    assertEquals(Main.USAGE, run("-c", config.toString(), "evict", "--type", "pictures"));
    assertEquals(Main.USAGE, run("-c", config.toString(), "evict", "--prefix", "kv/", "--tier", "attic"));
    assertTrue(err().contains("--tier attic (expected: a tier of " + config + ", one of [hot, disk])"), err());
    assertEquals(5, ids().size());
  }

  @Test
  void fsck_andRepair_refuseATierAnotherLayerHolds_namingIt() {
    try (MemoryLayer holder = openSsd()) {
      assertTrue(holder.ids().isEmpty());
      assertEquals(Main.FAILED, run("-c", config.toString(), "fsck"));
      String e = err();
      assertTrue(e.startsWith("stratacache fsck failed: " + config + ":3: tiers[1] (tier disk, provider ssd) cannot open: ")
          && e.contains("directory " + ssd + " is already open, held by another layer in this process"), e);
      assertEquals(Main.FAILED, run("-c", config.toString(), "repair"));
      assertEquals(Main.FAILED, run("-c", config.toString(), "evict", "--prefix", "kv/"));
    }
  }

  @Test
  void fsck_reportsEachTier_andRunsTwiceAlike() {
    fill();
    assertEquals(Main.OK, run("-c", config.toString(), "fsck"), err());
    String first = out();
    assertTrue(first.contains("fsck: tier hot (provider cpu) skipped"), first);
    assertEquals(Main.OK, run("-c", config.toString(), "fsck"), err());
    assertEquals(first, out());
    assertEquals(5, ids().size());
  }

  @Test
  void aConfigurationThatCannotBeRead_isExitStatus3_withTheAbsolutePath() {
    assertEquals(Main.CONFIG, run("-c", "no-such-dir/plane.yaml", "inspect"));
    String e = err();
    assertTrue(e.startsWith("stratacache inspect failed: " + Path.of("no-such-dir/plane.yaml").toAbsolutePath()
        + ": cannot read the configuration file: no such file"), e);
    assertEquals(1, e.lines().count(), e);
    assertEquals(Main.CONFIG, run("-c", "no-such-dir/plane.yaml", "--verbose", "inspect"));
    assertTrue(err().contains("\tat io.stratacache."), "--verbose adds the stack trace");
  }

  @Test
  void configCheck_printsEachValueWithItsOrigin_andRedactsSecrets() throws Exception {
    Path redis = Files.writeString(dir.resolve("redis.yaml"), """
        tiers:
          - {name: hot, provider: cpu, capacity: 16MiB}
          - {name: shared, provider: redis, uri: "redis://cache.example:6379", password_env: REDIS_PW}
        writeback: {flush_interval_ms: 7}
        """);
    assertEquals(Main.OK, run(Map.of("STRATACACHE_CHUNK_SIZE", "64"), "config", "check", redis.toString()), err());
    String o = out();
    assertTrue(o.startsWith("configuration: " + redis + " (valid)"), o);
    assertTrue(o.matches("(?s).*capacity: 16MiB\\s+# " + java.util.regex.Pattern.quote(redis.toString()) + ":2: .*"), o);
    assertTrue(o.matches("(?s).*flush_interval_ms: 7\\s+# [^\\n]*redis.yaml:4: .*"), o);
    assertTrue(o.matches("(?s).*retry_backoff_min_ms: \\d+\\s+# default\\n.*"), o);
    assertTrue(o.matches("(?s).*chunk_size: 64\\s+# environment: STRATACACHE_CHUNK_SIZE\\n.*"), o);
    assertTrue(o.contains("password_env: REDIS_PW"), "the variable's name is no secret");
    assertEquals("***", ConfigCommand.Check.redact("password", "hunter2"));
    assertEquals("rediss://***@host:6380", ConfigCommand.Check.redact("uri", "rediss://user:hunter2@host:6380"));
  }

  @Test
  void configCheck_ofAnInvalidFile_isExitStatus3_inOneLine() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "tiers:\n  - {name: hot, provider: cpu, capacity: lots}\n");
    assertEquals(Main.CONFIG, run("config", "check", bad.toString()));
    assertTrue(err().startsWith("stratacache config check failed: " + bad + ":2: tiers[0].capacity = \"lots\""), err());
    assertFalse(out().contains("(valid)"));
  }

  @Test
  void fsckFindsDamage_repairQuarantinesIt_andASecondRepairFindsNothing() throws Exception {
    String store = dir.toString();
    Path checked = Files.writeString(dir.resolve("checked.yaml"), """
        tiers:
          - {name: hot, provider: cpu, capacity: 16MiB}
          - {name: vault, provider: checked-heap, store: "%s"}
        """.formatted(store));
    try (MemoryLayer layer = LayerProviders.forName("checked-heap")
        .open(LayerSpec.of("vault", "checked-heap", Map.of("store", store)))) {
      put(layer, "kv/a", ArtifactType.KV_BLOCKS, 100);
      put(layer, "kv/b", ArtifactType.KV_BLOCKS, 100);
      put(layer, "kv/c", ArtifactType.KV_BLOCKS, 100);
    }
    assertEquals(Main.OK, run("-c", checked.toString(), "fsck"), err());
    assertTrue(out().contains("tier vault: 3 records checked, 3 valid, 0 corrupt, 0 orphans, 0 index mismatches\n"), out());
    assertTrue(out().endsWith("fsck: clean\n"), out());

    CheckedHeapProvider.damage(store, ArtifactId.of("kv/b"));
    assertEquals(Main.DAMAGED, run("-c", checked.toString(), "fsck"), err());
    assertTrue(out().contains("tier vault: 3 records checked, 2 valid, 1 corrupt, 0 orphans, 0 index mismatches (not repaired)\n"
        + "  kv/b: checksum mismatch\n"), out());
    assertTrue(out().endsWith("fsck: damage found; run 'stratacache repair' to quarantine it and rebuild the index\n"), out());
    assertEquals(Main.DAMAGED, run("-c", checked.toString(), "fsck"), "fsck changes nothing");

    assertEquals(Main.OK, run("-c", checked.toString(), "repair"), err());
    assertTrue(out().contains("1 corrupt, 0 orphans, 0 index mismatches (repaired)\n  kv/b: checksum mismatch; quarantined\n"), out());
    assertTrue(out().endsWith("repair: done; run fsck to confirm\n"), out());
    assertEquals(Main.OK, run("-c", checked.toString(), "repair"), err());
    assertTrue(out().contains("tier vault: 2 records checked, 2 valid, 0 corrupt") && out().endsWith("repair: nothing to repair\n"), out());
    assertEquals(Main.OK, run("-c", checked.toString(), "fsck", "--tier", "vault"), err());
    assertFalse(out().contains("tier hot"), "--tier keeps to the tier named: " + out());
  }
}
