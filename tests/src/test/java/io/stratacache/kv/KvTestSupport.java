package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded random KV pages and slot mappings, and an index-by-index reference of the layouts. */
final class KvTestSupport {
  private KvTestSupport() {}

  /** The dtypes KV caches use. */
  static final List<DType> KV_DTYPES = List.of(DType.BF16, DType.F16, DType.F32, DType.F8_E4M3, DType.F8_E5M2);

  /** The seed of this run: {@code -Dtests.seed} if given, else a fresh one. */
  static long seed() {
    String s = System.getProperty("tests.seed");
    return s != null ? Long.parseUnsignedLong(s, 16) : System.nanoTime() ^ 0x5DEECE66DL;
  }

  /** The line a randomized failure prints. */
  static String reproduce(long seed) {
    return "reproduce with -Dtests.seed=" + Long.toHexString(seed);
  }

  /** Pages of {@code layers} layers filled with random bytes. */
  static KvPages randomPages(Arena arena, KvLayout layout, int layers, SplittableRandom random) {
    List<MemorySegment> segs = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      MemorySegment s = arena.allocate(layout.layerBytes(), 64);
      for (long o = 0; o + 8 <= s.byteSize(); o += 8) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, o, random.nextLong());
      }
      for (long o = s.byteSize() & ~7L; o < s.byteSize(); o++) {
        s.set(ValueLayout.JAVA_BYTE, o, (byte) random.nextInt());
      }
      segs.add(s);
    }
    return new KvPages(layout, segs);
  }

  /** Pages of {@code layers} zeroed layers. */
  static KvPages zeroPages(Arena arena, KvLayout layout, int layers) {
    List<MemorySegment> segs = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      segs.add(arena.allocate(layout.layerBytes(), 64));
    }
    return new KvPages(layout, segs);
  }

  /** {@code n} distinct slots of {@code layout} in random order (non-contiguous, shuffled blocks). */
  static int[] shuffledSlots(KvLayout layout, int n, SplittableRandom random) {
    int[] all = new int[layout.slots()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    for (int i = all.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return java.util.Arrays.copyOf(all, n);
  }

  /**
   * {@code n} distinct slots: the first half one run of consecutive slots from a random start
   * (crossing block boundaries, wrapping at the end), the rest shuffled from the slots left.
   */
  static int[] mixedSlots(KvLayout layout, int n, SplittableRandom random) {
    int total = layout.slots();
    int run = n / 2;
    int start = random.nextInt(total);
    boolean[] used = new boolean[total];
    int[] out = new int[n];
    for (int t = 0; t < run; t++) {
      out[t] = (start + t) % total;
      used[out[t]] = true;
    }
    int[] rest = shuffledSlots(layout, total, random);
    int t = run;
    for (int i = 0; t < n; i++) {
      if (!used[rest[i]]) {
        out[t++] = rest[i];
      }
    }
    return out;
  }

  /**
   * Slots as an engine hands them out: whole blocks in a random order, consecutive inside a
   * block, so runs are as long as a block.
   */
  static int[] blockSlots(KvLayout layout, int n, SplittableRandom random) {
    int blocksNeeded = (n + layout.blockSize() - 1) / layout.blockSize();
    int[] blocks = shuffledSlots(new KvLayout(layout.kind(), layout.numBlocks(), 1, layout.heads(), layout.headDim(), layout.dtype()), blocksNeeded, random);
    int[] out = new int[n];
    for (int t = 0; t < n; t++) {
      out[t] = blocks[t / layout.blockSize()] * layout.blockSize() + t % layout.blockSize();
    }
    return out;
  }

  /** Random tokens below 128,000. */
  static int[] tokens(int n, SplittableRandom random) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = random.nextInt(128_000);
    }
    return t;
  }

  /**
   * Byte offset of (plane, slot) in a layer buffer, computed element by element from the
   * layout's C-order shape (independent of {@link KvLayout#rowOffset}).
   */
  static long referenceRowOffset(KvLayout layout, int plane, int slot) {
    long[] shape = layout.shape();
    long block = slot / layout.blockSize();
    long offset = slot % layout.blockSize();
    long[] index = switch (layout.kind()) {
      case FLASH_ATTN -> new long[] {plane, block, offset, 0, 0};
      case FLASH_INFER -> new long[] {block, plane, offset, 0, 0};
      case MLA -> new long[] {block, offset, 0};
    };
    return linear(shape, index) * layout.dtype().byteSize();
  }

  /** Byte offset of (layer, plane, token) in a chunk, from its C-order shape. */
  static long referenceChunkOffset(KvLayout layout, boolean bundled, int layers, int tokens, int layer, int plane, int token) {
    long[] shape = KvChunkLayout.shape(layout, bundled, layers, tokens);
    long[] index;
    if (layout.planes() == 2) {
      index = bundled ? new long[] {layer, plane, token, 0, 0} : new long[] {plane, token, 0, 0};
    } else {
      index = bundled ? new long[] {layer, token, 0} : new long[] {token, 0};
    }
    return linear(shape, index) * layout.dtype().byteSize();
  }

  private static long linear(long[] shape, long[] index) {
    long linear = 0;
    for (int d = 0; d < shape.length; d++) {
      if (index[d] < 0 || index[d] >= shape[d]) {
        throw new AssertionError("index " + index[d] + " outside dimension " + d + " of " + java.util.Arrays.toString(shape));
      }
      linear = linear * shape[d] + index[d];
    }
    return linear;
  }

  /**
   * Fills the rows of tokens {@code [0, tokens.length)} at their slots with bytes that depend only
   * on (position, token, layer, plane): two requests sharing a prefix get identical prefix rows.
   */
  static void fillDeterministic(KvPages pages, int[] tokens, int[] slots) {
    KvLayout layout = pages.layout();
    long row = layout.rowBytes();
    for (int l = 0; l < pages.layerCount(); l++) {
      MemorySegment page = pages.layer(l);
      for (int p = 0; p < layout.planes(); p++) {
        for (int t = 0; t < tokens.length; t++) {
          SplittableRandom r = new SplittableRandom(((long) t << 40) ^ ((long) tokens[t] << 8) ^ (l << 2) ^ p);
          long off = layout.rowOffset(p, slots[t]);
          for (long b = 0; b < row; b++) {
            page.set(ValueLayout.JAVA_BYTE, off + b, (byte) r.nextInt());
          }
        }
      }
    }
  }

  /**
   * The first token in {@code [from, to)} whose rows (any layer, any plane) differ between {@code
   * expected} at {@code expectedSlots} and {@code actual} at {@code actualSlots}, or -1.
   */
  static int firstDifferentToken(KvPages expected, int[] expectedSlots, KvPages actual, int[] actualSlots, int from, int to) {
    KvLayout layout = expected.layout();
    long row = layout.rowBytes();
    for (int t = from; t < to; t++) {
      for (int l = 0; l < expected.layerCount(); l++) {
        for (int p = 0; p < layout.planes(); p++) {
          if (!sameBytes(expected.layer(l), layout.rowOffset(p, expectedSlots[t]), actual.layer(l),
              layout.rowOffset(p, actualSlots[t]), row)) {
            return t;
          }
        }
      }
    }
    return -1;
  }

  /** The first token in {@code [from, to)} with a non-zero byte in its rows, or -1. */
  static int firstWrittenToken(KvPages pages, int[] slots, int from, int to) {
    KvLayout layout = pages.layout();
    long row = layout.rowBytes();
    for (int t = from; t < to; t++) {
      for (int l = 0; l < pages.layerCount(); l++) {
        for (int p = 0; p < layout.planes(); p++) {
          long off = layout.rowOffset(p, slots[t]);
          for (long b = 0; b < row; b++) {
            if (pages.layer(l).get(ValueLayout.JAVA_BYTE, off + b) != 0) {
              return t;
            }
          }
        }
      }
    }
    return -1;
  }

  /** Whether the {@code length} bytes at {@code a[aOff]} and {@code b[bOff]} are equal. */
  static boolean sameBytes(MemorySegment a, long aOff, MemorySegment b, long bOff, long length) {
    return MemorySegment.mismatch(a, aOff, aOff + length, b, bOff, bOff + length) == -1;
  }
}
