package io.stratacache.djl;

import java.util.Arrays;

/**
 * Output scores of a forward pass: {@code rows} positions by {@code vocab} tokens, float32, row
 * major. Immutable.
 */
public final class Logits {
  private final int rows;
  private final int vocab;
  private final float[] values;

  Logits(int rows, int vocab, float[] values) {
    if (values.length != rows * vocab) {
      throw new IllegalArgumentException("values: " + values.length + " (expected: " + rows + " x " + vocab + ")");
    }
    this.rows = rows;
    this.vocab = vocab;
    this.values = values;
  }

  /** Number of positions. */
  public int rows() {
    return rows;
  }

  /** Vocabulary size. */
  public int vocab() {
    return vocab;
  }

  /** The scores of row {@code row}; a fresh copy. */
  public float[] row(int row) {
    java.util.Objects.checkIndex(row, rows);
    return Arrays.copyOfRange(values, row * vocab, (row + 1) * vocab);
  }

  /** The scores of the last row; a fresh copy. */
  public float[] last() {
    return row(rows - 1);
  }

  /** The highest-scoring token of row {@code row} (the lowest id on ties). */
  public int argmax(int row) {
    java.util.Objects.checkIndex(row, rows);
    int best = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      float v = values[row * vocab + i];
      if (v > max) {
        max = v;
        best = i;
      }
    }
    return best;
  }

  /** The largest absolute difference between row {@code row} here and {@code otherRow} of {@code other}. */
  public float maxAbsDiff(int row, Logits other, int otherRow) {
    if (other.vocab != vocab) {
      throw new IllegalArgumentException("other: vocab " + other.vocab + " (expected: " + vocab + ")");
    }
    java.util.Objects.checkIndex(row, rows);
    java.util.Objects.checkIndex(otherRow, other.rows);
    float max = 0;
    for (int i = 0; i < vocab; i++) {
      float d = Math.abs(values[row * vocab + i] - other.values[otherRow * vocab + i]);
      if (!(d <= max)) {
        max = d;
      }
    }
    return max;
  }
}
