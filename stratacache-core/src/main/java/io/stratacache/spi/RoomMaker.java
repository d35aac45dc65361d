package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The make-room protocol every layer shares: how a store that does not fit picks victims, asks the
 * {@link EvictionListener}, and evicts them; with the pins and the eviction and refusal counters
 * that go with it. A layer describes its index through the small {@link Index} interface and each
 * store's space through {@link Space}; this class does the rest.
 *
 * <p>Design note.
 *
 * <ol>
 *   <li>Under the layer's lock, the store tries to take its space ({@link Space#tryTake()}). If it
 *       cannot, and has not checked since it last gave up on a victim, it asks the layer whether
 *       the space would fit once every reclaimable entry were gone ({@link
 *       Space#fitsAfterEvicting}); if not, the store is refused before anything is evicted.
 *   <li>It picks the first of {@link Index#candidates()} (the layer's {@link EvictionPolicy}
 *       order) that is current, not pinned, not leased, not being evicted by another call, not
 *       kept by the listener earlier in this call, and not the version being replaced.
 *   <li>It marks the victim as evicting ({@link Index#markEvicting}), releases the lock and shows
 *       the victim to the listener ({@link Index#offer}); the victim stays loadable meanwhile. If
 *       the listener agrees, the layer removes the victim unless it was leased, pinned, replaced or
 *       deleted meanwhile ({@link Index#remove}); then the lock is taken again and the mark undone.
 *       A victim the listener refuses is passed over for the rest of the call. A listener that
 *       throws keeps its victim, and its exception propagates from the store.
 *   <li>When no victim is left but other calls are evicting, the store waits for one of them to
 *       finish and looks again; otherwise it is refused with {@link CapacityException}.
 * </ol>
 *
 * <p><b>The replaced version.</b> When a store replaces an id, the version it replaces is never
 * offered to the listener: its bytes are superseded by the store in progress. It stays loadable
 * while anything else can make room. Only as the last resort, when no other artifact can go, is it
 * removed to make room for its replacement, and only if it is neither pinned nor leased; loads of
 * the id then miss until the new version is published. A layer whose medium holds both versions
 * for the moment of the swap (a file renamed over another) counts the replaced version's bytes as
 * the replacement's instead ({@link Index#replacementReusesSpace()}) and never removes it early.
 *
 * <p><b>Pins</b> belong to the id, not to a version: they nest, survive a replace and end with
 * {@link #unpinAllLocked(ArtifactId) delete}. A pinned id is never a victim.
 *
 * <p><b>Threads.</b> Every method whose name ends in {@code Locked}, and every {@link Index} and
 * {@link Space} method except {@link Index#offer} and {@link Index#remove}, runs with the layer's
 * lock held. The lock may be any {@link Lock} (a process-shared region lock included): waiting
 * uses a monitor of this class, not a condition of the lock.
 *
 * @param <E> the layer's entry type, one object per stored version, compared by identity
 */
public final class RoomMaker<E> {
  /**
   * What the protocol needs from a layer's index. Implementations are called with the layer's lock
   * held, except where a method says otherwise.
   *
   * @param <E> the layer's entry type
   */
  public interface Index<E> {
    /** The id {@code entry} stores. */
    ArtifactId id(E entry);

    /** The entry {@code id} maps to now, or {@code null}. */
    E current(ArtifactId id);

    /** Current entries, best victim first (the layer's {@link EvictionPolicy} order). */
    Iterator<E> candidates();

    /** Whether something besides the index uses {@code entry}'s bytes now (an open lease). */
    boolean leased(E entry);

    /**
     * {@code entry} becomes a victim: keep its bytes intact and readable until {@link
     * #unmarkEvicting} even if it is deleted meanwhile. The default does nothing.
     */
    default void markEvicting(E entry) {}

    /** Undoes {@link #markEvicting}; may free the bytes if the entry is gone. */
    default void unmarkEvicting(E entry) {}

    /**
     * Shows {@code victim}'s bytes to {@code listener} and returns its answer. Called with no lock
     * held. A layer may answer {@code true} without asking for a victim whose bytes are gone (a
     * file deleted meanwhile); an exception from the listener propagates.
     */
    boolean offer(E victim, EvictionListener listener);

    /**
     * Removes {@code victim} and frees its space if it is still {@linkplain
     * RoomMaker#removableLocked removable}; returns whether it did. Called with no lock held: the layer takes the locks it
     * needs and checks {@link RoomMaker#removableLocked} under them.
     */
    boolean remove(E victim);

    /**
     * Whether a store that replaces an id may count the bytes of the version it replaces as its
     * own (the medium holds both for the moment of the swap). If so, the replaced version is never
     * removed to make room. The default is {@code false}.
     */
    default boolean replacementReusesSpace() {
      return false;
    }
  }

  /**
   * The space one store needs. Called with the layer's lock held.
   *
   * @param <E> the layer's entry type
   */
  public interface Space<E> {
    /** Takes the space if it is free now; returns whether it did. */
    boolean tryTake();

    /**
     * Whether the space would fit if every entry that {@code reclaimable} accepts were gone.
     * Entries it rejects stay where they are.
     */
    boolean fitsAfterEvicting(Predicate<E> reclaimable);

    /**
     * The error for a store refused for lack of room.
     *
     * @param kept victims the listener kept during this call
     * @param evictedNothing whether the refusal came before anything was evicted
     */
    CapacityException noRoom(int kept, boolean evictedNothing);
  }

  private final Lock lock;
  private final Index<E> index;
  private final Object finished = new Object();
  private final Set<E> evicting = Collections.newSetFromMap(new IdentityHashMap<>());
  /** Guarded by the layer's lock. */
  private final Map<ArtifactId, Integer> pins = new HashMap<>();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private volatile long generation;
  private volatile boolean closed;
  private volatile EvictionListener listener = EvictionListener.DROP;

  /**
   * The usual {@link Index#candidates()}: the ids of {@code policy}'s {@link
   * EvictionPolicy#victims()} order, mapped to their entries by {@code lookup} as they are read.
   * Read under the layer's lock, as candidates are.
   */
  public static <E> Iterator<E> inPolicyOrder(EvictionPolicy policy, Function<ArtifactId, E> lookup) {
    Iterator<ArtifactId> ids = policy.victims();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return ids.hasNext();
      }

      @Override
      public E next() {
        return lookup.apply(ids.next());
      }
    };
  }

  /**
   * @param lock the layer's lock, guarding its index and policy
   * @param index the layer's index
   */
  public RoomMaker(Lock lock, Index<E> index) {
    this.lock = Objects.requireNonNull(lock, "lock");
    this.index = Objects.requireNonNull(index, "index");
  }

  // ---------------------------------------------------------------------------------------------
  // making room

  /**
   * Makes room for a store of {@code id} and takes it, evicting as the class note says. Called
   * without the layer's lock; returns without it.
   *
   * @throws CapacityException if no room can be made; nothing stored is lost
   */
  public void makeRoom(ArtifactId id, Space<E> space) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(space, "space");
    Set<E> kept = null;
    boolean checked = false;
    lock.lock();
    try {
      while (true) {
        if (space.tryTake()) {
          return;
        }
        E replaced = index.current(id);
        if (!checked) {
          Set<E> k = kept;
          if (!space.fitsAfterEvicting(e -> reclaimableLocked(e, k, replaced))) {
            throw refuse(space.noRoom(kept == null ? 0 : kept.size(), true));
          }
          checked = true;
        }
        E victim = pick(replaced, kept);
        boolean lastResort = false;
        if (victim == null) {
          if (replaced != null && !index.replacementReusesSpace() && evictableLocked(replaced)
              && (kept == null || !kept.contains(replaced))) {
            victim = replaced;
            lastResort = true;
          } else if (!evicting.isEmpty()) {
            awaitAnEviction();
            checked = false;
            continue;
          } else {
            throw refuse(space.noRoom(kept == null ? 0 : kept.size(), false));
          }
        }
        if (!evict(victim, lastResort)) {
          if (kept == null) {
            kept = Collections.newSetFromMap(new IdentityHashMap<>());
          }
          kept.add(victim);
          checked = false;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Evicts ahead of demand, as {@link Reclaimable#reclaim} says: while {@code more} answers true
   * (asked with the layer's lock held) and fewer than {@code maxVictims} have left, offers the
   * next victim in policy order to the listener and removes it if agreed. A victim the listener
   * keeps is passed over for the rest of the call; evictions in progress elsewhere are not waited
   * for. Called without the layer's lock; returns without it.
   *
   * @return how many victims left the layer
   * @throws RuntimeException what the listener threw; victims already gone stay gone
   */
  public int evictWhile(BooleanSupplier more, int maxVictims) {
    Objects.requireNonNull(more, "more");
    if (maxVictims < 0) {
      throw new IllegalArgumentException("maxVictims: " + maxVictims + " (expected: >= 0)");
    }
    Set<E> kept = null;
    int gone = 0;
    lock.lock();
    try {
      while (gone < maxVictims && !closed && more.getAsBoolean()) {
        E victim = pick(null, kept);
        if (victim == null) {
          break;
        }
        if (evict(victim, false)) {
          gone++;
        } else {
          if (kept == null) {
            kept = Collections.newSetFromMap(new IdentityHashMap<>());
          }
          kept.add(victim);
        }
      }
      return gone;
    } finally {
      lock.unlock();
    }
  }

  /** The first candidate that may be evicted now, other than {@code replaced}. */
  private E pick(E replaced, Set<E> kept) {
    for (Iterator<E> it = index.candidates(); it.hasNext(); ) {
      E e = it.next();
      if (e != replaced && evictableLocked(e) && (kept == null || !kept.contains(e))) {
        return e;
      }
    }
    return null;
  }

  /**
   * Offers {@code victim} to the listener (unless it is the replaced version) and removes it if
   * agreed. Called and returns with the lock held; releases it meanwhile.
   *
   * @return whether the victim is gone
   */
  private boolean evict(E victim, boolean lastResort) {
    evicting.add(victim);
    index.markEvicting(victim);
    EvictionListener l = listener;
    boolean gone = false;
    lock.unlock();
    try {
      boolean agreed = lastResort || index.offer(victim, l);
      if (agreed && index.remove(victim)) {
        gone = true;
        if (!lastResort) {
          evictions.increment();
        }
      }
    } finally {
      lock.lock();
      evicting.remove(victim);
      index.unmarkEvicting(victim);
      synchronized (finished) {
        generation++;
        finished.notifyAll();
      }
    }
    return gone || index.current(index.id(victim)) != victim;
  }

  /** Waits, with the layer's lock released, until some eviction in progress finishes. */
  private void awaitAnEviction() {
    long seen = generation;
    lock.unlock();
    try {
      synchronized (finished) {
        boolean interrupted = false;
        while (generation == seen && !closed) {
          try {
            finished.wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      lock.lock();
    }
  }

  /**
   * Whether {@code entry} may be picked as a victim now: current, not pinned, not leased, not
   * being evicted. Lock held.
   */
  public boolean evictableLocked(E entry) {
    ArtifactId id = index.id(entry);
    return index.current(id) == entry && !pins.containsKey(id) && !evicting.contains(entry) && !index.leased(entry);
  }

  /**
   * Whether {@link Index#remove} may remove {@code victim} now: still current, not pinned and not
   * leased (its evicting mark does not count). Lock held.
   */
  public boolean removableLocked(E victim) {
    ArtifactId id = index.id(victim);
    return index.current(id) == victim && !pins.containsKey(id) && !index.leased(victim);
  }

  /** Whether {@code entry} is a victim some call is offering or removing now. Lock held. */
  public boolean isEvictingLocked(E entry) {
    return evicting.contains(entry);
  }

  private boolean reclaimableLocked(E e, Set<E> kept, E replaced) {
    if (evicting.contains(e)) {
      return index.current(index.id(e)) == e;
    }
    if (kept != null && kept.contains(e)) {
      return false;
    }
    if (e == replaced && index.replacementReusesSpace()) {
      return false;
    }
    return evictableLocked(e);
  }

  /** Counts a refused store and returns {@code error} for the caller to throw. */
  public CapacityException refuse(CapacityException error) {
    rejected.increment();
    return error;
  }

  // ---------------------------------------------------------------------------------------------
  // pins

  /**
   * Pins {@code id} if the layer holds it; pins nest.
   *
   * @return whether the layer holds {@code id}
   */
  public boolean pin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      if (index.current(id) == null) {
        return false;
      }
      pins.merge(id, 1, Integer::sum);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Undoes one {@link #pin}.
   *
   * @return whether {@code id} was pinned
   */
  public boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      Integer n = pins.get(id);
      if (n == null) {
        return false;
      }
      if (n == 1) {
        pins.remove(id);
      } else {
        pins.put(id, n - 1);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code id} is pinned. Lock held. */
  public boolean isPinnedLocked(ArtifactId id) {
    return pins.containsKey(id);
  }

  /** Ends every pin of {@code id}; a layer calls it when the id leaves (delete, expiry). Lock held. */
  public void unpinAllLocked(ArtifactId id) {
    pins.remove(id);
  }

  /** Ids pinned now. Lock held. */
  public int pinnedLocked() {
    return pins.size();
  }

  // ---------------------------------------------------------------------------------------------
  // listener, counters, close

  /** Sets the listener asked before each eviction. */
  public void setListener(EvictionListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** Artifacts evicted to make room (victims the listener let go). */
  public long evictions() {
    return evictions.sum();
  }

  /** Stores refused for lack of room. */
  public long rejected() {
    return rejected.sum();
  }

  /**
   * Wakes stores waiting for an eviction so that they see the layer closed. Call after marking the
   * layer closed; {@link Space#tryTake()} should then throw.
   */
  public void close() {
    closed = true;
    synchronized (finished) {
      generation++;
      finished.notifyAll();
    }
  }
}
