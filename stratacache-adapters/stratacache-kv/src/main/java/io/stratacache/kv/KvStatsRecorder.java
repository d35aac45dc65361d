package io.stratacache.kv;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The live counters behind {@link KvStats}; contention-free ({@link LongAdder}s). */
final class KvStatsRecorder {
  final LongAdder lookups = new LongAdder();
  final LongAdder promptTokens = new LongAdder();
  final LongAdder hitTokens = new LongAdder();
  private final List<String> tiers;
  private final List<KvMedium> media;
  private final LongAdder[] hitTokensByTier;
  final LongAdder storeRequests = new LongAdder();
  final LongAdder storedChunks = new LongAdder();
  final LongAdder storedBytes = new LongAdder();
  final LongAdder dedupedChunks = new LongAdder();
  final LongAdder refusedStores = new LongAdder();
  final LongAdder retrieveRequests = new LongAdder();
  final LongAdder loadedTokens = new LongAdder();
  final LongAdder loadedChunks = new LongAdder();
  final LongAdder loadedBytes = new LongAdder();
  final LongAdder missingChunks = new LongAdder();
  final LongAdder corruptChunks = new LongAdder();
  final LongAdder leasedPrefixes = new LongAdder();
  final LongAdder expiredLeases = new LongAdder();
  final LongAdder removedChunks = new LongAdder();
  private static final System.Logger LOG = System.getLogger(KvPrefixCache.class.getName());
  /** When the last statistics line was logged; {@link Long#MIN_VALUE} before the first. */
  private final AtomicLong lastLogNanos = new AtomicLong(Long.MIN_VALUE);

  KvStatsRecorder(List<String> tiers, List<KvMedium> media) {
    this.tiers = List.copyOf(tiers);
    this.media = List.copyOf(media);
    this.hitTokensByTier = new LongAdder[tiers.size()];
    for (int i = 0; i < hitTokensByTier.length; i++) {
      hitTokensByTier[i] = new LongAdder();
    }
  }

  /** Records one lookup of {@code prompt} tokens whose prefix was found with {@code byTier} tokens per tier index. */
  void lookup(int prompt, int[] byTier) {
    lookups.increment();
    promptTokens.add(prompt);
    long hit = 0;
    for (int i = 0; i < byTier.length; i++) {
      if (byTier[i] != 0) {
        hitTokensByTier[i].add(byTier[i]);
        hit += byTier[i];
      }
    }
    hitTokens.add(hit);
  }

  KvStats snapshot() {
    Map<String, Long> byTier = new LinkedHashMap<>();
    Map<KvMedium, Long> byMedium = new EnumMap<>(KvMedium.class);
    for (int i = 0; i < tiers.size(); i++) {
      long v = hitTokensByTier[i].sum();
      byTier.put(tiers.get(i), v);
      byMedium.merge(media.get(i), v, Long::sum);
    }
    return new KvStats(
        lookups.sum(), promptTokens.sum(), hitTokens.sum(), byTier, byMedium,
        storeRequests.sum(), storedChunks.sum(), storedBytes.sum(), dedupedChunks.sum(), refusedStores.sum(),
        retrieveRequests.sum(), loadedTokens.sum(), loadedChunks.sum(), loadedBytes.sum(),
        missingChunks.sum(), corruptChunks.sum(), leasedPrefixes.sum(), expiredLeases.sum(), removedChunks.sum());
  }

  /**
   * With {@code logging.log_stats}, logs a statistics line (INFO) for the cache of {@code model}
   * every {@code log_every} lookups, at most one per {@code log_min_interval_s}.
   */
  void maybeLog(LoggingConfig logging, String model) {
    if (!logging.logStats()) {
      return;
    }
    long n = lookups.sum();
    if (n % logging.logEvery() != 0) {
      return;
    }
    long now = System.nanoTime();
    long last = lastLogNanos.get();
    boolean tooSoon = last != Long.MIN_VALUE && now - last < (long) (logging.logMinIntervalS() * 1e9);
    if (tooSoon || !lastLogNanos.compareAndSet(last, now)) {
      return;
    }
    KvStats s = snapshot();
    LOG.log(System.Logger.Level.INFO, () -> String.format(
        "kv %s: %d lookups, hit rate %.3f (%d of %d prompt tokens; by tier %s), stored %d chunks / %d bytes "
            + "(%d deduplicated), loaded %d chunks / %d bytes, %d corrupt",
        model, s.lookups(), s.hitRate(), s.hitTokens(), s.promptTokens(), s.hitTokensByTier(),
        s.storedChunks(), s.storedBytes(), s.dedupedChunks(), s.loadedChunks(), s.loadedBytes(), s.corruptChunks()));
  }
}
