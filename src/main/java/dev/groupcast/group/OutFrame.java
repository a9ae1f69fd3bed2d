package dev.groupcast.group;

import io.vertx.core.buffer.Buffer;

/**
 * One outbound text frame, encoded once and written to any number of sessions: the UTF-8 bytes are
 * shared, never copied per member.
 */
public final class OutFrame {

  private final String text;
  private final Buffer utf8;

  OutFrame(String text) {
    this.text = text;
    this.utf8 = Buffer.buffer(text);
  }

  public String text() {
    return text;
  }

  public Buffer utf8() {
    return utf8;
  }

  @Override
  public String toString() {
    return text;
  }
}
