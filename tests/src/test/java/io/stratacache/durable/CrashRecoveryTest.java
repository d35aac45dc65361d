package io.stratacache.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stratacache.backend.cxl.CxlLayer;
import io.stratacache.backend.ssd.SsdLayer;
import io.stratacache.core.ArtifactId;
import io.stratacache.testkit.Seeds;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kills a writer with SIGKILL at random moments and checks what the tiers serve afterwards. A
 * child JVM ({@link CrashWriter}) stores thousands of artifacts into an SSD tier and a CXL tier
 * (on {@code /dev/shm} where there is one) until it is killed; the parent then reopens both tiers
 * and loads every id: each must be absent or byte-identical to a version the child wrote, and on
 * the SSD tier nothing whose store returned may be missing (a process crash loses nothing there,
 * whatever the fsync policy). Several rounds, each recovering what the last one left; the seed
 * fixes the kill delays, the fsync policies and the writes.
 */
class CrashRecoveryTest {
  @RegisterExtension static final org.junit.jupiter.api.extension.TestWatcher SEED = Seeds.REPORTER;

  private static final int ROUNDS = 8;
  private static final List<String> FSYNC = List.of("never", "batch", "always");

  private Path ssdDir;
  private Path cxlDir;

  @BeforeEach
  void media() throws IOException {
    Path shm = Path.of("/dev/shm");
    cxlDir = Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "stratacache-crash") : Files.createTempDirectory("stratacache-crash-cxl");
    ssdDir = Files.createTempDirectory("stratacache-crash-ssd");
  }

  @AfterEach
  void removeMedia() throws IOException {
    for (Path root : List.of(ssdDir, cxlDir)) {
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void sigkillAtRandomMoments_leavesEveryArtifactAbsentOrByteIdentical() throws Exception {
    long seed = Seeds.seed();
    SplittableRandom random = new SplittableRandom(seed);
    Path cxlRegion = cxlDir.resolve("region");
    long totalAcked = 0;
    int reclaimed = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      String fsync = FSYNC.get((round - 1) % FSYNC.size());
      int delayMs = 200 + random.nextInt(1600);
      AtomicInteger ackedSsd = new AtomicInteger(-1);
      AtomicInteger ackedCxl = new AtomicInteger(-1);
      try (ChildJvm child = ChildJvm.start(CrashWriter.class, line -> {
        if (line.startsWith("acked ssd ")) {
          ackedSsd.set(Integer.parseInt(line.substring(10)));
        } else if (line.startsWith("acked cxl ")) {
          ackedCxl.set(Integer.parseInt(line.substring(10)));
        }
      }, ssdDir.toString(), cxlRegion.toString(), Integer.toString(round), fsync, Long.toString(seed))) {
        assertEquals("ready", child.awaitLine(Duration.ofSeconds(60)), "child's first line");
        Thread.sleep(delayMs);
        assertTrue(child.process().isAlive(), "the writer died by itself (exit " + exitOf(child) + "), seed " + seed);
        child.kill();
      }
      int lastSsd = ackedSsd.get();
      int lastCxl = ackedCxl.get();
      totalAcked += lastSsd + 1 + lastCxl + 1;
      try (SsdLayer ssd = (SsdLayer) CrashWriter.openSsd(ssdDir.toString(), fsync);
          CxlLayer cxl = (CxlLayer) CrashWriter.openCxl(cxlRegion.toString())) {
        Counts s = verify(ssd, "ssd", seed, round, lastSsd, true);
        Counts c = verify(cxl, "cxl", seed, round, lastCxl, false);
        System.out.printf(
            "crash round %d (seed %s): killed %d ms after ready; ssd (fsync %s): %d stores acknowledged, %d present,"
                + " %d absent, %d quarantined, %d temp files removed; cxl: %d stores acknowledged, %d present, %d absent,"
                + " %d corrupt, %d unfinished stores reclaimed, %d lock breaks so far%n",
            round, Seeds.format(seed), delayMs, fsync, lastSsd + 1, s.present, s.absent, ssd.stats().corrupt(),
            ssd.recoveredTempFiles(), lastCxl + 1, c.present, c.absent, cxl.stats().corrupt(), cxl.abandonedWritesReclaimed(),
            cxl.lockBreaks());
        assertEquals(0, ssd.stats().corrupt(), "a process crash tears no SSD record (seed " + seed + ")");
        assertEquals(0, cxl.stats().corrupt(), "no committed CXL record may be torn (seed " + seed + ")");
        assertEquals(0, cxl.stats().openLeases());
        reclaimed += cxl.abandonedWritesReclaimed();
      }
    }
    System.out.printf("crash test (seed %s): %d rounds, %d stores acknowledged in all, %d unfinished CXL stores reclaimed%n",
        Seeds.format(seed), ROUNDS, totalAcked, reclaimed);
    assertTrue(totalAcked >= 2000, "the writer was meant to store thousands of artifacts, acknowledged " + totalAcked);
  }

  private record Counts(int present, int absent) {}

  /**
   * Loads every id of {@code tier}: each must be absent or a version some round wrote to it,
   * byte for byte. With {@code acknowledgedSurvive}, every id the last round acknowledged must be
   * present at that version or a later one of the round.
   */
  private static Counts verify(MemoryLayer layer, String tier, long seed, int round, int lastAcked, boolean acknowledgedSurvive) {
    long[] acknowledged = new long[CrashArtifacts.IDS];
    java.util.Arrays.fill(acknowledged, -1);
    for (int i = 0; i <= lastAcked; i++) {
      acknowledged[CrashArtifacts.target(seed, round, i)] = CrashArtifacts.version(round, i);
    }
    for (ArtifactId id : layer.ids()) {
      assertTrue(id.isIn("crash/" + tier), tier + " holds an id nobody wrote: " + id);
    }
    int present = 0;
    int absent = 0;
    for (int j = 0; j < CrashArtifacts.IDS; j++) {
      ArtifactId id = CrashArtifacts.id(tier, j);
      try (Lease lease = layer.get(id)) {
        if (lease == null) {
          absent++;
          if (acknowledgedSurvive && acknowledged[j] >= 0 && !deletedAfter(seed, round, lastAcked, j, acknowledged[j])) {
            fail(tier + " lost " + id + ": version " + Long.toHexString(acknowledged[j]) + " was acknowledged (seed " + seed + ")");
          }
          continue;
        }
        String v = lease.meta().attribute("version");
        assertNotNull(v, tier + " served " + id + " without the writer's meta (seed " + seed + ")");
        long version = Long.parseLong(v);
        int r = CrashArtifacts.round(version);
        int i = CrashArtifacts.index(version);
        assertTrue(r >= 1 && r <= round && CrashArtifacts.target(seed, r, i) == j,
            tier + " served " + id + " at version " + Long.toHexString(version) + ", which was never written to it (seed " + seed + ")");
        assertTrue(CrashArtifacts.matches(lease.segment(), id, version),
            tier + " served wrong bytes for " + id + " at version " + Long.toHexString(version) + " (seed " + seed + ")");
        if (acknowledgedSurvive && acknowledged[j] >= 0) {
          assertTrue(version >= acknowledged[j], tier + " lost the acknowledged version of " + id + ": served "
              + Long.toHexString(version) + " < " + Long.toHexString(acknowledged[j]) + " (seed " + seed + ")");
        }
        present++;
      }
    }
    return new Counts(present, absent);
  }

  /** Whether the writer deleted slot {@code j} after it stored {@code version} there (every 17th store deletes the next slot). */
  private static boolean deletedAfter(long seed, int round, int lastAcked, int j, long version) {
    for (int i = CrashArtifacts.index(version); i <= lastAcked + 1; i++) {
      if (i % 17 == 5 && (CrashArtifacts.target(seed, round, i) + 1) % CrashArtifacts.IDS == j) {
        return true;
      }
    }
    return false;
  }

  private static String exitOf(ChildJvm child) {
    return child.process().isAlive() ? "none" : Integer.toString(child.process().exitValue());
  }
}
