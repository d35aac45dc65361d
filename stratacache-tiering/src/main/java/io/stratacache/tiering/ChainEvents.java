package io.stratacache.tiering;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The chain's JDK Flight Recorder events: {@code io.stratacache.Store}, {@code
 * io.stratacache.Load}, {@code io.stratacache.Evict} and {@code io.stratacache.Demote}. They are
 * cheap enough to leave on (no stack traces; fields are filled only when the event will be
 * written), and with no recording running they cost nothing measurable. Record them with {@code
 * -XX:StartFlightRecording} or {@code jcmd PID JFR.start}; the metrics module reads the store and
 * load events for its latency timers.
 */
final class ChainEvents {
  private ChainEvents() {}

  /** One store into the chain: the tier it went into first, the id and the payload bytes. */
  @Name("io.stratacache.Store")
  @Label("Store")
  @Category("StrataCache")
  @Description("An artifact stored into the chain (the duration includes write-through below)")
  @StackTrace(false)
  static final class Store extends Event {
    @Label("Tier") String tier;
    @Label("Artifact") String id;
    @Label("Bytes") @DataAmount long bytes;
  }

  /** One load through the chain: the tier that served it (empty on a miss). */
  @Name("io.stratacache.Load")
  @Label("Load")
  @Category("StrataCache")
  @Description("An artifact looked up through the chain, top down (the duration includes promotion)")
  @StackTrace(false)
  static final class Load extends Event {
    @Label("Tier") @Description("The tier that served the load; empty on a miss") String tier;
    @Label("Artifact") String id;
    @Label("Hit") boolean hit;
    @Label("Bytes") @DataAmount long bytes;
  }

  /** An artifact a tier evicted (a {@link Demote} event in it says it was written down first). */
  @Name("io.stratacache.Evict")
  @Label("Evict")
  @Category("StrataCache")
  @Description("An artifact a tier evicts to make room (the duration includes writing it down)")
  @StackTrace(false)
  static final class Evict extends Event {
    @Label("Tier") String tier;
    @Label("Artifact") String id;
  }

  /** An evicted artifact written into the tier below because no lower tier held it, or it was dirty. */
  @Name("io.stratacache.Demote")
  @Label("Demote")
  @Category("StrataCache")
  @Description("An evicted artifact written into the tier below")
  @StackTrace(false)
  static final class Demote extends Event {
    @Label("From tier") String from;
    @Label("To tier") String to;
    @Label("Artifact") String id;
    @Label("Dirty") @Description("Written because it was dirty (write-back) rather than the only copy") boolean dirty;
    @Label("Bytes") @DataAmount long bytes;
  }
}
