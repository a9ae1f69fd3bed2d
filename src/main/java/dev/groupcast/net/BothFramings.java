package dev.groupcast.net;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

/**
 * Vert.x's request decoder, except that a request carrying both {@code Content-Length} and
 * {@code Transfer-Encoding: chunked} keeps both headers. Netty 4.2 drops the {@code Content-Length}
 * of such a request and reads its body as chunked, which a server may do (RFC 9112 section 6.3), but
 * then nothing after the decoder can tell that the request was framed two ways, and a proxy has to
 * refuse it (section 6.1): what is behind may read the other header and find a second request in the
 * body. With both headers left, the proxy's request checks see them.
 */
public final class BothFramings extends VertxHttpRequestDecoder {

  /** Vert.x's name for its HTTP/1 request decoder in a server connection's pipeline. */
  private static final String DECODER = "httpDecoder";

  private BothFramings(HttpServerOptions options) {
    super(options);
  }

  /**
   * Puts this decoder in place of Vert.x's on a server connection just opened (its connection
   * handler runs before the first request head is read, with h2c off as {@link HeaderTimeout} sets it).
   */
  public static void install(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof HttpServerConnection server) {
      ChannelPipeline pipeline = server.channelHandlerContext().pipeline();
      if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
        pipeline.replace(DECODER, DECODER, new BothFramings(options));
      }
    }
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    // Netty removes Content-Length here; it stays, for the request to be refused on it
  }
}
