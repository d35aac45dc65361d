package io.stratacache.durable;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * The child of {@link CrashRecoveryTest}: opens an SSD tier and a CXL tier (recovering whatever
 * the previous child left), prints {@code ready}, then stores artifacts into both until it is
 * killed, printing {@code acked i} after the {@code i}-th store returned from both. Along the
 * way it deletes now and then and keeps a few CXL leases open, so that a kill also leaves holds
 * behind.
 *
 * <p>Arguments: ssd directory, cxl region, round, ssd fsync policy, seed.
 */
public final class CrashWriter {
  private CrashWriter() {}

  public static void main(String[] args) {
    String ssdDir = args[0];
    String cxlPath = args[1];
    int round = Integer.parseInt(args[2]);
    String fsync = args[3];
    long seed = Long.parseLong(args[4]);
    try (MemoryLayer ssd = openSsd(ssdDir, fsync);
        MemoryLayer cxl = openCxl(cxlPath);
        Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(CrashArtifacts.MAX_SIZE);
      Deque<Lease> held = new ArrayDeque<>();
      System.out.println("ready");
      System.out.flush();
      for (int i = 0; ; i++) {
        int j = CrashArtifacts.target(seed, round, i);
        long version = CrashArtifacts.version(round, i);
        store(ssd, CrashArtifacts.id("ssd", j), version, buffer);
        store(cxl, CrashArtifacts.id("cxl", j), version, buffer);
        if (i % 17 == 5) {
          ssd.delete(CrashArtifacts.id("ssd", (j + 1) % CrashArtifacts.IDS));
          cxl.delete(CrashArtifacts.id("cxl", (j + 1) % CrashArtifacts.IDS));
        }
        if (i % 7 == 0) {
          Lease l = cxl.get(CrashArtifacts.id("cxl", j));
          if (l != null) {
            held.addLast(l);
          }
          if (held.size() > 3) {
            held.removeFirst().close();
          }
        }
        System.out.println("acked " + i);
        System.out.flush();
      }
    }
  }

  private static void store(MemoryLayer layer, ArtifactId id, long version, MemorySegment buffer) {
    int size = CrashArtifacts.fill(buffer, id, version);
    layer.put(id, CrashArtifacts.meta(version), buffer.asSlice(0, size));
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
