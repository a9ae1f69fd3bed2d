package dev.groupcast.error;

/**
 * A request that is answered with an error frame (or an HTTP error body) instead of being served.
 * No stack trace: it is an answer, not a fault.
 */
public final class ProtocolException extends RuntimeException {

  private final ErrorCode code;
  private final Object requestId;

  public ProtocolException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public ProtocolException(ErrorCode code, String message, Object requestId) {
    super(message, null, false, false);
    this.code = code;
    this.requestId = requestId;
  }

  public ErrorCode code() {
    return code;
  }

  /** The {@code id} of the request that failed, when it had a usable one. */
  public Object requestId() {
    return requestId;
  }

  public ProtocolException withRequestId(Object id) {
    return id == null || requestId != null ? this : new ProtocolException(code, getMessage(), id);
  }
}
