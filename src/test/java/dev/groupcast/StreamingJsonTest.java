package dev.groupcast;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamingJsonTest {

  @Test
  void vertxUsesTheStreamingCodecThoughDatabindIsOnTheClassPath() throws Exception {
    Class.forName("com.fasterxml.jackson.databind.ObjectMapper"); // the log encoder brings it
    assertFalse(Json.CODEC instanceof DatabindCodec, Json.CODEC.getClass().getName());
    assertTrue(Json.CODEC.getClass() == io.vertx.core.json.jackson.JacksonCodec.class);
    assertEquals("{\"a\":[1,\"x\"]}", new JsonObject("{\"a\":[1,\"x\"]}").encode());
  }
}
