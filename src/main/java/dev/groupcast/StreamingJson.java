package dev.groupcast;

import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;

/**
 * Keeps Vert.x on its streaming Jackson codec. Vert.x switches to the databind codec whenever
 * jackson-databind is on the class path, and the JSON log encoder brings it: that cost 360 more
 * classes at every start-up and an object mapper on every message's encode and decode, for nothing
 * groupcast uses (no POJO mapping). Found by Vert.x through {@code META-INF/services}.
 */
public final class StreamingJson implements JsonFactory {

  private static final JsonCodec CODEC = new JacksonCodec();

  @Override
  public int order() {
    return 0; // ahead of Vert.x's own factory
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }
}
