package io.stratacache.writeback;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder event {@code io.stratacache.Flush}: one attempt to write a dirty artifact
 * down a write-back link, successful or not. Cheap enough to leave on (no stack trace; fields
 * filled only when the event will be written).
 */
@Name("io.stratacache.Flush")
@Label("Flush")
@Category("StrataCache")
@Description("One attempt to write a dirty artifact down a write-back link")
@StackTrace(false)
final class FlushEvent extends Event {
  @Label("Link") String link;
  @Label("Artifact") String id;
  @Label("Succeeded") boolean succeeded;
  @Label("Failures") @Description("Failed attempts so far for this version (0 when it succeeded first time)") int failures;
  @Label("Error") String error;
}
