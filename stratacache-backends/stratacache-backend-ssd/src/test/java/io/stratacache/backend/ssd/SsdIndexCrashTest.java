package io.stratacache.backend.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.Lease;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writer process ({@link SsdIndexCrashWriter}) with SIGKILL mid-way, several times, and
 * checks after each reopen that the index the tier rebuilt from its journal and the record files
 * agree exactly: the same ids, the same bytes in use, every indexed record served with the bytes
 * its meta names, and the journal trusted (a process crash leaves it usable).
 */
class SsdIndexCrashTest {
  private static final int ROUNDS = 4;

  @TempDir Path dir;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void sigkillMidWay_indexAndFilesAgreeAfterReopen() throws Exception {
    long seed = Long.getLong("tests.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    for (int round = 1; round <= ROUNDS; round++) {
      Process child = start(seed + round);
      AtomicLong stored = new AtomicLong();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine(), "the writer's first line (seed " + seed + ")");
      Thread reader = new Thread(() -> {
        try {
          for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("stored ")) {
              stored.set(Long.parseLong(line.substring(7)));
            }
          }
        } catch (IOException e) {
          // the writer was killed
        }
      });
      reader.setDaemon(true);
      reader.start();
      long floor = 200 + random.nextInt(600);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (stored.get() < floor && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertTrue(child.isAlive(), "the writer died by itself (seed " + seed + ")");
      child.destroyForcibly();
      child.waitFor();
      try (SsdLayer layer = SsdIndexCrashWriter.open(dir.toString())) {
        assertNull(layer.indexFallback(), "a process crash leaves the journal usable (seed " + seed + ")");
        Map<ArtifactId, Long> files = recordFiles();
        assertEquals(files.keySet(), asSet(layer.ids()), "ids indexed vs record files, round " + round + " (seed " + seed + ")");
        assertEquals(files.values().stream().mapToLong(Long::longValue).sum(), layer.stats().usedBytes(),
            "bytes indexed vs on disk (seed " + seed + ")");
        for (ArtifactId id : layer.ids()) {
          try (Lease l = layer.get(id)) {
            assertNotNull(l, id + " is indexed but not served (seed " + seed + ")");
            long v = Long.parseLong(l.meta().attribute("seed"));
            assertEquals(-1, MemorySegment.ofArray(SsdIndexCrashWriter.payload(v)).mismatch(l.segment()),
                id + " served other bytes than its meta names (seed " + seed + ")");
          }
        }
        assertEquals(0, layer.stats().corrupt(), "seed " + seed);
        System.out.printf("index crash round %d (seed %d): killed after %d stores; %d artifacts, %d temp files removed%n",
            round, seed, stored.get(), layer.ids().size(), layer.recoveredTempFiles());
      }
    }
  }

  private static java.util.Set<ArtifactId> asSet(List<ArtifactId> ids) {
    return new java.util.HashSet<>(ids);
  }

  private Process start(long seed) throws IOException {
    String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    return new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), SsdIndexCrashWriter.class.getName(),
        dir.toString(), Long.toString(seed)))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Every record file's id (from its header) and size. */
  private Map<ArtifactId, Long> recordFiles() throws IOException {
    Map<ArtifactId, Long> out = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(p -> SsdPaths.isRecordName(p.getFileName().toString())).toList()) {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
          MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
          out.put(RecordCodec.readHeader(m).id(), ch.size());
        }
      }
    }
    return out;
  }
}
