package dev.groupcast.error;

/**
 * The WebSocket close codes (RFC 6455 section 7.4, IANA registry) the server decides on, in one
 * place; SockJS sessions close with the same codes.
 */
public final class CloseCodes {

  /** Refused by a rule: no valid token, too many connections from the address. */
  public static final short POLICY_VIOLATION = 1008;
  /** A frame or message over twice {@code limits.maxMessageBytes}. */
  public static final short TOO_BIG = 1009;
  /** The peer stopped answering pings ({@code ws.pongTimeout}). */
  public static final short PONG_TIMEOUT = 1011;
  /** The node drains: reconnect, elsewhere. */
  public static final short SERVICE_RESTART = 1012;
  /** The client did not read fast enough ({@code limits.sendQueueBytes}): resume with {@code since}. */
  public static final short TRY_AGAIN_LATER = 1013;

  private CloseCodes() {
  }
}
