package dev.groupcast.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frames written beneath Netty's encoder, read back by Netty's own client-side decoder. */
class WebSocketFramesTest {

  /** Payload lengths around each header form's limits: 7-bit, 16-bit and 64-bit lengths. */
  private static final List<String> TEXTS = List.of("", "{\"seq\":1}", "a".repeat(125), "b".repeat(126),
      "é".repeat(40_000), "c".repeat(65_536), "{\"seq\":7,\"body\":\"last\"}");

  @Test
  void aRunOfFramesBackToBackReadsAsEachTextInOrder() {
    ByteBuf run = WebSocketFrames.texts(TEXTS.size(), i -> Buffer.buffer(TEXTS.get(i)));
    assertEquals(TEXTS, decode(run));
  }

  @Test
  void oneFrameReadsAsItsText() {
    for (String text : TEXTS) {
      assertEquals(List.of(text), decode(WebSocketFrames.text(Buffer.buffer(text), true)));
      assertEquals(List.of(text), decode(WebSocketFrames.text(Buffer.buffer(text), false)));
    }
  }

  /** Every frame in {@code bytes}, as a client reads them; nothing may be left over. */
  private static List<String> decode(ByteBuf bytes) {
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(
        WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
    assertTrue(client.writeInbound(bytes.retainedDuplicate()), "frames decoded");
    List<String> texts = new ArrayList<>();
    for (Object frame = client.readInbound(); frame != null; frame = client.readInbound()) {
      TextWebSocketFrame text = (TextWebSocketFrame) frame;
      assertTrue(text.isFinalFragment());
      texts.add(text.text());
      text.release();
    }
    assertNull(client.readInbound());
    client.finishAndReleaseAll();
    return texts;
  }
}
