/**
 * The end-to-end inference harness behind {@code ./stratacache bench}: time to first token with a
 * cached prefix and offloaded forward throughput, each as a ratio against its baseline measured
 * in the same run.
 */
package io.stratacache.djl.bench;
