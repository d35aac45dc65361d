package io.stratacache.writeback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AgentRunnerTest {
  /** An agent that does {@code budget} units of work, one per call, recording the thread. */
  private static final class Counting implements Agent {
    final AtomicInteger budget;
    final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    final CountDownLatch done = new CountDownLatch(1);

    Counting(int budget) {
      this.budget = new AtomicInteger(budget);
    }

    @Override
    public String roleName() {
      return "counting";
    }

    @Override
    public int doWork() {
      threads.add(Thread.currentThread());
      if (budget.get() <= 0) {
        done.countDown();
        return 0;
      }
      budget.decrementAndGet();
      return 1;
    }
  }

  @Test
  void agents_shareOneThread_andAFailingAgentDoesNotStopTheOthers() throws InterruptedException {
    Counting a = new Counting(50);
    Counting b = new Counting(50);
    AtomicInteger failures = new AtomicInteger();
    List<String> reported = new CopyOnWriteArrayList<>();
    try (AgentRunner runner = new AgentRunner("test-runner", TimeUnit.MILLISECONDS.toNanos(1),
        (agent, e) -> reported.add(agent.roleName() + ": " + e.getMessage()))) {
      runner.add(a);
      runner.add(new Agent() {
        @Override
        public String roleName() {
          return "failing";
        }

        @Override
        public int doWork() {
          if (failures.incrementAndGet() <= 3) {
            throw new IllegalStateException("injected failure " + failures.get());
          }
          return 0;
        }
      });
      runner.add(b);
      runner.start();
      assertTrue(a.done.await(10, TimeUnit.SECONDS));
      assertTrue(b.done.await(10, TimeUnit.SECONDS));
      assertEquals(3, runner.errorCount());
      assertEquals(List.of("failing: injected failure 1", "failing: injected failure 2", "failing: injected failure 3"), reported);
      assertEquals(1, a.threads.size());
      assertEquals(a.threads, b.threads);
      assertEquals("test-runner", a.threads.iterator().next().getName());
    }
  }

  @Test
  void close_stopsTheThread_andIsIdempotent() throws InterruptedException {
    Counting a = new Counting(0);
    AgentRunner runner = new AgentRunner("test-close", TimeUnit.SECONDS.toNanos(60));
    runner.add(a);
    runner.start();
    assertTrue(a.done.await(10, TimeUnit.SECONDS));
    assertTrue(runner.isAlive());
    runner.close();
    assertFalse(runner.isAlive());
    runner.close();
  }

  @Test
  void wake_endsTheIdleWaitAtOnce() throws InterruptedException {
    CountDownLatch second = new CountDownLatch(2);
    try (AgentRunner runner = new AgentRunner("test-wake", TimeUnit.SECONDS.toNanos(600))) {
      runner.add(new Agent() {
        @Override
        public String roleName() {
          return "rounds";
        }

        @Override
        public int doWork() {
          second.countDown();
          return 0;
        }
      });
      runner.start();
      while (second.getCount() == 2) {
        Thread.onSpinWait();
      }
      runner.wake();
      assertTrue(second.await(30, TimeUnit.SECONDS), "a woken runner starts a round before its 10-minute idle period ends");
    }
  }

  @Test
  void arguments_areChecked() {
    assertThrows(IllegalArgumentException.class, () -> new AgentRunner("x", 0));
    assertThrows(NullPointerException.class, () -> new AgentRunner(null, 1));
    try (AgentRunner r = new AgentRunner("x", 1)) {
      assertThrows(NullPointerException.class, () -> r.add(null));
      assertThrows(NullPointerException.class, () -> new AgentRunner("x", 1, null));
    }
  }
}
