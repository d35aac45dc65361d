package io.stratacache.backend.cxl;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * This process's counters of one CXL layer; evictions and refusals are the make-room protocol's,
 * and the region's own counters live in its header.
 */
final class CxlCounters {
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder puts = new LongAdder();
  final LongAdder corrupt = new LongAdder();
  final AtomicLong openLeases = new AtomicLong();
}
