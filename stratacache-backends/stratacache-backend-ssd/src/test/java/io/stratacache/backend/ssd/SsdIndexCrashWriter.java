package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The writer {@link SsdIndexCrashTest} kills: stores, replaces and deletes artifacts of {@value
 * #IDS} ids in an SSD tier as fast as it can, from two threads, until it is killed. Each payload
 * is derived from the seed in its meta, so the parent can check any version it finds. Prints
 * {@code ready} once the tier is open, then {@code stored N} every 100 stores.
 */
public final class SsdIndexCrashWriter {
  static final int IDS = 400;

  private SsdIndexCrashWriter() {}

  static SsdLayer open(String dir) {
    return SsdLayer.open("crash", SsdConfig.from(LayerSpec.of("crash", "ssd",
        Map.of("path", dir, "capacity", "1GiB", "fsync", "never"))));
  }

  static ArtifactId id(int i) {
    return ArtifactId.of("crash/" + i);
  }

  /** The payload of the version with {@code seed}: 100 to 20,000 bytes. */
  static byte[] payload(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] b = new byte[100 + r.nextInt(19_900)];
    r.nextBytes(b);
    return b;
  }

  public static void main(String[] args) throws Exception {
    SsdLayer layer = open(Path.of(args[0]).toString());
    long seed = Long.parseLong(args[1]);
    System.out.println("ready");
    Thread[] threads = new Thread[2];
    for (int t = 0; t < threads.length; t++) {
      long threadSeed = seed * 31 + t;
      threads[t] = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(threadSeed);
        for (long n = 1; ; n++) {
          ArtifactId id = id(r.nextInt(IDS));
          if (r.nextInt(8) == 0) {
            layer.delete(id);
          } else {
            long v = r.nextLong();
            layer.put(id, ArtifactMeta.builder(ArtifactType.CUSTOM).attribute("seed", Long.toString(v)).build(),
                java.lang.foreign.MemorySegment.ofArray(payload(v)));
          }
          if (n % 100 == 0) {
            System.out.println("stored " + n);
          }
        }
      });
      threads[t].start();
    }
    threads[0].join();
  }
}
