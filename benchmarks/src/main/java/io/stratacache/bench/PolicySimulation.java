package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;

/**
 * Hit rate and throughput of each eviction policy on a real CPU tier used as a cache (a load that
 * misses stores the artifact), over workloads larger than the tier.
 *
 * <ul>
 *   <li><b>zipf</b>: ids drawn from a Zipf distribution of skew {@code s} over a working set of
 *       {@code n} artifacts, {@code n} a multiple of what the tier holds.
 *   <li><b>zipf+scan</b>: the same, with every fifth request part of a sequential scan over ids
 *       never seen again (a batch job passing through).
 *   <li><b>kv-trace</b>: requests shaped like the demo's: every request reads a shared system
 *       prompt's chunks; multi-turn chats read their history's chunks and add one; document
 *       questions read a document's chunks (documents drawn by Zipf) and add a unique question.
 * </ul>
 *
 * <p>{@link #zipf}, {@link #kvTrace} return {@link Row}s for a report generator; {@link #main}
 * prints them as a table. Seeded: the same arguments give the same requests (the ops/s vary with
 * the machine). Each row first warms the tier with as many requests as it measures.
 */
public final class PolicySimulation {
  /** Policies compared, as {@code eviction_policy} names them. */
  public static final List<String> POLICIES = List.of("lru", "fifo", "s3fifo");

  /**
   * One measured series point.
   *
   * @param workload {@code zipf}, {@code zipf+scan} or {@code kv-trace}
   * @param policy the {@code eviction_policy}
   * @param skew the Zipf exponent (of documents, for {@code kv-trace})
   * @param workingSet distinct artifacts the workload may ask for (0 when unbounded)
   * @param tierArtifacts artifacts the tier holds
   * @param hitRate hits over requests, after the warm-up
   * @param opsPerSecond requests (load, plus store on a miss) per second
   */
  public record Row(String workload, String policy, double skew, long workingSet, long tierArtifacts, double hitRate,
      double opsPerSecond) {}

  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);

  private final int artifactBytes;
  private final int tierArtifacts;
  private final int requests;

  /**
   * @param artifactBytes size of every artifact
   * @param tierArtifacts how many the CPU tier holds
   * @param requests requests measured per row (as many again warm up)
   */
  public PolicySimulation(int artifactBytes, int tierArtifacts, int requests) {
    if (artifactBytes < 64) {
      throw new IllegalArgumentException("artifactBytes: " + artifactBytes + " (expected: >= 64)");
    }
    if (tierArtifacts < 16) {
      throw new IllegalArgumentException("tierArtifacts: " + tierArtifacts + " (expected: >= 16)");
    }
    if (requests < 1) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: >= 1)");
    }
    this.artifactBytes = artifactBytes;
    this.tierArtifacts = tierArtifacts;
    this.requests = requests;
  }

  /** Rows for every policy, skew and working set ({@code multiples} of the tier's artifacts); with {@code scan}, zipf+scan. */
  public List<Row> zipf(List<String> policies, double[] skews, int[] multiples, boolean scan, long seed) {
    List<Row> rows = new ArrayList<>();
    for (double s : skews) {
      for (int m : multiples) {
        int n = m * tierArtifacts;
        Zipf zipf = new Zipf(n, s);
        for (String p : policies) {
          SplittableRandom random = new SplittableRandom(seed);
          int[] scanNext = {n};
          int[] count = {0};
          IntSupplier next = () -> {
            if (scan && count[0]++ % 5 == 4) {
              return scanNext[0]++;
            }
            return zipf.sample(random);
          };
          double[] r = run(p, next);
          rows.add(new Row(scan ? "zipf+scan" : "zipf", p, s, n, tierArtifacts, r[0], r[1]));
        }
      }
    }
    return rows;
  }

  /**
   * Rows of the KV trace for every policy: {@code chats} conversations and {@code documents}
   * documents of {@code docChunks} chunks, a system prompt of {@code systemChunks} chunks.
   */
  public List<Row> kvTrace(List<String> policies, int systemChunks, int chats, int documents, int docChunks, double docSkew,
      long seed) {
    List<Row> rows = new ArrayList<>();
    for (String p : policies) {
      KvTrace trace = new KvTrace(new SplittableRandom(seed), systemChunks, chats, documents, docChunks, docSkew);
      double[] r = run(p, trace::next);
      rows.add(new Row("kv-trace", p, docSkew, 0, tierArtifacts, r[0], r[1]));
    }
    return rows;
  }

  /** {hit rate, ops/s} of {@code requests} requests after as many warming up. */
  private double[] run(String policy, IntSupplier ids) {
    try (Arena arena = Arena.ofConfined();
        MemoryLayer tier = LayerProviders.forName("cpu").open(LayerSpec.of("sim", "cpu",
            Map.of("capacity", (long) tierArtifacts * artifactBytes, "eviction_policy", policy, "pretouch", true)))) {
      MemorySegment payload = BenchFiles.pattern(arena.allocate(artifactBytes, 64));
      request(tier, ids, payload, requests);
      long t0 = System.nanoTime();
      long hits = request(tier, ids, payload, requests);
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new double[] {(double) hits / requests, requests / seconds};
    }
  }

  private static long request(MemoryLayer tier, IntSupplier ids, MemorySegment payload, int n) {
    long hits = 0;
    for (int i = 0; i < n; i++) {
      ArtifactId id = ArtifactId.of("sim", Integer.toString(ids.getAsInt()));
      try (Lease l = tier.get(id)) {
        if (l != null) {
          hits++;
          continue;
        }
      }
      tier.put(id, META, payload);
    }
    return hits;
  }

  /** Zipf over {@code [0, n)} by inverse CDF (rank 0 the most popular). */
  static final class Zipf {
    private final double[] cdf;

    Zipf(int n, double skew) {
      cdf = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += 1 / Math.pow(i + 1, skew);
        cdf[i] = sum;
      }
      for (int i = 0; i < n; i++) {
        cdf[i] /= sum;
      }
    }

    int sample(SplittableRandom random) {
      int i = Arrays.binarySearch(cdf, random.nextDouble());
      return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }
  }

  /**
   * The chunk ids of a stream of requests like the demo's. Half the requests continue a chat
   * (its whole history, then one new chunk; a chat ends after 8 turns and a new one starts), half
   * ask about a document (its chunks, then a unique question chunk); every request first reads
   * the system prompt.
   */
  static final class KvTrace {
    private final SplittableRandom random;
    private final int systemChunks;
    private final int docChunks;
    private final Zipf documents;
    private final int[][] chats;
    private final int[] turns;
    private int nextUnique = 1 << 30;
    private int nextChatBase = 1 << 20;
    private final int[] pending = new int[4096];
    private int pendingAt;
    private int pendingEnd;

    KvTrace(SplittableRandom random, int systemChunks, int chats, int documents, int docChunks, double skew) {
      this.random = random;
      this.systemChunks = systemChunks;
      this.docChunks = docChunks;
      this.documents = new Zipf(documents, skew);
      this.chats = new int[chats][];
      this.turns = new int[chats];
      for (int c = 0; c < chats; c++) {
        this.chats[c] = newChat();
      }
    }

    private int[] newChat() {
      int[] ids = new int[8];
      for (int t = 0; t < ids.length; t++) {
        ids[t] = nextChatBase++;
      }
      return ids;
    }

    int next() {
      if (pendingAt == pendingEnd) {
        refill();
      }
      return pending[pendingAt++];
    }

    private void refill() {
      pendingAt = 0;
      pendingEnd = 0;
      for (int i = 0; i < systemChunks; i++) {
        pending[pendingEnd++] = i; // the shared system prompt: ids 0 .. systemChunks-1
      }
      if (random.nextBoolean()) {
        int c = random.nextInt(chats.length);
        for (int t = 0; t <= turns[c]; t++) {
          pending[pendingEnd++] = chats[c][t];
        }
        if (++turns[c] == chats[c].length) {
          chats[c] = newChat();
          turns[c] = 0;
        }
      } else {
        int d = documents.sample(random);
        int base = 1 << 16 | d * docChunks;
        for (int i = 0; i < docChunks; i++) {
          pending[pendingEnd++] = base + i;
        }
        pending[pendingEnd++] = nextUnique++;
      }
    }
  }

  /** Prints every row. Args: [artifactKiB] [tierArtifacts] [requests]. */
  public static void main(String[] args) {
    int kib = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int tier = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int requests = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
    PolicySimulation sim = new PolicySimulation(kib << 10, tier, requests);
    List<Row> rows = new ArrayList<>();
    double[] skews = {0.6, 0.8, 0.99, 1.2};
    int[] multiples = {2, 4, 16};
    rows.addAll(sim.zipf(POLICIES, skews, multiples, false, 42));
    rows.addAll(sim.zipf(POLICIES, new double[] {0.8, 0.99}, new int[] {4}, true, 42));
    rows.addAll(sim.kvTrace(POLICIES, 8, 64, 256, 16, 0.9, 42));
    System.out.printf(Locale.ROOT, "CPU tier of %d artifacts of %d KiB; %d requests per row after as many warming up%n", tier, kib, requests);
    System.out.printf(Locale.ROOT, "%-10s %-7s %5s %8s %9s %12s%n", "workload", "policy", "skew", "set", "hit rate", "ops/s");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "%-10s %-7s %5.2f %8d %9.4f %12.0f%n", r.workload(), r.policy(), r.skew(), r.workingSet(),
          r.hitRate(), r.opsPerSecond());
    }
  }
}
