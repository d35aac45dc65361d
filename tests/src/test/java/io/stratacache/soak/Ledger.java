package io.stratacache.soak;

import io.stratacache.core.ArtifactId;
import java.util.HashSet;
import java.util.Set;

/**
 * What the thread that owns an artifact knows it stored, and so what any chain read of it may
 * return. Only the owner mutates the artifact, so its own reads are checked exactly:
 *
 * <ul>
 *   <li>after an acknowledged store of version <i>v</i>, a read returns <i>v</i>, or a version
 *       whose store threw since (it may or may not have been kept);
 *   <li>versions never go back: once a read returned <i>r</i>, no later read returns less;
 *   <li>after an acknowledged delete, a read finds nothing, unless a version whose store threw
 *       since shows up (and then it must stay).
 * </ul>
 *
 * Not thread-safe: used by its owner, and by the test after the owner has been joined.
 */
final class Ledger {
  final ArtifactId id;
  private long next;
  private long acked;
  private boolean durable;
  private final Set<Long> maybe = new HashSet<>();
  private long floor;
  private boolean maybeSeen;

  Ledger(ArtifactId id) {
    this.id = id;
  }

  /** A version number for the next store attempt. */
  long nextVersion() {
    return ++next;
  }

  /** An acknowledged store of {@code version}; {@code mustSurvive} if it went down the chain. */
  void stored(long version, boolean mustSurvive) {
    acked = version;
    durable = mustSurvive;
    maybe.clear();
    maybeSeen = false;
    floor = version;
  }

  /** A store of {@code version} that threw: it may or may not be held. */
  void failed(long version) {
    maybe.add(version);
  }

  /** An acknowledged delete. */
  void deleted() {
    acked = 0;
    durable = false;
    maybe.clear();
    maybeSeen = false;
    floor = next + 1;
  }

  /** Whether some version is known to be held (a chain read must find one). */
  boolean present() {
    return acked != 0 || maybeSeen;
  }

  /** Whether a version of this artifact must survive close and reopen of a durable bottom tier. */
  boolean mustSurvive() {
    return (acked != 0 && durable) || maybeSeen;
  }

  /**
   * Checks a chain read that returned {@code version} ({@code -1}: nothing); returns a description
   * of what is wrong, or {@code null}.
   */
  String read(long version, String how) {
    if (version < 0) {
      return present() ? how + ": " + id + " not found (expected " + expected() + ")" : null;
    }
    if (version < floor || (version != acked && !maybe.contains(version))) {
      return how + ": " + id + " returned version " + version + " (expected " + expected() + ")";
    }
    floor = version;
    if (maybe.contains(version)) {
      maybeSeen = true;
    }
    return null;
  }

  String expected() {
    return (acked == 0 ? "nothing" : "version " + acked) + (maybe.isEmpty() ? "" : " or one of " + maybe)
        + ", none below " + floor;
  }
}
