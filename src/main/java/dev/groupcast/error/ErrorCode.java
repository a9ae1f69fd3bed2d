package dev.groupcast.error;

/** The error codes of protocol v1; the same codes appear in HTTP API error bodies. */
public enum ErrorCode {
  BAD_REQUEST("bad_request", 400),
  UNKNOWN_TYPE("unknown_type", 400),
  INVALID_GROUP("invalid_group", 400),
  TOO_LARGE("too_large", 413),
  UNAUTHORIZED("unauthorized", 401),
  FORBIDDEN("forbidden", 403),
  RATE_LIMITED("rate_limited", 429),
  NOT_FOUND("not_found", 404),
  /** The node cannot sequence now (it cannot reach a majority of the cluster, or an outcome is unknown): retry. */
  UNAVAILABLE("unavailable", 503),
  INTERNAL("internal", 500);

  private final String code;
  private final int httpStatus;

  ErrorCode(String code, int httpStatus) {
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public String code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
