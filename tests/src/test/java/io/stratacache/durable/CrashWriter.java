package io.stratacache.durable;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * The child of {@link CrashRecoveryTest}: opens an SSD tier and a CXL tier (recovering whatever
 * the previous child left), prints {@code ready}, then stores into both, one thread per tier,
 * until it is killed, printing {@code acked TIER i} after the {@code i}-th store into that tier
 * returned. Every other CXL store fills the payload in place through a reservation, so that most
 * of that thread's time is spent inside an unfinished store. Along the way both threads delete
 * now and then, and the CXL thread keeps a few leases open, so that a kill also leaves holds.
 *
 * <p>Arguments: ssd directory, cxl region, round, ssd fsync policy, seed.
 */
public final class CrashWriter {
  private CrashWriter() {}

  public static void main(String[] args) throws InterruptedException {
    String ssdDir = args[0];
    String cxlPath = args[1];
    int round = Integer.parseInt(args[2]);
    String fsync = args[3];
    long seed = Long.parseLong(args[4]);
    MemoryLayer ssd = openSsd(ssdDir, fsync);
    MemoryLayer cxl = openCxl(cxlPath);
    System.out.println("ready");
    System.out.flush();
    Thread ssdWriter = Thread.ofPlatform().start(() -> write(ssd, "ssd", round, seed, false));
    Thread cxlWriter = Thread.ofPlatform().start(() -> write(cxl, "cxl", round, seed, true));
    ssdWriter.join();
    cxlWriter.join();
  }

  private static void write(MemoryLayer layer, String tier, int round, long seed, boolean inPlace) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(CrashArtifacts.MAX_SIZE);
      Deque<Lease> held = new ArrayDeque<>();
      for (int i = 0; ; i++) {
        int j = CrashArtifacts.target(seed, round, i);
        ArtifactId id = CrashArtifacts.id(tier, j);
        long version = CrashArtifacts.version(round, i);
        if (inPlace && i % 2 == 0) {
          try (Reservation r = layer.reserve(id, CrashArtifacts.meta(version), CrashArtifacts.size(id, version))) {
            CrashArtifacts.fill(r.segment(), id, version);
            r.commit();
          }
        } else {
          int size = CrashArtifacts.fill(buffer, id, version);
          layer.put(id, CrashArtifacts.meta(version), buffer.asSlice(0, size));
        }
        if (i % 17 == 5) {
          layer.delete(CrashArtifacts.id(tier, (j + 1) % CrashArtifacts.IDS));
        }
        if (inPlace && i % 7 == 0) {
          Lease l = layer.get(id);
          if (l != null) {
            held.addLast(l);
          }
          if (held.size() > 3) {
            held.removeFirst().close();
          }
        }
        synchronized (System.out) {
          System.out.println("acked " + tier + " " + i);
          System.out.flush();
        }
      }
    }
  }

  static MemoryLayer openSsd(String dir, String fsync) {
    return LayerProviders.forName("ssd").open(LayerSpec.of("ssd", "ssd",
        Map.of("path", dir, "capacity", "256MiB", "fsync", fsync, "fsync_interval_ms", 50)));
  }

  static MemoryLayer openCxl(String path) {
    return LayerProviders.forName("cxl").open(LayerSpec.of("cxl", "cxl",
        Map.of("path", path, "capacity", "16MiB", "block_size", 4096, "alignment", 64)));
  }
}
