package dev.groupcast.bench;

/**
 * The body the fanout, rooms and storm scenarios publish: {@code ~PUBLISHER.NUMBER.SENT_NANOS~padding},
 * so every subscriber can tell which message it got, whether twice, and how late. Plain text without
 * quotes or backslashes, so it goes into a frame as it is.
 */
record BenchBody(int publisher, int number, long sentNanos) {

  static String text(int publisher, int number, long sentNanos, String padding) {
    return "~" + publisher + "." + number + "." + sentNanos + "~" + padding;
  }

  /** The body inside a delivered frame, or null when the frame holds none. */
  static BenchBody in(String frame) {
    int open = frame.indexOf('~');
    int close = open < 0 ? -1 : frame.indexOf('~', open + 1);
    if (close < 0) {
      return null;
    }
    int dot1 = frame.indexOf('.', open);
    int dot2 = frame.indexOf('.', dot1 + 1);
    return new BenchBody(Integer.parseInt(frame, open + 1, dot1, 10), Integer.parseInt(frame, dot1 + 1, dot2, 10),
        Long.parseLong(frame, dot2 + 1, close, 10));
  }
}
