package io.stratacache.kv;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder event {@code io.stratacache.KvLookup}: one prefix lookup of the KV adapter,
 * with the prompt's tokens, the cached prefix found and the tiers that hold it. Cheap enough to
 * leave on (no stack trace; fields filled only when the event will be written).
 */
@Name("io.stratacache.KvLookup")
@Label("KV lookup")
@Category("StrataCache")
@Description("A KV prefix lookup: prompt tokens, cached prefix tokens and the tiers holding them")
@StackTrace(false)
final class KvLookupEvent extends Event {
  @Label("Model") String model;
  @Label("Prompt tokens") int promptTokens;
  @Label("Hit tokens") int hitTokens;
  @Label("Leased") boolean leased;
  @Label("Tokens by tier") @Description("tier=tokens, in chain order") String tokensByTier;

  /** Fills the fields from {@code r} and commits, if the event is to be written. */
  void commit(String model, KvLookupResult r, boolean leased) {
    if (shouldCommit()) {
      this.model = model;
      this.promptTokens = r.promptTokens();
      this.hitTokens = r.hitTokens();
      this.leased = leased;
      this.tokensByTier = r.tokensByTier().toString();
      commit();
    }
  }
}
