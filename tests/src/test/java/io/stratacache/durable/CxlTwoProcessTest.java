package io.stratacache.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.backend.cxl.CxlLayer;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes mapping one CXL region: this JVM and a child JVM ({@link CxlPeer}). What one
 * stores the other loads; a lease in one keeps its bytes while the other deletes and refills; the
 * two write at once without corrupting each other; and a killed process leaves no hold behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CxlTwoProcessTest {
  private static final Duration ANSWER = Duration.ofSeconds(60);

  @TempDir Path dir;

  private Path region() {
    return dir.resolve("region");
  }

  private CxlLayer open(String capacity) {
    return (CxlLayer) CxlPeer.open(region().toString(), capacity);
  }

  private ChildJvm peer(String capacity) throws Exception {
    ChildJvm child = ChildJvm.start(CxlPeer.class, line -> { }, region().toString(), capacity);
    assertEquals("ready", child.awaitLine(ANSWER));
    return child;
  }

  private static String ask(ChildJvm child, String command) throws InterruptedException {
    child.send(command);
    return child.awaitLine(ANSWER);
  }

  private static void put(CxlLayer layer, String prefix, int from, int to) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(CrashArtifacts.MAX_SIZE);
      for (int i = from; i < to; i++) {
        ArtifactId id = CrashArtifacts.id(prefix, i);
        int size = CrashArtifacts.fill(buffer, id, i);
        layer.put(id, CrashArtifacts.meta(i), buffer.asSlice(0, size));
      }
    }
  }

  /** Bytes of whole 4 KiB blocks that the record of {@code id} at {@code version} takes. */
  private static long recordBlocks(ArtifactId id, long version) {
    int header = RecordCodec.headerJson(id, CrashArtifacts.meta(version)).length;
    long record = RecordLayout.payloadOffset(header, 64) + CrashArtifacts.size(id, version);
    return (record + 4095) / 4096 * 4096;
  }

  /** What the visible artifacts take, in whole blocks: used bytes when nothing is held or retired. */
  private static long exactUsed(CxlLayer layer) {
    long used = 0;
    for (ArtifactId id : layer.ids()) {
      try (Lease l = layer.get(id)) {
        used += recordBlocks(id, Long.parseLong(l.meta().attribute("version")));
      }
    }
    return used;
  }

  @Test
  void whatOneProcessStores_theOtherLoads() throws Exception {
    try (CxlLayer here = open("32MiB"); ChildJvm child = peer("32MiB")) {
      assertEquals("ok", ask(child, "put child 0 100"));
      assertEquals(100, CxlPeer.check(here, "child", 0, 100));
      put(here, "parent", 0, 100);
      assertEquals("ok 100", ask(child, "check parent 0 100"));
      assertEquals(200, here.stats().artifacts());
      assertTrue(here.delete(CrashArtifacts.id("child", 7)));
      assertEquals("ok 99", ask(child, "check child 0 100"));
      assertEquals("bye", ask(child, "exit"));
      assertEquals(0, child.process().waitFor());
      assertEquals(0, here.lockBreaks(), "nobody died holding the lock");
    }
  }

  @Test
  void aLeaseInOneProcess_keepsItsBytes_whileTheOtherDeletesAndRefills() throws Exception {
    try (CxlLayer here = open("4MiB"); ChildJvm child = peer("4MiB")) {
      put(here, "x", 0, 10);
      assertEquals("ok", ask(child, "lease x 3"));
      assertTrue(here.delete(CrashArtifacts.id("x", 3)));
      put(here, "fill", 0, 400);
      assertTrue(here.stats().evictions() > 0, "the refill was meant to evict");
      assertEquals("ok", ask(child, "checklease"));
      long retired = recordBlocks(CrashArtifacts.id("x", 3), 3);
      assertEquals(exactUsed(here) + retired, here.stats().usedBytes(), "the leased record keeps its blocks");
      assertEquals("bye", ask(child, "exit"));
      assertEquals(0, child.process().waitFor());
      assertEquals(exactUsed(here), here.stats().usedBytes(), "once the leasing process let go, its blocks are free");
      put(here, "fill", 400, 800);
      assertEquals(exactUsed(here), here.stats().usedBytes());
    }
  }

  @Test
  void twoProcessesWritingAtOnce_neverCorruptEachOther() throws Exception {
    try (CxlLayer here = open("8MiB"); ChildJvm child = peer("8MiB")) {
      CompletableFuture<String> theirs = CompletableFuture.supplyAsync(() -> {
        try {
          return ask(child, "put theirs 0 600");
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      put(here, "ours", 0, 600);
      assertEquals("ok", theirs.get(60, TimeUnit.SECONDS));
      int ours = CxlPeer.check(here, "ours", 0, 600);
      int theirsPresent = CxlPeer.check(here, "theirs", 0, 600);
      assertEquals("ok " + ours, ask(child, "check ours 0 600"));
      assertEquals("ok " + theirsPresent, ask(child, "check theirs 0 600"));
      assertEquals(ours + theirsPresent, here.stats().artifacts());
      assertTrue(here.stats().usedBytes() <= here.capacityBytes());
      assertEquals(0, here.stats().corrupt());
      assertEquals(0, here.lockBreaks());
      assertEquals("bye", ask(child, "exit"));
    }
  }

  @Test
  void aKilledProcess_leavesNoHoldBehind() throws Exception {
    try (CxlLayer here = open("2MiB")) {
      put(here, "k", 0, 20);
      try (ChildJvm child = peer("2MiB")) {
        assertEquals("ok", ask(child, "lease k 1"));
        assertEquals("ok", ask(child, "pin k 2"));
        child.kill();
      }
      assertTrue(here.delete(CrashArtifacts.id("k", 1)));
      put(here, "more", 0, 300);
      assertTrue(here.stats().evictions() > 0);
      assertTrue(!here.contains(CrashArtifacts.id("k", 2)), "the dead process's pin was honoured forever");
      for (ArtifactId id : here.ids()) {
        try (Lease l = here.get(id)) {
          assertTrue(CrashArtifacts.matches(l.segment(), id, Long.parseLong(l.meta().attribute("version"))));
        }
      }
      assertEquals(exactUsed(here), here.stats().usedBytes(), "blocks of the dead process's lease were freed");
    }
  }
}
