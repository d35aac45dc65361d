package io.stratacache.soak;

import io.stratacache.chain.Payloads;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.StrataCacheException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One soak thread: a seeded stream of operations through the public API. It owns a disjoint set
 * of artifacts, which only it stores and deletes, and checks its own chain reads of them exactly
 * ({@link Ledger}); it reads every artifact, owned or not, and checks that each payload is whole
 * and of its own id ({@link Payloads#verify}) and not of a version never stored. It holds up to
 * {@value #MAX_LEASES} leases across other operations and checks, when it closes one, that its
 * bytes did not change meanwhile; it pins one artifact at a time; it stores from the head, downward from
 * any tier, exactly into one tier, and through reserve and commit; it loads in batches with repeated ids; now and then it flushes.
 */
final class SoakWorker implements Runnable {
  static final int MAX_SIZE = 3 << 10;
  private static final int MAX_LEASES = 2;
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);

  /** Counters over all threads, for the run's summary. */
  static final class Tally {
    final AtomicLong ops = new AtomicLong();
    final AtomicLong stores = new AtomicLong();
    final AtomicLong refusedStores = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong flushes = new AtomicLong();
  }

  private record Held(ArtifactId id, long version, Lease lease, int until) {}

  private final StorageEngine engine;
  private final List<String> tiers;
  private final ArtifactId[] all;
  private final AtomicLongArray attempted;
  private final Ledger[] mine;
  private final int firstMine;
  private final SplittableRandom random;
  private final Tally tally;
  private final SoakRun run;
  private final Deque<Held> leases = new ArrayDeque<>();
  private ArtifactId pinnedId;
  private String pinnedTier;
  private int unpinAt;
  private int op;
  private String doing = "starting";

  SoakWorker(SoakRun run, StorageEngine engine, ArtifactId[] all, AtomicLongArray attempted, int firstMine, int count,
      long seed, Tally tally) {
    this.run = run;
    this.engine = engine;
    this.tiers = engine.tiers();
    this.all = all;
    this.attempted = attempted;
    this.firstMine = firstMine;
    this.mine = new Ledger[count];
    for (int i = 0; i < count; i++) {
      mine[i] = new Ledger(all[firstMine + i]);
    }
    this.random = new SplittableRandom(seed);
    this.tally = tally;
  }

  Ledger[] ledgers() {
    return mine;
  }

  @Override
  public void run() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(MAX_SIZE, 8);
      while (!run.stopping()) {
        step(buffer);
        op++;
        tally.ops.incrementAndGet();
      }
    } catch (Throwable t) {
      run.fail(Thread.currentThread().getName() + " at operation " + op + " (" + doing + ")", t);
    } finally {
      try {
        releaseAll();
      } catch (Throwable t) {
        run.fail(Thread.currentThread().getName() + " releasing its leases and pin", t);
      }
    }
  }

  private void step(MemorySegment buffer) {
    closeDueLeases();
    if (pinnedId != null && op >= unpinAt) {
      doing = "unpin " + pinnedId + " in " + pinnedTier;
      engine.tier(pinnedTier).unpin(pinnedId);
      pinnedId = null;
    }
    int dice = random.nextInt(100);
    int own = random.nextInt(mine.length);
    if (dice < 30) {
      store(own, buffer);
    } else if (dice < 55) {
      ownRead(own, buffer);
    } else if (dice < 67) {
      anyRead();
    } else if (dice < 75) {
      batchLoad();
    } else if (dice < 80) {
      doing = "delete " + mine[own].id;
      engine.delete(mine[own].id);
      mine[own].deleted();
    } else if (dice < 88) {
      holdLease();
    } else if (dice < 92) {
      pin(own);
    } else if (dice < 99) {
      ArtifactId id = all[random.nextInt(all.length)];
      doing = "contains " + id;
      if (random.nextBoolean()) {
        engine.contains(id);
      } else {
        engine.tier(tiers.get(random.nextInt(tiers.size()))).contains(id);
      }
    } else {
      doing = "flush";
      engine.flush();
      tally.flushes.incrementAndGet();
    }
  }

  private void store(int own, MemorySegment buffer) {
    Ledger l = mine[own];
    long version = l.nextVersion();
    attempted.set(firstMine + own, version);
    MemorySegment payload = buffer.asSlice(0, Payloads.HEADER + random.nextInt(MAX_SIZE - Payloads.HEADER));
    Payloads.fill(payload, l.id, version);
    String tier = tiers.get(random.nextInt(tiers.size()));
    int how = random.nextInt(10);
    boolean survives = true;
    try {
      if (how < 4) {
        doing = "store " + l.id + " v" + version;
        engine.store(l.id, META, payload);
      } else if (how < 7) {
        doing = "store " + l.id + " v" + version + " downward from " + tier;
        engine.tier(tier).storeDownward(l.id, META, payload);
      } else if (how < 8) {
        doing = "store " + l.id + " v" + version + " exactly in " + tier;
        survives = tier.equals(tiers.getLast());
        engine.tier(tier).store(l.id, META, payload);
      } else {
        doing = "reserve and commit " + l.id + " v" + version;
        try (Reservation r = engine.reserve(l.id, META, payload.byteSize())) {
          MemorySegment.copy(payload, 0, r.segment(), 0, payload.byteSize());
          r.commit();
        }
      }
      l.stored(version, survives);
      tally.stores.incrementAndGet();
    } catch (StrataCacheException e) {
      l.failed(version); // a full tier or a failed write below: the version may or may not be held
      tally.refusedStores.incrementAndGet();
    }
    if (random.nextInt(4) == 0) {
      ownRead(own, buffer);
    }
  }

  private void ownRead(int own, MemorySegment buffer) {
    Ledger l = mine[own];
    int how = random.nextInt(3);
    long version;
    String what;
    try {
      if (how == 0) {
        what = "load " + l.id;
        doing = what;
        try (Lease lease = engine.load(l.id)) {
          version = Payloads.verify(l.id, lease.segment());
        }
      } else if (how == 1) {
        what = "tryLoad " + l.id;
        doing = what;
        try (Lease lease = engine.tryLoad(l.id)) {
          version = lease == null ? -1 : Payloads.verify(l.id, lease.segment());
        }
      } else {
        what = "loadInto " + l.id;
        doing = what;
        version = Payloads.verify(l.id, buffer.asSlice(0, engine.loadInto(l.id, buffer)));
      }
    } catch (ArtifactNotFoundException e) {
      what = doing;
      version = -1;
    }
    tally.reads.incrementAndGet();
    String wrong = l.read(version, what);
    if (wrong != null) {
      throw new AssertionError(wrong);
    }
  }

  /** An exact or preferred read of any artifact: whole, its own, and of a version once stored. */
  private void anyRead() {
    int i = random.nextInt(all.length);
    String tier = tiers.get(random.nextInt(tiers.size()));
    boolean exact = random.nextBoolean();
    doing = "load " + all[i] + (exact ? " exactly from " : " preferring ") + tier;
    try (Lease lease = exact ? engine.tier(tier).tryLoad(all[i]) : engine.tier(tier).loadPreferred(all[i])) {
      if (lease != null) {
        checkAny(i, lease);
      }
    } catch (ArtifactNotFoundException absent) {
      // nothing holds it, or it went since: allowed for a read that is not its owner's
    }
    tally.reads.incrementAndGet();
  }

  private long checkAny(int i, Lease lease) {
    long version = Payloads.verify(all[i], lease.segment());
    if (version > attempted.get(i)) {
      throw new AssertionError(all[i] + ": version " + version + " was never stored (last attempted " + attempted.get(i) + ")");
    }
    return version;
  }

  private void batchLoad() {
    List<ArtifactId> ids = new ArrayList<>();
    int n = 1 + random.nextInt(6);
    for (int k = 0; k < n; k++) {
      ids.add(all[random.nextInt(all.length)]);
    }
    ids.add(ids.get(random.nextInt(ids.size()))); // a repeated id
    doing = "loadAll " + ids;
    Map<ArtifactId, Lease> got = engine.loadAll(ids);
    try {
      if (got.size() > ids.stream().distinct().count()) {
        throw new AssertionError("loadAll " + ids + " returned " + got.size() + " leases");
      }
      for (var e : got.entrySet()) {
        checkAny(indexOf(e.getKey()), e.getValue());
      }
    } finally {
      got.values().forEach(Lease::close);
    }
    tally.reads.incrementAndGet();
  }

  private int indexOf(ArtifactId id) {
    for (int i = 0; i < all.length; i++) {
      if (all[i].equals(id)) {
        return i;
      }
    }
    throw new AssertionError("loadAll returned an id not asked for: " + id);
  }

  private void holdLease() {
    if (leases.size() >= MAX_LEASES) {
      return;
    }
    int i = random.nextInt(all.length);
    doing = "lease " + all[i];
    Lease lease = engine.tryLoad(all[i]);
    if (lease != null) {
      boolean kept = false;
      try {
        leases.add(new Held(all[i], checkAny(i, lease), lease, op + 1 + random.nextInt(40)));
        kept = true;
      } finally {
        if (!kept) {
          lease.close();
        }
      }
    }
  }

  private void closeDueLeases() {
    while (!leases.isEmpty() && (leases.peek().until() <= op)) {
      Held h = leases.poll();
      doing = "close lease of " + h.id();
      try (Lease lease = h.lease()) {
        long now = Payloads.verify(h.id(), lease.segment());
        if (now != h.version()) {
          throw new AssertionError(h.id() + ": a lease taken on version " + h.version() + " now reads version " + now);
        }
      }
    }
  }

  private void pin(int own) {
    if (pinnedId != null) {
      return;
    }
    ArtifactId id = mine[own].id;
    String tier = tiers.get(random.nextInt(tiers.size()));
    doing = "pin " + id + " in " + tier;
    if (engine.tier(tier).pin(id)) {
      pinnedId = id;
      pinnedTier = tier;
      unpinAt = op + 1 + random.nextInt(30);
    }
  }

  private void releaseAll() {
    while (!leases.isEmpty()) {
      leases.poll().lease().close();
    }
    if (pinnedId != null) {
      engine.tier(pinnedTier).unpin(pinnedId);
      pinnedId = null;
    }
  }
}
