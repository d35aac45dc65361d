package io.stratacache.kv;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded queue of {@link KvEvent}s that a router drains. Publishing never blocks: when the
 * queue is full the oldest event is dropped and counted in {@link #dropped()}, so a router that
 * stops draining costs memory bounded by the capacity. Thread-safe.
 */
public final class KvEventQueue {
  private final ArrayBlockingQueue<KvEvent> queue;
  private final int capacity;
  private final LongAdder published = new LongAdder();
  private final LongAdder dropped = new LongAdder();

  /**
   * A queue holding at most {@code capacity} events.
   *
   * @throws IllegalArgumentException if {@code capacity} is not positive
   */
  public KvEventQueue(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("event queue capacity: " + capacity + " (expected: > 0)");
    }
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** Adds {@code event}, dropping the oldest events while the queue is full. */
  public void publish(KvEvent event) {
    published.increment();
    while (!queue.offer(event)) {
      if (queue.poll() != null) {
        dropped.increment();
      }
    }
  }

  /** Removes and returns up to {@code max} events, oldest first. */
  public List<KvEvent> drain(int max) {
    List<KvEvent> out = new ArrayList<>(Math.min(max, queue.size()));
    queue.drainTo(out, max);
    return out;
  }

  /** Removes and returns every queued event, oldest first. */
  public List<KvEvent> drain() {
    return drain(Integer.MAX_VALUE);
  }

  /** Events waiting to be drained. */
  public int size() {
    return queue.size();
  }

  /** The most events the queue holds. */
  public int capacity() {
    return capacity;
  }

  /** Events ever published. */
  public long published() {
    return published.sum();
  }

  /** Events dropped because the queue was full. */
  public long dropped() {
    return dropped.sum();
  }
}
