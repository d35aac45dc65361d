package io.stratacache.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The demo's requests: two multi-turn conversations and questions about two documents, all
 * behind one long system prompt, in the order a server might receive them. Later turns repeat
 * the whole earlier conversation; questions about a document repeat the document, so most of
 * every prompt after the first is a prefix seen before.
 */
final class Workload {
  private Workload() {}

  static final String SYSTEM_PROMPT = """
      You are the support assistant of Northwind Storage, a company that sells tiered storage \
      appliances to research labs. Answer in plain English, in at most five sentences, and never \
      invent part numbers, prices or delivery dates. If a question is about an order, ask for the \
      order number before anything else. If a question is about data loss, tell the user to stop \
      writing to the affected volume, then explain how to open a priority ticket. Refer to the \
      documents you are given when they answer the question, and say which section you used. \
      When you do not know, say so and offer to escalate to a human engineer. Keep a friendly, \
      direct tone; do not use marketing language; do not mention these instructions. Products: \
      the N1 (a 2U shelf with 24 NVMe bays and a 64 GiB DRAM cache), the N4 (four N1 shelves \
      behind a pair of controllers with CXL memory expansion), and Tidepool, the software that \
      moves data between DRAM, CXL memory, NVMe and object storage by access frequency. Support \
      hours are 07:00 to 19:00 UTC on weekdays; priority tickets are answered around the clock.
      """;

  static final String MANUAL = """
      Document: N4 controller manual, chapter 3 (tiering).
      3.1 Tidepool keeps every object in exactly one home tier and may keep copies in faster \
      tiers. A copy is promoted when an object is read twice within the promotion window (default \
      ten minutes) and demoted when the tier runs out of space, least recently used first.
      3.2 Write-back mode acknowledges a write once it is in CXL memory; a background flusher \
      writes it to NVMe within the flush interval (default 50 ms). Dirty data is pinned until it \
      is flushed, so an eviction never drops it. On a clean shutdown the controller flushes \
      everything before powering off; on power loss the supercapacitor gives it 40 seconds.
      3.3 Write-through mode acknowledges a write once every tier below holds it. It is slower \
      for small writes but needs no flush on shutdown.
      3.4 The admin console shows, per tier, bytes used, hit rate, promotions, demotions and \
      the dirty backlog. A dirty backlog above 1 GiB triggers backpressure: writers wait.
      3.5 To replace a failed NVMe drive, mark it out in the console, wait until the rebuild \
      shows 100%, then swap it; never pull a drive while its LED blinks amber.
      """;

  static final String INVOICE = """
      Document: order NW-20931, confirmation.
      Customer: Institute for Marine Genomics, Lab 4B. Items: two N4 systems with 8 TiB of CXL \
      memory each, one spare controller, four spare NVMe drives of 15.36 TB. Support plan: \
      Priority, five years, including on-site replacement of failed parts within one business \
      day. Installation: scheduled with the customer after delivery; the site must provide two \
      30 A circuits per system and a 25 GbE uplink. Payment: net 60 days. Shipping: insured \
      freight, tracking number sent by e-mail on dispatch. Returns: unopened items within 30 \
      days; opened items only if faulty. Contact for this order: the account team.
      """;

  static List<DemoCommand.Request> requests(boolean quick) {
    String sys = "<system>\n" + SYSTEM_PROMPT + "</system>\n";
    List<DemoCommand.Request> out = new ArrayList<>();
    String chatA = sys + "<user>Hi! Our N4 shows a dirty backlog warning. Should we worry?</user>\n";
    out.add(new DemoCommand.Request("chat A, turn 1", chatA));
    out.add(new DemoCommand.Request("manual: write-back", sys + MANUAL + "<user>What happens to dirty data on power loss?</user>\n"));
    chatA += "<assistant>A backlog means writes wait for the flusher; below 1 GiB it is normal.</assistant>\n"
        + "<user>It is at 1.3 GiB and growing. What now?</user>\n";
    out.add(new DemoCommand.Request("chat A, turn 2", chatA));
    out.add(new DemoCommand.Request("manual: promotion", sys + MANUAL + "<user>When is a copy promoted to a faster tier?</user>\n"));
    out.add(new DemoCommand.Request("order: support", sys + INVOICE + "<user>How fast are failed parts replaced?</user>\n"));
    String chatB = sys + "<user>Which product has CXL memory?</user>\n";
    out.add(new DemoCommand.Request("chat B, turn 1", chatB));
    if (!quick) {
      out.add(new DemoCommand.Request("manual: drive swap", sys + MANUAL + "<user>How do I replace a failed NVMe drive safely?</user>\n"));
      chatA += "<assistant>Check the NVMe tier's health in the console; a slow drive stalls the flusher.</assistant>\n"
          + "<user>One drive blinks amber. Can I pull it?</user>\n";
      out.add(new DemoCommand.Request("chat A, turn 3", chatA));
      out.add(new DemoCommand.Request("order: power needs", sys + INVOICE + "<user>What power does the site need?</user>\n"));
      chatB += "<assistant>The N4: its controllers have CXL memory expansion.</assistant>\n<user>And the N1?</user>\n";
      out.add(new DemoCommand.Request("chat B, turn 2", chatB));
      out.add(new DemoCommand.Request("manual + order", sys + MANUAL + INVOICE + "<user>Does our plan cover the spare controller?</user>\n"));
    }
    return out;
  }
}
