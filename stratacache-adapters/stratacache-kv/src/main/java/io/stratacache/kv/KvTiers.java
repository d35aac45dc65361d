package io.stratacache.kv;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's tiers as a cache sees them: their order (head first), the medium each is made of,
 * and per-tier token counts turned into a {@link KvLookupResult}. Immutable.
 */
final class KvTiers {
  private final List<String> names;
  private final List<KvMedium> media;
  private final Map<String, Integer> index = new HashMap<>();
  private final String[] tierNames;

  /** {@code names} head first; {@code providers} the provider name of each. */
  KvTiers(List<String> names, List<String> providers) {
    this.names = List.copyOf(names);
    this.tierNames = this.names.toArray(String[]::new);
    List<KvMedium> m = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      index.put(names.get(i), i);
      m.add(KvMedium.ofProvider(providers.get(i)));
    }
    this.media = List.copyOf(m);
  }

  List<String> names() {
    return names;
  }

  List<KvMedium> media() {
    return media;
  }

  int size() {
    return names.size();
  }

  String head() {
    return names.getFirst();
  }

  String name(int i) {
    return names.get(i);
  }

  /**
   * The position of {@code tier}, head 0; -1 for {@code null}. A scan of the few names (the engine
   * hands back the very strings it listed, so the identity test usually ends it): cheaper than a
   * hash lookup on the per-chunk path of a lookup.
   */
  int indexOf(String tier) {
    if (tier == null) {
      return -1;
    }
    for (int i = 0; i < tierNames.length; i++) {
      if (tierNames[i] == tier) {
        return i;
      }
    }
    return index.get(tier);
  }

  /** The result of a lookup of {@code prompt} tokens that found {@code hit} of them, {@code byTier} by tier index. */
  KvLookupResult result(int prompt, int hit, int chunks, int[] byTier) {
    Map<String, Integer> perTier = new LinkedHashMap<>();
    Map<KvMedium, Integer> perMedium = new EnumMap<>(KvMedium.class);
    for (int i = 0; i < byTier.length; i++) {
      perTier.put(names.get(i), byTier[i]);
      perMedium.merge(media.get(i), byTier[i], Integer::sum);
    }
    return new KvLookupResult(prompt, hit, chunks, perTier, perMedium);
  }
}
