package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.NoSuchElementException;

/**
 * The {@code s3fifo} eviction policy: S3-FIFO (Yang et al., "FIFO queues are all you need for
 * cache eviction", SOSP 2023), scan-resistant with FIFO queues only.
 *
 * <p>Design note. Artifacts live in one of two FIFO queues, each with a small access count (0 to
 * {@value #MAX_FREQ}, raised by a load or a replacing store): a <i>small</i> queue that new
 * artifacts enter, meant to hold about {@value #SMALL_PERCENT}% of the bytes, and a <i>main</i>
 * queue. A <i>ghost</i> queue remembers the ids of recent victims taken from the small queue
 * (ids only, as many as there are artifacts); an id stored again while it is remembered enters
 * the main queue directly. Victims are found by walking the queues from their oldest end, the
 * small one while it holds at least its share of the bytes, else the main one:
 *
 * <ul>
 *   <li>in the small queue, an artifact loaded since it entered moves to the main queue with its
 *       count reset; one never loaded is the next victim (a one-hit wonder, such as a scan,
 *       leaves without disturbing the main queue);
 *   <li>in the main queue, an artifact with a count above zero goes back to the newest end with
 *       its count lowered by one; one at zero is the next victim.
 * </ul>
 *
 * <p>Those moves are the policy's own bookkeeping, made while {@link #victims()} is walked: a
 * victim the layer passes over (pinned, leased, kept by the listener) stays where it is and is
 * offered again by the next walk. A full walk of {@link #victims()} therefore ages every
 * artifact once, as a sweep of the queues would. Costs: O(1) per insert, access and removal,
 * amortised O(1) per victim (each move lowers a count or leaves the small queue).
 */
final class S3FifoPolicy implements EvictionPolicy {
  static final int MAX_FREQ = 3;
  static final int SMALL_PERCENT = 10;

  /** One artifact's place in a queue. */
  private static final class Node {
    final ArtifactId id;
    long size;
    int freq;
    boolean inMain;
    /** Offered as a victim from the small queue: its removal is remembered in the ghost queue. */
    boolean offered;
    Node older;
    Node newer;

    Node(ArtifactId id, long size) {
      this.id = id;
      this.size = size;
    }
  }

  /** A FIFO of nodes, oldest first. */
  private static final class Queue {
    Node oldest;
    Node newest;
    long bytes;
    int count;

    void addNewest(Node n) {
      n.older = newest;
      n.newer = null;
      if (newest == null) {
        oldest = n;
      } else {
        newest.newer = n;
      }
      newest = n;
      bytes += n.size;
      count++;
    }

    void unlink(Node n) {
      if (n.older == null) {
        oldest = n.newer;
      } else {
        n.older.newer = n.newer;
      }
      if (n.newer == null) {
        newest = n.older;
      } else {
        n.newer.older = n.older;
      }
      n.older = null;
      n.newer = null;
      bytes -= n.size;
      count--;
    }
  }

  private final HashMap<ArtifactId, Node> nodes = new HashMap<>();
  private final Queue small = new Queue();
  private final Queue main = new Queue();
  private final LinkedHashSet<ArtifactId> ghost = new LinkedHashSet<>();

  @Override
  public String name() {
    return "s3fifo";
  }

  @Override
  public void onInsert(ArtifactId id, long size) {
    Node n = nodes.get(id);
    if (n != null) {
      Queue q = n.inMain ? main : small;
      q.bytes += size - n.size;
      n.size = size;
      bump(n);
      return;
    }
    n = new Node(id, size);
    nodes.put(id, n);
    if (ghost.remove(id)) {
      n.inMain = true;
      main.addNewest(n);
    } else {
      small.addNewest(n);
    }
  }

  @Override
  public void onAccess(ArtifactId id) {
    Node n = nodes.get(id);
    if (n != null) {
      bump(n);
    }
  }

  private static void bump(Node n) {
    if (n.freq < MAX_FREQ) {
      n.freq++;
    }
  }

  @Override
  public void onRemove(ArtifactId id) {
    Node n = nodes.remove(id);
    if (n == null) {
      return;
    }
    (n.inMain ? main : small).unlink(n);
    if (!n.inMain && n.offered) {
      ghost.add(id);
      int limit = Math.max(16, nodes.size());
      for (Iterator<ArtifactId> it = ghost.iterator(); ghost.size() > limit; ) {
        it.next();
        it.remove();
      }
    }
  }

  @Override
  public Iterator<ArtifactId> victims() {
    return new Victims();
  }

  /** Artifacts in the small queue; for tests. */
  int smallCount() {
    return small.count;
  }

  /** Artifacts in the main queue; for tests. */
  int mainCount() {
    return main.count;
  }

  /** Ids remembered in the ghost queue; for tests. */
  int ghostCount() {
    return ghost.size();
  }

  /** The walk described in the class note. */
  private final class Victims implements Iterator<ArtifactId> {
    private Node smallAt = small.oldest;
    private Node mainAt = main.oldest;
    private Node next;

    @Override
    public boolean hasNext() {
      if (next == null) {
        next = advance();
      }
      return next != null;
    }

    @Override
    public ArtifactId next() {
      if (!hasNext()) {
        throw new NoSuchElementException("no victim left");
      }
      Node n = next;
      next = null;
      return n.id;
    }

    private Node advance() {
      while (true) {
        boolean smallTurn = smallAt != null
            && (mainAt == null || small.bytes * 100 >= (small.bytes + main.bytes) * SMALL_PERCENT);
        if (smallTurn) {
          Node n = smallAt;
          smallAt = n.newer;
          if (n.freq > 0) {
            small.unlink(n);
            n.freq = 0;
            n.inMain = true;
            main.addNewest(n);
            if (mainAt == null) {
              mainAt = n;
            }
            continue;
          }
          n.offered = true;
          return n;
        }
        if (mainAt == null) {
          return null;
        }
        Node n = mainAt;
        mainAt = n.newer;
        if (n.freq > 0) {
          n.freq--;
          main.unlink(n);
          main.addNewest(n);
          if (mainAt == null) {
            mainAt = n;
          }
          continue;
        }
        return n;
      }
    }
  }
}
