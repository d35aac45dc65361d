package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class KvEventQueueTest {
  static KvEvent event(int i) {
    return new KvEvent(KvEvent.Type.STORED, "ns", String.format("%064x", i), 16, "hot", i);
  }

  @Test
  void drain_returnsEventsOldestFirst_uptoTheLimit() {
    KvEventQueue q = new KvEventQueue(8);
    for (int i = 0; i < 5; i++) {
      q.publish(event(i));
    }
    assertEquals(List.of(event(0), event(1)), q.drain(2));
    assertEquals(List.of(event(2), event(3), event(4)), q.drain());
    assertEquals(List.of(), q.drain());
    assertEquals(5, q.published());
    assertEquals(0, q.dropped());
  }

  @Test
  void whenFull_theOldestEventsAreDropped_andCounted() {
    KvEventQueue q = new KvEventQueue(3);
    for (int i = 0; i < 10; i++) {
      q.publish(event(i));
    }
    assertEquals(3, q.size());
    assertEquals(7, q.dropped());
    assertEquals(List.of(event(7), event(8), event(9)), q.drain());
  }

  @Test
  void concurrentPublishers_neverBlock_andLoseOnlyWhatTheBoundDrops() throws InterruptedException {
    KvEventQueue q = new KvEventQueue(64);
    int threads = 4;
    int each = 10_000;
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int base = t * each;
      Thread.ofPlatform().start(() -> {
        for (int i = 0; i < each; i++) {
          q.publish(event(base + i));
        }
        done.countDown();
      });
    }
    done.await();
    assertEquals((long) threads * each, q.published());
    assertEquals(q.published() - q.size(), q.dropped());
    assertEquals(64, q.size());
  }

  @Test
  void capacity_mustBePositive() {
    assertEquals("event queue capacity: 0 (expected: > 0)",
        assertThrows(IllegalArgumentException.class, () -> new KvEventQueue(0)).getMessage());
  }
}
